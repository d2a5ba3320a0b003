"""Starting the Discord bot (`make run` with a token, `talentbot serve`, `python -m bot`)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from bot.settings import BotSettings, load_bot_settings
from index.engine import Engine
from index.settings import load_engine_settings

log = logging.getLogger("talentbot.bot")


def _store_path(settings: BotSettings, engine: Engine) -> os.PathLike[str]:
    return settings.feedback_db or engine.settings.data_dir / "bot.sqlite3"


def build(bot_settings: BotSettings | None = None, engine: Engine | None = None):  # type: ignore[no-untyped-def]
    """The bot object, ready to start (tests start it against their own server)."""
    from bot.client import create_bot
    from bot.store import BotStore

    settings = bot_settings or load_bot_settings()
    engine = engine or Engine(load_engine_settings())
    store = BotStore(_store_path(settings, engine))  # type: ignore[arg-type]
    return create_bot(engine, settings, store)


def _ensure_index(engine: Engine) -> None:
    if engine.has_index():
        return
    print(f"Building the index from {engine.settings.corpus_dir} ...", file=sys.stderr)
    report = engine.ingest()
    for item in report.skipped:
        print(f"skipped {item.path}: {item.reason}", file=sys.stderr)


def run_bot() -> int:
    """Run until interrupted. Exit code 0 on a clean stop."""
    settings = load_bot_settings()
    token = settings.require_token()
    engine = Engine(load_engine_settings())
    _ensure_index(engine)
    bot = build(settings, engine)
    # The command line configured logging already; discord.py's own handler would print
    # every line twice.
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLogger().level))
    try:
        bot.run(token, log_handler=None)
    finally:
        bot.store.close()
    return 0


def sync_commands() -> int:
    """Register the slash commands globally (Discord takes up to an hour to show them)."""
    settings = load_bot_settings()
    token = settings.require_token()
    engine = Engine(load_engine_settings())
    _ensure_index(engine)
    bot = build(settings, engine)

    async def main() -> None:
        async with bot:
            await bot.login(token)
            await bot.setup_hook()
            synced = await bot.tree.sync()
            print(f"Synced {len(synced)} commands globally: "
                  + ", ".join(f"/{c.name}" for c in synced))

    asyncio.run(main())
    bot.store.close()
    return 0
