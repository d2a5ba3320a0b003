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

from bot.render import NO_MENTIONS, company_pages
from index.text import fold

if TYPE_CHECKING:
    from bot.client import TalentBot

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
        self.bot.limiter.check_capacity()
        self.bot.limiter.check_cooldown(interaction.user.id)
        await interaction.response.defer(thinking=True)
        with tempfile.TemporaryDirectory(prefix="talentbot-chart-") as tmp:
            chart = Path(tmp) / CHART_NAME
            async with self.bot.limiter.slot():
                summary = await asyncio.to_thread(self.bot.engine.company, name, "en", chart)
            pages = company_pages(summary)
            files = []
            if summary.chart and chart.is_file():
                pages[-1].embeds[-1].set_image(url=f"attachment://{CHART_NAME}")
                files.append(discord.File(chart, filename=CHART_NAME))
            for i, page in enumerate(pages):
                last = i == len(pages) - 1
                await interaction.followup.send(
                    embeds=page.embeds, allowed_mentions=NO_MENTIONS,
                    files=files if last else [],
                )

    @company.autocomplete("name")
    async def company_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(self.bot.engine.companies, current)


async def setup(bot: TalentBot) -> None:
    await bot.add_cog(Companies(bot))
