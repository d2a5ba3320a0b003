"""/reindex (administrators only): an ingest off the event loop, progress shown by edits."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.limits import limited

if TYPE_CHECKING:
    from bot.client import TalentBot

log = logging.getLogger("talentbot.bot")
EDIT_EVERY_S = 2.0  # Discord rate-limits edits; progress need not be finer


class Admin(commands.Cog):
    def __init__(self, bot: TalentBot) -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Re-read the corpus (administrators)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        # Managers only: the default permissions above, enforced by bot.access.
        loop = asyncio.get_running_loop()
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= EDIT_EVERY_S or done == total:
                last = now
                asyncio.run_coroutine_threadsafe(
                    interaction.edit_original_response(
                        content=f"Re-indexing the corpus… {done}/{total} articles"
                    ),
                    loop,
                )

        async with limited(self.bot.limiter, interaction, ephemeral=True):
            report = await asyncio.to_thread(self.bot.engine.ingest, None, progress=progress)
        lines = [
            f"Done in {report.seconds:.1f} s: {report.articles_added} added, "
            f"{report.articles_updated} updated, {report.articles_removed} removed, "
            f"{report.articles_unchanged} unchanged."
        ]
        for item in report.skipped:
            log.warning("reindex skipped %s: %s", item.path, item.reason)
        if report.skipped:
            lines.append(f"{len(report.skipped)} file(s) skipped; see the bot's log.")
        await interaction.edit_original_response(content="\n".join(lines))


async def setup(bot: TalentBot) -> None:
    await bot.add_cog(Admin(bot))
