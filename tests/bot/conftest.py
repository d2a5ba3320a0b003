"""Fixtures for the bot's end-to-end tests (helpers live in tests_bot_helpers)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from support.discord_server import DiscordTestServer
from tests_bot_helpers import BotFactory, bot_settings, restored_discord_endpoints

from bot.client import create_bot
from bot.store import BotStore
from index.engine import Engine


@pytest.fixture
async def discord_server() -> AsyncIterator[DiscordTestServer]:
    with restored_discord_endpoints():
        async with DiscordTestServer(point_discord_py=False) as server:
            yield server


@pytest.fixture
def start_bot(
    discord_server: DiscordTestServer, seed_engine: Engine, tmp_path: Path
) -> BotFactory:
    """`async with start_bot(**settings) as bot:` runs the bot until the block ends."""

    @contextlib.asynccontextmanager
    async def run(engine: Engine | None = None, **extra: Any) -> AsyncIterator[Any]:
        settings = bot_settings(discord_server, tmp_path, **extra)
        store = BotStore(settings.feedback_db or tmp_path / "bot.sqlite3")
        bot = create_bot(engine or seed_engine, settings, store, guild_ready_timeout=0.05)
        try:
            async with discord_server.run_client(bot, ready_timeout=20):
                yield bot
        finally:
            store.close()

    return run


