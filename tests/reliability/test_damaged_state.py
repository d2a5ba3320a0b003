"""Row 18 of the reliability suite: damaged state on disk.

Derived data (the keyword cache, the move records) that is truncated, overwritten with
garbage or given random bytes at chosen offsets is detected by `doctor`, rebuilt from the
Chroma store with one warning line when the engine or an ingest reads it, and answers come
back identical to the undamaged ones. A damaged Chroma store (`chroma.sqlite3`), which
cannot be rebuilt from anything but the corpus, gives one message saying to restore a
backup or rebuild, from `doctor`, `ask` and `ingest` alike, never a traceback or a Rust
panic; `ingest --rebuild` starts over from it, and `restore` brings the backup's answers
back.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.settings import make_settings

from index import derived
from index.engine import Engine
from index.errors import StoreDamagedError
from index.ingest import ingest
from index.ops import backup, doctor, restore
from index.settings import EngineSettings

QUESTIONS = ["Who left Meta for Mistral AI?", "Who left OpenAI?",
             "Quel poste occupait Mira Murati chez OpenAI ?", "Did Hugo Vasseur leave Meta?"]
COMPANIES = ["Meta", "OpenAI"]
PAGE = 4096  # SQLite's default page size, which both databases use


# -- damage ------------------------------------------------------------------------------------
def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def garbage(path: Path) -> None:
    path.write_bytes(random.Random(path.name).randbytes(path.stat().st_size))


def random_bytes(path: Path, offsets: list[int], length: int = 16) -> None:
    """`length` random bytes written at each offset (negative: from the end)."""
    data = bytearray(path.read_bytes())
    rng = random.Random(repr(offsets))
    for offset in offsets:
        start = offset % len(data)
        end = min(len(data), start + length)
        data[start:end] = rng.randbytes(end - start)
    path.write_bytes(bytes(data))


Damage = Callable[[Path], None]


# -- a copy of the seed index, and what it answers ----------------------------------------------
def copy_of(seed_workdir: Path, target: Path) -> EngineSettings:
    shutil.copytree(seed_workdir / "corpus", target / "corpus")
    shutil.copytree(seed_workdir / "data", target / "data")
    return make_settings(target, target / "corpus" / "articles")


def answers(engine: Engine) -> dict[str, Any]:
    out: dict[str, Any] = {q: engine.ask(q).to_dict() for q in QUESTIONS}
    out.update({f"company {c}": engine.company(c).to_dict() for c in COMPANIES})
    return out


@pytest.fixture(scope="module")
def reference(seed_workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = copy_of(seed_workdir, tmp_path_factory.mktemp("undamaged"))
    found = answers(Engine(settings, llm=False))
    assert any(not a["abstained"] for k, a in found.items() if k in QUESTIONS)
    return found


def damaged(seed_workdir: Path, target: Path, damage: Damage, what: str) -> EngineSettings:
    """A copy of the seed index with one file damaged: the move records ("moves") or a
    file of the keyword cache. `doctor` loads the engine, which repairs: each check gets
    its own copy."""
    settings = copy_of(seed_workdir, target)
    damage(settings.moves_db if what == "moves" else settings.keyword_dir / what)
    return settings


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.startswith("index.")]


def checks(settings: EngineSettings) -> dict[str, Any]:
    return {c.name: c for c in doctor(Engine(settings, llm=False), None, quick=True)}


MOVES_DAMAGE: dict[str, Damage] = {
    "truncated": truncate,
    "garbage": garbage,
    "random bytes in the file header": lambda p: random_bytes(p, [0]),
    "random bytes in page headers": lambda p: random_bytes(p, [PAGE, 2 * PAGE, 3 * PAGE]),
}
KEYWORD_DAMAGE: dict[str, tuple[str, Damage]] = {
    "indices: random bytes in the middle": (
        "indices.csc.index.npy", lambda p: random_bytes(p, [p.stat().st_size // 2])),
    "indices: random bytes at the end": ("indices.csc.index.npy", lambda p: random_bytes(p, [-8])),
    "indices: random bytes in the npy header": (
        "indices.csc.index.npy", lambda p: random_bytes(p, [10])),
    "data: random bytes in the middle": (
        "data.csc.index.npy", lambda p: random_bytes(p, [p.stat().st_size // 2])),
    "data: truncated": ("data.csc.index.npy", truncate),
    "vocabulary: garbage": ("vocab.index.json", garbage),
    "chunk ids: truncated": ("ids.json", truncate),
}


@pytest.mark.parametrize("case", sorted(MOVES_DAMAGE))
def test_damaged_move_records_are_detected_and_rebuilt(
    case: str, reliability: Any, reference: dict[str, Any], seed_workdir: Path,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    r = reliability(18, "damaged state: move records rebuilt from the store")
    before = checks(damaged(seed_workdir, tmp_path / "doctor", MOVES_DAMAGE[case], "moves"))
    settings = damaged(seed_workdir, tmp_path / "engine", MOVES_DAMAGE[case], "moves")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        found = answers(Engine(settings, llm=False))
    said = warnings(caplog)
    r.record(f"{case}: doctor saw it", not before["move records"].ok)
    r.record(f"{case}: warnings", len(said))
    assert not before["move records"].ok and "damaged" in before["move records"].detail
    assert found == reference
    assert len(said) == 1 and "move records" in said[0], said
    assert derived.moves_damage(settings) is None
    assert checks(settings)["move records"].ok


@pytest.mark.parametrize("case", sorted(KEYWORD_DAMAGE))
def test_damaged_keyword_cache_is_detected_and_rebuilt(
    case: str, reliability: Any, reference: dict[str, Any], seed_workdir: Path,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    r = reliability(18, "damaged state: keyword cache rebuilt from the store")
    name, damage = KEYWORD_DAMAGE[case]
    before = checks(damaged(seed_workdir, tmp_path / "doctor", damage, name))
    settings = damaged(seed_workdir, tmp_path / "engine", damage, name)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        found = answers(Engine(settings, llm=False))
    said = warnings(caplog)
    r.record(f"{case}: doctor saw it", not before["keyword cache"].ok)
    r.record(f"{case}: warnings", len(said))
    assert not before["keyword cache"].ok and "checksum" in before["keyword cache"].detail
    assert found == reference
    assert len(said) == 1 and "keyword cache" in said[0], said
    assert derived.keyword_damage(settings) is None
    assert checks(settings)["keyword cache"].ok


@pytest.mark.parametrize("case", ["garbage", "truncated"])
def test_move_records_damaged_while_the_engine_runs_are_rebuilt(
    case: str, reliability: Any, reference: dict[str, Any], seed_workdir: Path,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """The file is damaged under an engine that has it open (a bot running)."""
    r = reliability(18, "damaged state: move records damaged under a running engine")
    settings = copy_of(seed_workdir, tmp_path)
    engine = Engine(settings, llm=False)
    assert answers(engine) == reference
    MOVES_DAMAGE[case](settings.moves_db)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        found = answers(engine)
        people = engine.people()
    said = warnings(caplog)
    assert found == reference and people
    if not said:
        # The running engine answered from pages SQLite had already read (the move store
        # is in WAL mode, so damage to the main file is only seen on a fresh read): the
        # next process to open the records must find the damage and repair it.
        r.record(f"{case}: answered from pages already read", True)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert answers(Engine(settings, llm=False)) == reference
        said = warnings(caplog)
    r.record(f"{case}: warnings", len(said))
    assert len(said) == 1 and "move records" in said[0], said
    assert derived.moves_damage(settings) is None


def test_an_ingest_repairs_damaged_derived_data_without_embedding(
    reliability: Any, reference: dict[str, Any], seed_workdir: Path, tmp_path: Path,
) -> None:
    r = reliability(18, "damaged state: a plain ingest repairs derived data")
    settings = copy_of(seed_workdir, tmp_path)
    garbage(settings.moves_db)
    random_bytes(settings.keyword_dir / "indices.csc.index.npy", [200])
    report = ingest(settings)
    r.record("chunks embedded", report.embedded_chunks)
    assert report.embedded_chunks == 0 and not report.skipped
    assert derived.moves_damage(settings) is None and derived.keyword_damage(settings) is None
    assert answers(Engine(settings, llm=False)) == reference


# -- the Chroma store, through the command line ------------------------------------------------
def cli(settings: EngineSettings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TALENTBOT_", "DISCORD_", "LLM_", "CHROMA_", "RUST_"))}
    env.update(TALENTBOT_DATA_DIR=str(settings.data_dir),
               TALENTBOT_CORPUS_DIR=str(settings.corpus_dir), RUST_BACKTRACE="1")
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env,
                          cwd=settings.corpus_dir.parent.parent, capture_output=True,
                          text=True, timeout=180)


def no_traceback(result: subprocess.CompletedProcess[str]) -> bool:
    text = result.stdout + result.stderr
    return "Traceback" not in text and "panicked" not in text


CHROMA_DAMAGE: dict[str, Damage] = {
    # Chroma's Rust core panics (PanicException, a BaseException) on these pages.
    "random bytes in its pages": lambda p: random_bytes(p, list(range(20_000, 50_000, 16))),
    "garbage header": lambda p: random_bytes(p, [0], 100),
    "truncated": lambda p: truncate(p, 0.3),
}


@pytest.mark.parametrize("case", sorted(CHROMA_DAMAGE))
def test_damaged_chroma_store_gives_one_message_and_rebuild_works(
    case: str, reliability: Any, seed_workdir: Path, tmp_path: Path,
) -> None:
    r = reliability(18, "damaged state: chroma.sqlite3 gives one message; --rebuild works")
    settings = copy_of(seed_workdir, tmp_path)
    question = QUESTIONS[0]
    expected = json.loads(cli(settings, "ask", "--json", question).stdout)
    CHROMA_DAMAGE[case](settings.chroma_db)

    report = cli(settings, "doctor", "--json")
    store = {c["name"]: c for c in json.loads(report.stdout)["checks"]}["vector store"]
    asked = cli(settings, "ask", question)
    ingested = cli(settings, "ingest")
    clean = [no_traceback(x) for x in (report, asked, ingested)]
    r.record(f"{case}: runs without a traceback", f"{sum(clean)}/{len(clean)}")
    assert all(clean), [x.stderr for x in (report, asked, ingested)]
    assert report.returncode != 0 and not store["ok"]
    for failed in (asked, ingested):
        lines = failed.stderr.strip().splitlines()
        assert failed.returncode != 0 and len(lines) == 1, failed.stderr
    for text in (store["detail"], asked.stderr, ingested.stderr):
        assert "damaged" in text and "talentbot restore" in text
        assert "talentbot ingest --rebuild" in text

    rebuilt = cli(settings, "ingest", "--rebuild")
    r.record(f"{case}: --rebuild exit code", rebuilt.returncode)
    assert rebuilt.returncode == 0 and no_traceback(rebuilt), rebuilt.stderr
    assert json.loads(cli(settings, "ask", "--json", question).stdout) == expected
    assert cli(settings, "doctor").returncode == 0


def test_restore_after_a_damaged_chroma_store_gives_the_same_answers(
    reliability: Any, seed_workdir: Path, tmp_path: Path,
) -> None:
    r = reliability(18, "damaged state: restore from a backup after chroma.sqlite3 damage")
    settings = copy_of(seed_workdir, tmp_path / "w")
    archive = backup(settings, tmp_path / "backup.tar.gz")
    question = QUESTIONS[1]
    expected = json.loads(cli(settings, "ask", "--json", question).stdout)
    CHROMA_DAMAGE["random bytes in its pages"](settings.chroma_db)
    assert cli(settings, "ask", question).returncode != 0
    restored = cli(settings, "restore", str(archive))
    after = cli(settings, "ask", "--json", question)
    r.record("restored answer identical", after.returncode == 0
             and json.loads(after.stdout) == expected)
    assert restored.returncode == 0 and no_traceback(restored), restored.stderr
    assert json.loads(after.stdout) == expected


def test_backup_leaves_damaged_records_out_and_refuses_a_damaged_store(
    reliability: Any, reference: dict[str, Any], seed_workdir: Path, tmp_path: Path,
) -> None:
    r = reliability(18, "damaged state: backups never carry damage")
    settings = copy_of(seed_workdir, tmp_path / "w")
    garbage(settings.moves_db)
    archive = backup(settings, tmp_path / "backup.tar.gz")
    with tarfile.open(archive) as tar:
        names = [Path(n).name for n in tar.getnames()]
    restore(settings, archive)
    r.record("damaged records archived", "moves.sqlite3" in names)
    assert "chroma.sqlite3" in names and "moves.sqlite3" not in names
    assert answers(Engine(settings, llm=False)) == reference  # records derived again
    CHROMA_DAMAGE["garbage header"](settings.chroma_db)
    with pytest.raises(StoreDamagedError, match="talentbot restore"):
        backup(settings, tmp_path / "second.tar.gz")
    assert not (tmp_path / "second.tar.gz").exists()

