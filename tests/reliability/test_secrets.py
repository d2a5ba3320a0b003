"""Row 4: secrets never leave their settings: logs, replies, repr, doctor, git."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.discord_server import DiscordTestServer
from tests_bot_helpers import as_message, bot_settings, restored_discord_endpoints

from bot.client import create_bot
from bot.settings import BotSettings
from bot.store import BotStore
from index.engine import Engine
from index.llm import LLMSettings
from index.ops import doctor

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "canary-discord-token-5d2c"
API_KEY = "sk-canary-llm-key-9a41"  # pragma: allowlist secret


async def test_canary_secrets_never_leak(
    reliability: Any, seed_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = reliability(4, "secrets: canary token and API key never leak")
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("LLM_API_KEY", API_KEY)
    places: dict[str, str] = {}
    with restored_discord_endpoints():
        async with DiscordTestServer(point_discord_py=False, token=TOKEN) as server:
            settings = bot_settings(server, tmp_path)
            assert settings.require_token() == TOKEN
            store = BotStore(tmp_path / "bot.sqlite3")
            bot = create_bot(seed_engine, settings, store, guild_ready_timeout=0.05)
            try:
                async with server.run_client(bot, ready_timeout=20):
                    # an answer, an engine error (nothing left to ask: /ask's max_length
                    # now stops a too-long question at Discord) and a refused command
                    handle = await server.slash_command("ask", {"question": "Who left OpenAI?"})
                    await server.wait_for_interaction_response(handle, timeout=15)
                    long_q = await server.slash_command("ask", {"question": "\x07" * 3})
                    await server.wait_for_interaction_response(long_q, timeout=15)
            finally:
                store.close()
            places["payloads"] = repr(server.outgoing_payloads())
            places["replies"] = repr([as_message(r) for h in (handle, long_q)
                                      for r in h.responses])
    places["logs"] = caplog.text
    places["settings repr"] = repr(settings) + str(settings) + repr(BotSettings(_env_file=None))
    places["llm settings repr"] = repr(LLMSettings(_env_file=None))
    places["doctor"] = repr([c.to_dict() for c in doctor(seed_engine, True, quick=True)])
    leaks = [name for name, text in places.items() if TOKEN in text or API_KEY in text]
    report.record("places checked", len(places))
    report.record("leaks", len(leaks))
    assert not leaks, leaks


def test_env_file_is_ignored_by_git(reliability: Any) -> None:
    report = reliability(4, "secrets: .env is git-ignored, scanner in make lint")
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode == 0
    makefile = (ROOT / "Makefile").read_text()
    report.record(".env ignored", ignored)
    report.record("scanner in lint", "detect-secrets-hook" in makefile)
    assert ignored and "detect-secrets-hook" in makefile
