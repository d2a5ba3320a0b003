"""/company: arrivals and departures with sources and a flow chart; names autocompleted."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.limits import limited
from bot.paging import send_pages
from bot.render import company_pages
from index.chart import flow_chart
from index.text import fold

if TYPE_CHECKING:
    from bot.client import TalentBot
    from index.types import CompanySummary

MAX_CHOICES = 25
CHART_NAME = "talent-flows.png"


def matching(names: list[str], typed: str) -> list[str]:
    """Names starting with what was typed first, then names containing it."""
    wanted = fold(typed.strip())
    starts = [n for n in names if fold(n).startswith(wanted)]
    contains = [n for n in names if wanted in fold(n) and n not in starts]
    return (starts + contains)[:MAX_CHOICES]


async def choices(names: Callable[[], list[str]], typed: str) -> list[app_commands.Choice[str]]:
    """Autocomplete choices from an engine listing (run off the event loop)."""
    found = await asyncio.to_thread(names)
    return [app_commands.Choice(name=n, value=n) for n in matching(found, typed)]


class Companies(commands.Cog):
    def __init__(self, bot: TalentBot) -> None:
        self.bot = bot

    @app_commands.command(name="company", description="Who joined and who left a company")
    @app_commands.describe(name="Company or lab, e.g. Meta, Mistral AI, OpenAI")
    async def company(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]
    ) -> None:
        with tempfile.TemporaryDirectory(prefix="talentbot-chart-") as tmp:
            async with limited(self.bot.limiter, interaction):
                summary, chart = await asyncio.to_thread(
                    self._summary_and_chart, name, Path(tmp) / CHART_NAME
                )
            image = discord.File(chart, filename=CHART_NAME) if chart else None
            await send_pages(interaction, company_pages(summary), self.bot.settings.max_messages,
                             image=image)

    def _summary_and_chart(self, name: str, path: Path) -> tuple[CompanySummary, Path | None]:
        """The engine's summary, and its chart drawn here by the face (none for an unknown
        name); both in the worker thread: drawing takes a few hundred milliseconds."""
        summary = self.bot.engine.company(name, "en")
        return summary, flow_chart(summary, path, "en")

    @company.autocomplete("name")
    async def company_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(self.bot.engine.companies, current)


async def setup(bot: TalentBot) -> None:
    await bot.add_cog(Companies(bot))
