"""Settings fail fast and never show secrets; intents and invite are the documented minimum."""

from __future__ import annotations

import re
from pathlib import Path

import discord
import pytest

from bot.client import INVITE_PERMISSIONS, required_intents
from bot.settings import BotSettings, load_bot_settings
from index.errors import ConfigError
from index.llm.settings import LLMSettings
from index.settings import EngineSettings

ROOT = Path(__file__).resolve().parents[2]
CANARY = "canary-token-3f1e"


def test_every_setting_is_in_env_example() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    for cls in (BotSettings, EngineSettings, LLMSettings):
        for field in cls.model_fields.values():
            assert field.validation_alias in documented, field.validation_alias


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", CANARY)
    monkeypatch.setenv("CHROMA_AUTH_TOKEN", CANARY)
    bot, engine = load_bot_settings(), EngineSettings(_env_file=None)  # type: ignore[call-arg]
    assert CANARY not in repr(bot) + str(bot) + repr(engine) + str(engine)
    assert bot.require_token() == CANARY


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    settings = BotSettings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        settings.require_token()


def test_bad_id_list_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_ANSWER_CHANNELS", "general")
    with pytest.raises(ConfigError, match="DISCORD_ANSWER_CHANNELS"):
        load_bot_settings()


def test_intents_are_the_minimum() -> None:
    intents = required_intents(BotSettings(_env_file=None))  # type: ignore[call-arg]
    expected = discord.Intents.none()
    expected.guilds = expected.guild_messages = expected.message_content = True
    assert intents == expected
    with_dms = required_intents(BotSettings(_env_file=None, DISCORD_ALLOW_DMS=True))  # type: ignore[call-arg]
    assert with_dms.dm_messages and not with_dms.members and not with_dms.presences


def test_invite_permissions_match_the_readme_and_are_least_privilege() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"permissions={INVITE_PERMISSIONS.value}" in readme
    granted = {name for name, on in INVITE_PERMISSIONS if on}  # read_messages: View Channel
    assert granted == {
        "read_messages", "send_messages", "send_messages_in_threads", "create_public_threads",
        "embed_links", "attach_files", "read_message_history",
    }
    assert not INVITE_PERMISSIONS.administrator and not INVITE_PERMISSIONS.mention_everyone


def test_readme_invite_and_sync_steps_match_the_code() -> None:
    """The invite asks for the scope sync-commands needs; the documented options exist."""
    from bot.cli import _parser

    readme = (ROOT / "README.md").read_text()
    assert "scope=bot+applications.commands" in readme  # registering needs this scope
    assert "`talentbot sync-commands --guild ID`" in readme
    args = _parser().parse_args(["sync-commands", "--guild", "42"])
    assert args.guild == 42 and args.func.__name__ == "cmd_sync"
    assert _parser().parse_args(["sync-commands"]).guild is None
