"""/person and /moves: the move records, filtered, with their evidence."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotAllowedError
from bot.exts.companies import choices
from bot.limits import limited
from bot.paging import send_pages
from bot.render import moves_pages, person_pages
from index.moves.query import MoveFilter

if TYPE_CHECKING:
    from bot.client import TalentBot

_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


class Moves(commands.Cog):
    def __init__(self, bot: TalentBot) -> None:
        self.bot = bot

    @app_commands.command(name="person", description="Where a person went, with sources")
    @app_commands.describe(name="A person's name, e.g. Guillaume Lample")
    async def person(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]
    ) -> None:
        async with limited(self.bot.limiter, interaction):
            summary = await asyncio.to_thread(self.bot.engine.person, name)
        await send_pages(interaction, person_pages(summary), self.bot.settings.max_messages)

    @person.autocomplete("name")
    async def person_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(self.bot.engine.people, current)

    @app_commands.command(name="moves", description="Talent moves, filtered")
    @app_commands.describe(
        from_org="Organisation they left", to_org="Organisation they joined",
        since="Only moves dated from (YYYY, YYYY-MM or YYYY-MM-DD)",
    )
    @app_commands.rename(from_org="from", to_org="to")
    async def moves(
        self, interaction: discord.Interaction,
        from_org: app_commands.Range[str, 1, 100] | None = None,
        to_org: app_commands.Range[str, 1, 100] | None = None,
        since: app_commands.Range[str, 4, 10] | None = None,
    ) -> None:
        if since and not _DATE.fullmatch(since):
            raise NotAllowedError("`since` takes a date like 2024, 2024-06 or 2024-06-01.")
        engine = self.bot.engine
        async with limited(self.bot.limiter, interaction):
            f = MoveFilter(
                from_org=engine.organisation(from_org) if from_org else None,
                to_org=engine.organisation(to_org) if to_org else None,
                since=since,
            )
            rows = await asyncio.to_thread(engine.moves, f)
        title = "Moves" + "".join(
            part for part in (
                f" from {f.from_org}" if f.from_org else "", f" to {f.to_org}" if f.to_org else "",
                f" since {since}" if since else "",
            )
        )
        await send_pages(interaction, moves_pages(rows, title), self.bot.settings.max_messages)

    @moves.autocomplete("from_org")
    @moves.autocomplete("to_org")
    async def org_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(self.bot.engine.companies, current)


async def setup(bot: TalentBot) -> None:
    await bot.add_cog(Moves(bot))
