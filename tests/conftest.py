"""Shared fixtures: a seed-corpus index built once, settings on temporary folders, and the
real bot against the loopback Discord server (tests/bot and tests/reliability use them).
Helpers live in tests/support/ and are imported as `support.…`."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.bot import BotFactory, bot_settings, restored_discord_endpoints
from support.discord_server import DiscordTestServer
from support.settings import ROOT, SEED_CORPUS, make_settings

from bot.client import create_bot
from bot.store import BotStore
from index.engine import Engine
from index.settings import EngineSettings


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


@pytest.fixture
async def discord_server() -> AsyncIterator[DiscordTestServer]:
    with restored_discord_endpoints():
        async with DiscordTestServer(point_discord_py=False) as server:
            yield server
            # Every request the test caused was judged by Discord's API description and
            # documented limits; one that broke them fails the test.
            server.assert_no_violations()


@pytest.fixture
def start_bot(
    discord_server: DiscordTestServer, seed_engine: Engine, tmp_path: Path
) -> BotFactory:
    """`async with start_bot(engine=..., **settings) as bot:` runs the bot in the block."""

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
