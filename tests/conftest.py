"""Shared fixtures: settings on temporary folders and a seed-corpus index built once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.engine import Engine
from index.settings import EngineSettings

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus" / "articles"


def make_settings(tmp: Path, corpus: Path | None = None, **extra: object) -> EngineSettings:
    corpus_dir = corpus or tmp / "corpus" / "articles"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    return EngineSettings(
        TALENTBOT_CORPUS_DIR=corpus_dir,  # type: ignore[call-arg]
        TALENTBOT_DATA_DIR=tmp / "data",
        _env_file=None,
        **extra,
    )


@pytest.fixture(scope="session")
def seed_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the seed corpus with its organisations file, indexed once per session."""
    work = tmp_path_factory.mktemp("seed")
    shutil.copytree(SEED_CORPUS, work / "corpus" / "articles")
    shutil.copy(ROOT / "corpus" / "organisations.yaml", work / "corpus" / "organisations.yaml")
    settings = make_settings(work, work / "corpus" / "articles")
    Engine(settings).ingest()
    return work


@pytest.fixture(scope="session")
def seed_engine(seed_workdir: Path) -> Iterator[Engine]:
    yield Engine(make_settings(seed_workdir, seed_workdir / "corpus" / "articles"))


@pytest.fixture
def tmp_corpus(tmp_path: Path) -> tuple[EngineSettings, Path]:
    settings = make_settings(tmp_path)
    return settings, settings.corpus_dir
