"""The Discord client: intents, sharding, extensions, command sync, one error handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import access
from bot.errors import user_message
from bot.limits import Limiter
from bot.render import NO_MENTIONS, plain
from bot.settings import BotSettings
from bot.status import keep_writing, status_path
from bot.store import BotStore
from bot.views import FeedbackButton, SourcesButton
from index.engine import Engine

log = logging.getLogger("talentbot.bot")

EXTENSIONS = (
    "bot.exts.questions", "bot.exts.companies", "bot.exts.moves", "bot.exts.info", "bot.exts.admin",
)

# What the invite asks for, and nothing more (checked by a test against the README).
INVITE_PERMISSIONS = discord.Permissions(
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    view_channel=True,
)


def required_intents(settings: BotSettings) -> discord.Intents:
    """Guilds (channels and threads), guild messages and their content; DMs only if on."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True  # privileged: enable it in the Developer Portal
    intents.dm_messages = settings.allow_dms
    return intents


def point_at_api(settings: BotSettings) -> None:
    """Use a Discord-compatible server (self-hosted, or the tests') instead of Discord."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base.rstrip("/")
    if settings.gateway_url:
        import yarl

        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


class TalentBotMixin:
    """Shared by the single-process and the auto-sharded client."""

    engine: Engine
    settings: BotSettings
    store: BotStore
    limiter: Limiter

    def _setup(self, engine: Engine, settings: BotSettings, store: BotStore) -> None:
        self.sync_only = False  # `talentbot sync-commands`: commands only, no engine, no status
        self.engine = engine
        self.settings = settings
        self.store = store
        self.limiter = Limiter(
            settings.max_concurrent, settings.max_waiting, settings.user_cooldown_s
        )
        self.ready_event = asyncio.Event()
        self.status_changed = asyncio.Event()
        self._status_stop = asyncio.Event()
        self._status_task: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        bot: Any = self
        for name in EXTENSIONS:
            await bot.load_extension(name)
        bot.tree.on_error = self.on_app_command_error
        bot.tree.interaction_check = self.interaction_allowed
        if self.sync_only:
            return
        # Model and index load before the gateway connects, off the event loop.
        await asyncio.to_thread(self.engine.warm_up)
        bot.add_dynamic_items(FeedbackButton, SourcesButton)
        path = status_path(self.settings, self.engine.settings.data_dir)
        self._status_task = asyncio.create_task(keep_writing(self, path, self._status_stop))
        for guild_id in sorted(self.settings.dev_guilds):
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            await bot.tree.sync(guild=guild)
            log.info("commands synced to development guild %s", guild_id)

    async def on_ready(self) -> None:
        bot: Any = self
        log.info("connected as %s (%s guilds)", bot.user, len(bot.guilds))
        self.ready_event.set()
        self.status_changed.set()

    # The status file follows the gateway (see bot/status.py).
    async def on_disconnect(self) -> None:
        self.status_changed.set()

    async def on_resumed(self) -> None:
        self.status_changed.set()

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self.status_changed.set()

    async def on_shard_resumed(self, shard_id: int) -> None:
        self.status_changed.set()

    async def close(self) -> None:
        self._status_stop.set()
        if self._status_task is not None:
            await self._status_task  # writes "closed" last
        await super().close()  # type: ignore[misc]

    async def interaction_allowed(self, interaction: discord.Interaction) -> bool:
        """The command tree's check (commands and autocomplete): see bot.access."""
        return await access.interaction_allowed(self.settings, interaction)

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = getattr(error, "original", error)
        name = getattr(interaction.command, "qualified_name", None) or "unknown command"
        # The log line carries the same error id as the message the user sees.
        await send_ephemeral(interaction, user_message(cause, f"/{name}"))

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        import sys

        user_message(sys.exc_info()[1] or RuntimeError(event_method), event_method)


def _client_options(settings: BotSettings) -> dict[str, Any]:
    return {
        "command_prefix": commands.when_mentioned,
        "intents": required_intents(settings),
        "allowed_mentions": NO_MENTIONS,
        "help_command": None,
    }


class TalentBot(TalentBotMixin, commands.Bot):
    def __init__(self, engine: Engine, settings: BotSettings, store: BotStore, **kw: Any) -> None:
        super().__init__(**_client_options(settings), **kw)
        self._setup(engine, settings, store)

    async def on_message(self, message: discord.Message) -> None:
        return None  # questions are handled by bot.exts.questions; no prefix commands


class ShardedTalentBot(TalentBotMixin, commands.AutoShardedBot):
    def __init__(self, engine: Engine, settings: BotSettings, store: BotStore, **kw: Any) -> None:
        super().__init__(**_client_options(settings), shard_count=settings.shard_count, **kw)
        self._setup(engine, settings, store)

    async def on_message(self, message: discord.Message) -> None:
        return None  # as above


def create_bot(
    engine: Engine, settings: BotSettings, store: BotStore, **kw: Any
) -> TalentBot | ShardedTalentBot:
    point_at_api(settings)
    if settings.shard_count:
        return ShardedTalentBot(engine, settings, store, **kw)
    return TalentBot(engine, settings, store, **kw)


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    pieces: Sequence[str] = plain(text) or ["…"]
    if interaction.response.is_done():
        await interaction.followup.send(pieces[0], ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            pieces[0], ephemeral=True, allowed_mentions=NO_MENTIONS
        )
