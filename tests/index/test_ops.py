"""doctor, backup and restore, as an operator runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from support.settings import make_settings

from index.engine import Engine
from index.errors import TalentbotError
from index.ops import backup, doctor, restore

CANARY = "canary-secret-81f0"
QUESTIONS = ["Who left OpenAI?", "Quel poste occupait Mira Murati chez OpenAI ?",
             "Did Hugo Vasseur leave Meta?"]


def cli(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("TALENTBOT_", "DISCORD_", "LLM_", "CHROMA_"))}
    base.update(TALENTBOT_DATA_DIR=str(workdir / "data"),
                TALENTBOT_CORPUS_DIR=str(workdir / "corpus" / "articles"), **env)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=workdir, env=base,
                          capture_output=True, text=True, timeout=120)


def test_doctor_reports_a_healthy_install_without_showing_secrets(seed_workdir: Path) -> None:
    result = cli(seed_workdir, "doctor", "--json", DISCORD_TOKEN=CANARY,
                 LLM_API_KEY=CANARY, CHROMA_AUTH_TOKEN=CANARY)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is True
    names = {c["name"]: c for c in report["checks"]}
    assert names["discord token"]["ok"] and names["index"]["ok"]
    assert "5 articles" in names["index"]["detail"]
    assert CANARY not in result.stdout + result.stderr


def test_doctor_fails_without_an_index(tmp_path: Path) -> None:
    engine = Engine(make_settings(tmp_path))
    checks = {c.name: c for c in doctor(engine, token_present=False)}
    assert not checks["index"].ok and "talentbot ingest" in checks["index"].detail
    assert not checks["discord token"].ok and not checks["discord token"].required


def test_backup_restores_to_identical_answers(seed_workdir: Path, tmp_path: Path) -> None:
    work = tmp_path / "w"
    shutil.copytree(seed_workdir / "corpus", work / "corpus")
    settings = make_settings(work, work / "corpus" / "articles")
    engine = Engine(settings)
    engine.ingest()
    before = [engine.ask(q).to_dict() for q in QUESTIONS]
    archive = backup(settings, tmp_path / "backup.tar.gz")
    shutil.rmtree(settings.data_dir)  # disaster
    restore(settings, archive)
    after = [Engine(settings).ask(q).to_dict() for q in QUESTIONS]
    assert after == before


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        note = tmp_path / "note.txt"
        note.write_text("hello")
        tar.add(note, arcname="note.txt")
    with pytest.raises(TalentbotError, match="not a talentbot backup"):
        restore(settings, bogus)
    (tmp_path / "garbage.tar.gz").write_bytes(b"\x00" * 100)
    with pytest.raises(TalentbotError, match="not a talentbot backup"):
        restore(settings, tmp_path / "garbage.tar.gz")
