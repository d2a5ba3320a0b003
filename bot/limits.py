"""Per-user cooldowns and a global cap on work in flight, with a bounded queue: every
command and every question goes through it (`limited()` for slash commands)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import discord

from bot.errors import BusyError, CooldownError


class Limiter:
    def __init__(
        self,
        max_concurrent: int,
        max_waiting: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_concurrent = max_concurrent
        self.max_waiting = max_waiting
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._last_use: dict[int, float] = {}
        self._waiting = 0
        self._running = 0
        self._avg_seconds = 0.5
        self.peak_running = 0
        self.peak_waiting = 0

    def check_cooldown(self, user_id: int) -> None:
        """Raise CooldownError if the user asked less than `cooldown_s` ago; else note it."""
        now = self._clock()
        last = self._last_use.get(user_id)
        if last is not None and now - last < self.cooldown_s:
            raise CooldownError(self.cooldown_s - (now - last))
        self._last_use[user_id] = now
        if len(self._last_use) > 10_000:  # forget users whose cooldown is long over
            horizon = now - self.cooldown_s
            self._last_use = {u: t for u, t in self._last_use.items() if t > horizon}

    def check_capacity(self) -> None:
        """Raise BusyError when every place is taken and the queue is full."""
        if self._semaphore.locked() and self._waiting >= self.max_waiting:
            backlog = self._waiting + self._running
            raise BusyError(self._avg_seconds * backlog / self.max_concurrent)

    @asynccontextmanager
    async def slot(
        self, queued: Callable[[], Awaitable[Any]] | None = None
    ) -> AsyncIterator[None]:
        """Hold one of the `max_concurrent` places; BusyError when the queue is full.

        `queued` is awaited once the place in the queue is taken, before waiting for a
        turn (an interaction's defer: a BusyError can then no longer follow it)."""
        self.check_capacity()
        self._waiting += 1
        self.peak_waiting = max(self.peak_waiting, self._waiting)
        try:
            if queued is not None:
                await queued()
            await self._semaphore.acquire()
        finally:
            self._waiting -= 1
        self._running += 1
        self.peak_running = max(self.peak_running, self._running)
        started = self._clock()
        try:
            yield
        finally:
            self._running -= 1
            self._semaphore.release()
            self._avg_seconds = 0.8 * self._avg_seconds + 0.2 * (self._clock() - started)

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return self._waiting


@asynccontextmanager
async def limited(
    limiter: Limiter, interaction: discord.Interaction, *, ephemeral: bool = False
) -> AsyncIterator[None]:
    """The one gate every slash command's work goes through: room in the queue, the user's
    cooldown, then a place among `max_concurrent`. The defer is sent once the place in the
    queue is taken (no await before it), so a refusal is always the first, ephemeral
    response, never a public follow-up; a refused command costs no work and no cooldown."""
    limiter.check_capacity()
    limiter.check_cooldown(interaction.user.id)

    async def defer() -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)

    async with limiter.slot(queued=defer):
        yield
