"""Buttons under answers. They are dynamic items: the custom id carries the answer id, so
a click works on any message, including ones sent before a restart."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Protocol

import discord

from bot import access
from bot.errors import user_message
from bot.render import NO_MENTIONS, sources_text
from bot.settings import BotSettings
from bot.store import BotStore


class ButtonHost(Protocol):
    """What the buttons need of the bot (bot.client's TalentBot), named here so that this
    module does not import the client that registers it."""

    @property
    def settings(self) -> BotSettings: ...

    @property
    def store(self) -> BotStore: ...


def _bot(interaction: discord.Interaction) -> ButtonHost:
    return interaction.client  # type: ignore[return-value]


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tb:fb:(?P<vote>[ud]):(?P<aid>[0-9a-f]{16})",
):
    def __init__(self, vote: str, answer_id: str) -> None:
        helpful = vote == "u"
        super().__init__(
            discord.ui.Button(
                label="Helpful" if helpful else "Not helpful",
                emoji="👍" if helpful else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"tb:fb:{vote}:{answer_id}",
            )
        )
        self.vote = vote
        self.answer_id = answer_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await access.interaction_allowed(_bot(interaction).settings, interaction)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FeedbackButton:
        return cls(match["vote"], match["aid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        try:
            known = await asyncio.to_thread(
                bot.store.record_feedback, self.answer_id, interaction.user.id, self.vote == "u"
            )
            text = {True: "Thanks for the feedback!", False: "I no longer have that answer.",
                    None: "Thanks! I couldn't save your vote just now."}[known]
        except Exception as exc:  # one error policy (bot.errors)
            text = user_message(exc, "feedback")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


class SourcesButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tb:src:(?P<aid>[0-9a-f]{16})",
):
    def __init__(self, answer_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Show sources", emoji="📰", style=discord.ButtonStyle.primary,
                custom_id=f"tb:src:{answer_id}",
            )
        )
        self.answer_id = answer_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await access.interaction_allowed(_bot(interaction).settings, interaction)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SourcesButton:
        return cls(match["aid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        answer = await asyncio.to_thread(_bot(interaction).store.answer, self.answer_id)
        if answer is None or not answer.citations:
            await interaction.response.send_message(
                "No sources for this answer.", ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        pages = sources_text(answer.citations)
        await interaction.response.send_message(
            pages[0], ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
        )
        for page in pages[1:]:
            await interaction.followup.send(
                page, ephemeral=True, allowed_mentions=NO_MENTIONS, suppress_embeds=True
            )


def answer_view(answer_id: str, with_sources: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton("u", answer_id))
    view.add_item(FeedbackButton("d", answer_id))
    if with_sources:
        view.add_item(SourcesButton(answer_id))
    return view


class PagerView(discord.ui.View):
    """Previous / next for /sources and long outputs (bot.paging); short-lived: it belongs
    to one reply and stops after `timeout` seconds."""

    def __init__(self, render: Any, pages: int, timeout: float = 300) -> None:
        super().__init__(timeout=timeout)
        self._render = render
        self._pages = pages
        self.page = 0
        self._sync()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await access.interaction_allowed(_bot(interaction).settings, interaction)

    def _sync(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self._pages - 1

    async def _show(self, interaction: discord.Interaction) -> None:
        self._sync()
        page = self._render(self.page)
        await interaction.response.edit_message(
            content=page.content, embeds=page.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        self.page -= 1
        await self._show(interaction)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        self.page += 1
        await self._show(interaction)
