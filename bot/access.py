"""Who may use the bot where: the one access policy, checked before any engine work.

Every path goes through `refusal()`: messages (bot.exts.questions), slash commands and
autocomplete (the command tree's `interaction_check`), buttons (the dynamic items and
views in bot.views). A refused interaction gets one ephemeral sentence (autocomplete, which
cannot carry a message, gets no choices); a refused message gets no reply at all.
"""

from __future__ import annotations

import logging

import discord

from bot.render import NO_MENTIONS
from bot.settings import BotSettings

log = logging.getLogger("talentbot.bot")

NO_DMS = "I only answer in servers, not in direct messages."
NOT_HERE = "I'm not set up to answer in this server."
MANAGERS_ONLY = "Only server managers can use /{name}."


def refusal(
    settings: BotSettings,
    guild_id: int | None,
    *,
    needs: discord.Permissions | None = None,
    has: discord.Permissions | None = None,
    command: str = "",
) -> str | None:
    """Why this place (and, for a command with default permissions, this user) is refused;
    None when allowed. `needs` is the command's declared default permissions: Discord hides
    such commands from other members, and they are checked here again because a server can
    override what Discord shows."""
    if guild_id is None:
        return None if settings.allow_dms else NO_DMS
    if settings.allowed_guilds and guild_id not in settings.allowed_guilds:
        return NOT_HERE
    if needs is not None and needs.value and (has is None or not has >= needs):
        return MANAGERS_ONLY.format(name=command)
    return None


async def interaction_allowed(settings: BotSettings, interaction: discord.Interaction) -> bool:
    """The policy for an interaction; answers a refusal itself and returns False."""
    command = interaction.command if interaction.type in (
        discord.InteractionType.application_command, discord.InteractionType.autocomplete
    ) else None
    needs = getattr(command, "default_permissions", None)
    why = refusal(settings, interaction.guild_id, needs=needs, has=interaction.permissions,
                  command=getattr(command, "qualified_name", ""))
    if why is None:
        return True
    log.info("refused %s interaction in guild %s: %s", interaction.type.name,
             interaction.guild_id, why)
    if interaction.response.is_done():
        return False
    if interaction.type is discord.InteractionType.autocomplete:
        await interaction.response.autocomplete([])
    else:
        await interaction.response.send_message(why, ephemeral=True, allowed_mentions=NO_MENTIONS)
    return False
