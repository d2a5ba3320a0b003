"""Helpers for driving the real bot over real HTTP and websocket against the test server:
its settings, and reading what it sent (the fixtures are in tests/conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord

from bot.settings import BotSettings

from .discord_server import DiscordTestServer

NO_PARSE = {"parse": []}


def pings_nobody(payload: dict[str, Any]) -> bool:
    """allowed_mentions parses nothing (a reply may add replied_user: false)."""
    mentions = dict(payload.get("allowed_mentions") or {"missing": True})
    if mentions.get("replied_user") is False:
        del mentions["replied_user"]
    return mentions == NO_PARSE


@contextlib.contextmanager
def restored_discord_endpoints() -> Any:
    """The bot points discord.py at the test server through its settings; undo that."""
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


def bot_settings(server: DiscordTestServer, tmp: Path, **extra: Any) -> BotSettings:
    values: dict[str, Any] = {
        "DISCORD_TOKEN": server.token,
        "DISCORD_API_BASE": server.api_base,
        "DISCORD_GATEWAY_URL": server.gateway_url,
        "DISCORD_DEV_GUILDS": str(server.guild_id),
        "DISCORD_USER_COOLDOWN_S": 0,
        "TALENTBOT_FEEDBACK_DB": tmp / "bot.sqlite3",
    }
    values.update(extra)
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


BotFactory = Callable[..., Any]


def as_message(record: Any) -> dict[str, Any]:
    """A recorded message dict, from a message or an interaction response record."""
    if isinstance(record, dict):
        return record
    return dict(record.message or record.payload.get("data", record.payload))


def embed_text(message: Any) -> str:
    """All visible text of a recorded message (or interaction response): content, embed
    titles, descriptions and fields."""
    message = as_message(message)
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts.append(embed.get("title") or "")
        parts.append(embed.get("description") or "")
        for f in embed.get("fields") or []:
            parts += [f.get("name", ""), f.get("value", "")]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(parts)
