"""Engine settings on temporary folders, and where the checkout and its seed corpus are."""

from __future__ import annotations

from pathlib import Path

from index.settings import EngineSettings

ROOT = Path(__file__).resolve().parents[2]
SEED_CORPUS = ROOT / "corpus" / "articles"


def make_settings(tmp: Path, corpus: Path | None = None, **extra: object) -> EngineSettings:
    """Settings reading no `.env`: the corpus under `tmp` (or `corpus`), data in `tmp/data`."""
    corpus_dir = corpus or tmp / "corpus" / "articles"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    return EngineSettings(
        TALENTBOT_CORPUS_DIR=corpus_dir,  # type: ignore[call-arg]
        TALENTBOT_DATA_DIR=tmp / "data",
        _env_file=None,
        **extra,
    )
