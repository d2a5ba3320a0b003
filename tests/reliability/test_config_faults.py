"""Rows 5 and 15: least privilege, and model/store drift and backups."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import discord
import pytest
from support.settings import make_settings

from bot.client import INVITE_PERMISSIONS, required_intents
from bot.settings import BotSettings
from index.engine import Engine
from index.errors import IndexMismatchError
from index.ops import backup, restore
from index.store import ChunkStore

ROOT = Path(__file__).resolve().parents[2]
MINIMUM = {"read_messages", "send_messages", "send_messages_in_threads",
           "create_public_threads", "embed_links", "attach_files", "read_message_history"}


def test_least_privilege(reliability: Any) -> None:
    r = reliability(5, "least privilege: intents and invite permissions are the minimum")
    intents = required_intents(BotSettings(_env_file=None))  # type: ignore[call-arg]
    granted = {name for name, on in INVITE_PERMISSIONS if on}
    privileged = [n for n in ("members", "presences") if getattr(intents, n)]
    r.record("intents", sorted(n for n, on in intents if on))
    r.record("permissions", sorted(granted))
    r.record("documented in README", f"permissions={INVITE_PERMISSIONS.value}"
             in (ROOT / "README.md").read_text())
    assert granted == MINIMUM and not privileged
    assert not INVITE_PERMISSIONS.administrator and not INVITE_PERMISSIONS.mention_everyone
    assert intents.message_content and intents.guild_messages and not intents.dm_messages
    assert intents.value == (discord.Intents.none().value | discord.Intents(
        guilds=True, guild_messages=True, message_content=True).value)


def test_model_and_store_drift(reliability: Any, seed_workdir: Path, tmp_path: Path) -> None:
    r = reliability(15, "drift: another model or dimension refused; backup restores answers")
    work = tmp_path / "w"
    shutil.copytree(seed_workdir / "corpus", work / "corpus")
    settings = make_settings(work, work / "corpus" / "articles")
    engine = Engine(settings, llm=False)
    engine.ingest()
    refused = 0
    for model, dim in (("another-model", 384), ("all-MiniLM-L6-v2/onnx-int8-per-channel", 768)):
        with pytest.raises(IndexMismatchError, match="--rebuild"):
            ChunkStore.open(settings, model, dim, create=False)
        refused += 1
    questions = ["Who left OpenAI?", "Quel poste occupait Mira Murati chez OpenAI ?",
                 "Did Hugo Vasseur leave Meta?", "Where did Sebastien Bubeck teach?"]
    before = [engine.ask(q).to_dict() for q in questions]
    archive = backup(settings, tmp_path / "b.tar.gz")
    shutil.rmtree(settings.data_dir)
    restore(settings, archive)
    after = [Engine(settings, llm=False).ask(q).to_dict() for q in questions]
    r.record("mismatches refused", refused)
    r.record("answers compared after restore", len(questions))
    r.record("answers differing", sum(a != b for a, b in zip(after, before, strict=True)))
    assert after == before
