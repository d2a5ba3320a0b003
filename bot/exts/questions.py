"""Questions: on mention, in allow-listed channels, in the bot's threads, and /ask."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import refusal
from bot.errors import user_message
from bot.limits import limited
from bot.render import NO_MENTIONS, answer_pages, plain
from bot.store import new_answer_id
from bot.views import answer_view
from index.conversation import looks_like_question
from index.safety import looks_like_injection
from index.types import Answer

if TYPE_CHECKING:
    from bot.client import TalentBot

log = logging.getLogger("talentbot.bot")
THREAD_NAME_LIMIT = 100


_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
)


def thread_name(question: str) -> str:
    """The question as a thread name, without direction overrides (no spoofed names); an
    injection attempt is not echoed into the channel's thread list."""
    if looks_like_injection(question):
        return "Question"
    name = " ".join(question.translate(_BIDI_CONTROLS).split()) or "Question"
    return name if len(name) <= THREAD_NAME_LIMIT else name[: THREAD_NAME_LIMIT - 1] + "…"


class Questions(commands.Cog):
    def __init__(self, bot: TalentBot) -> None:
        self.bot = bot

    # -- plain functions first -----------------------------------------------------------
    def strip_mention(self, content: str) -> str:
        me = self.bot.user
        if me is None:
            return content.strip()
        return re.sub(rf"<@!?{me.id}>", " ", content).strip()

    def wants_answer(self, message: discord.Message) -> bool:
        """Whether this message is a question for the bot (checked before any work)."""
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return False
        if refusal(self.bot.settings, message.guild.id if message.guild else None):
            return False  # the one access policy (bot.access); silence, not a reply
        if message.guild is None or me in message.mentions:
            return True
        channel = message.channel
        own_thread = isinstance(channel, discord.Thread) and channel.owner_id == me.id
        # In its own threads as in its channels: questions, not "thanks, lol".
        return (own_thread or channel.id in self.bot.settings.answer_channels) and (
            looks_like_question(message.content)
        )

    async def answer(self, question: str, user_id: int, context: list[str]) -> Answer:
        """A usable question, room in the queue, the user's cooldown, then a place in the
        queue and the engine off the event loop: a refused question costs no work and no
        cooldown."""
        self.bot.engine.clean_question(question)  # empty or too long: BadQuestionError
        self.bot.limiter.check_capacity()
        self.bot.limiter.check_cooldown(user_id)
        async with self.bot.limiter.slot():
            return await asyncio.to_thread(self.bot.engine.ask, question, context)

    async def send_answer(
        self, target: discord.abc.Messageable, answer: Answer, thread_id: int | None,
        reference: discord.Message | None = None,
    ) -> None:
        answer_id = new_answer_id()
        pages = answer_pages(answer)
        for i, page in enumerate(pages):
            extra: dict[str, Any] = {}
            if i == len(pages) - 1:
                extra["view"] = answer_view(answer_id, bool(answer.citations))
            if i == 0 and reference is not None:
                extra["reference"] = reference
                extra["mention_author"] = False
            await target.send(
                content=page.content, embeds=page.embeds, allowed_mentions=NO_MENTIONS, **extra
            )
        await self.record(answer, thread_id, answer_id)

    async def record(self, answer: Answer, thread_id: int | None, answer_id: str) -> None:
        """After sending: a store that cannot write (full disk, read-only data dir) costs
        the buttons and the thread's context, never the answer (logged and counted)."""
        await asyncio.to_thread(self.bot.store.save_answer, answer, thread_id, answer_id)

    # -- events and commands -------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not self.wants_answer(message):
            return
        question = self.strip_mention(message.content)
        if not question:
            return
        channel = message.channel
        in_own_thread = isinstance(channel, discord.Thread) and channel.owner_id == getattr(
            self.bot.user, "id", None
        )
        target: discord.abc.Messageable = channel
        reference: discord.Message | None = message
        try:
            context: list[str] = []
            if in_own_thread:
                context = await asyncio.to_thread(self.bot.store.thread_questions, channel.id)
            answer = await self.answer(question, message.author.id, context)
            if (
                self.bot.settings.open_threads
                and message.guild is not None
                and isinstance(channel, discord.TextChannel)
            ):
                try:
                    target = await message.create_thread(name=thread_name(question))
                    reference = None
                except discord.HTTPException as exc:  # no permission: answer in place
                    log.info("could not open a thread: %s", exc)
            thread_id = target.id if isinstance(target, discord.Thread) else None
            await self.send_answer(target, answer, thread_id, reference)
        except discord.Forbidden as exc:  # no right to post here: an error reply would be
            log.warning("cannot answer in channel %s: %s", channel.id, exc)  # refused too
        except Exception as exc:  # one error policy, see bot.errors
            text = user_message(exc, "message question")
            try:
                for piece in plain(text):
                    await message.reply(
                        piece, allowed_mentions=NO_MENTIONS, mention_author=False,
                        delete_after=30,
                    )
            except discord.HTTPException as reply_exc:
                log.warning("could not send the error reply: %s", reply_exc)

    @app_commands.command(name="ask", description="Ask about AI talent moves")
    @app_commands.describe(question="Your question, in English or French")
    async def ask(
        self, interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 4000],  # the engine's limit: see setup()
    ) -> None:
        self.bot.engine.clean_question(question)  # refused before the defer: ephemeral
        async with limited(self.bot.limiter, interaction):
            answer = await asyncio.to_thread(self.bot.engine.ask, question)
        answer_id = new_answer_id()
        pages = answer_pages(answer)
        for i, page in enumerate(pages):
            last = i == len(pages) - 1
            if last:
                await interaction.followup.send(
                    embeds=page.embeds, allowed_mentions=NO_MENTIONS,
                    view=answer_view(answer_id, bool(answer.citations)),
                )
            else:
                await interaction.followup.send(embeds=page.embeds, allowed_mentions=NO_MENTIONS)
        await self.record(answer, None, answer_id)

def declare_question_length(command: app_commands.Command[Any, Any, Any], limit: int) -> None:
    """The option's max_length is the engine's own limit (TALENTBOT_MAX_QUESTION_CHARS), so
    Discord refuses a longer question before it is sent. discord.py has no public setter;
    the parameter is replaced, not changed, because it is shared with the class."""
    params = command._params
    params["question"] = dataclasses.replace(params["question"], max_value=limit)


async def setup(bot: TalentBot) -> None:
    cog = Questions(bot)
    declare_question_length(cog.ask, bot.engine.settings.max_question_chars)
    await bot.add_cog(cog)
