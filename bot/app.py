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


def sync_commands(guild_id: int | None = None) -> int:
    """Register the slash commands globally (Discord shows them everywhere within about an
    hour), or in one server at once with `guild_id`. Needs no index: only the command tree."""
    import discord

    from index.errors import ConfigError, TalentbotError

    settings = load_bot_settings()
    token = settings.require_token()
    bot = build(settings, Engine(load_engine_settings()))
    bot.sync_only = True  # setup_hook loads the commands and nothing else

    async def main() -> list[discord.app_commands.AppCommand]:
        async with bot:
            await bot.login(token)  # runs setup_hook, once
            if guild_id is None:
                return await bot.tree.sync()
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            return await bot.tree.sync(guild=guild)

    try:
        synced = asyncio.run(main())
    except discord.LoginFailure:
        raise ConfigError("Discord refused DISCORD_TOKEN: copy the bot token again from the "
                          "Developer Portal (Bot → Reset Token).") from None
    except discord.Forbidden:
        where = f"server {guild_id}" if guild_id else "this application"
        raise TalentbotError(
            f"Discord refused to register commands for {where}: invite the bot with the "
            "applications.commands scope (see the README's invite link)."
        ) from None
    except discord.HTTPException as exc:
        raise TalentbotError(f"Discord refused the commands: {exc.status} {exc.text}") from None
    finally:
        bot.store.close()
    scope = f"in server {guild_id}" if guild_id else "globally (visible within about an hour)"
    print(f"Synced {len(synced)} commands {scope}: " + ", ".join(f"/{c.name}" for c in synced))
    return 0
