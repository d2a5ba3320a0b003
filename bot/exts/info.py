"""/sources (the articles it knows, paged) and /about (version, corpus, index freshness)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

import index
from bot.limits import limited
from bot.render import COLOUR, NO_MENTIONS, articles_page
from bot.views import PagerView
from index.ops import doctor

if TYPE_CHECKING:
    from bot.client import TalentBot

PER_PAGE = 10


class Info(commands.Cog):
    def __init__(self, bot: TalentBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="The articles I answer from")
    async def sources(self, interaction: discord.Interaction) -> None:
        async with limited(self.bot.limiter, interaction, ephemeral=True):
            articles = await asyncio.to_thread(self.bot.engine.articles)
        pages = max(1, -(-len(articles) // PER_PAGE))
        view = PagerView(lambda page: articles_page(articles, page, PER_PAGE), pages)
        first = articles_page(articles, 0, PER_PAGE)
        await interaction.followup.send(
            embeds=first.embeds, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="about", description="What this bot is and what it knows")
    async def about(self, interaction: discord.Interaction) -> None:
        async with limited(self.bot.limiter, interaction, ephemeral=True):
            info = await asyncio.to_thread(self.bot.engine.info)
            checks = await asyncio.to_thread(
                doctor, self.bot.engine, self.bot.settings.token is not None, True
            )
        embed = discord.Embed(
            title="talentbot",
            description=(
                "I answer questions about AI talent moves from news articles, "
                "and always show the article and sentence I answer from."
            ),
            colour=COLOUR,
        )
        embed.add_field(name="Version", value=index.__version__)
        embed.add_field(name="Articles", value=f"{info.articles} ({info.chunks} chunks)")
        embed.add_field(name="Answers", value=info.answer_mode)
        embed.add_field(name="Embedding model", value=info.embed_model, inline=False)
        embed.add_field(name="Index updated", value=info.updated or "unknown", inline=False)
        health = "\n".join(f"{'✅' if c.ok else ('❌' if c.required else '⚠️')} {c.name}"
                           for c in checks)
        embed.add_field(name="Health", value=health[:1024], inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: TalentBot) -> None:
    await bot.add_cog(Info(bot))
