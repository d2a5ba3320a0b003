"""Long outputs: a few messages at most, then one message paged with buttons.

A big corpus can give /company or /moves dozens of messages' worth of sources; posting them
all floods the channel and Discord's rate limits. Up to `DISCORD_MAX_MESSAGES` pages are
sent as they are; beyond that the first page is sent with "page 1 of N, N-1 more" and
Previous / Next buttons that show the others in place (the same pager as /sources).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.render import NO_MENTIONS, Page
from bot.views import PagerView


def numbered(pages: Sequence[Page], index: int) -> Page:
    """Page `index` with a line saying where it is and how many are left."""
    left = len(pages) - 1 - index
    where = f"Page {index + 1} of {len(pages)}" + (f" · {left} more: use Next" if left else "")
    page = pages[index]
    return Page(content=f"{page.content}\n{where}" if page.content else where,
                embeds=page.embeds)


async def send_pages(
    interaction: discord.Interaction,
    pages: list[Page],
    cap: int,
    *,
    ephemeral: bool = False,
    image: discord.File | None = None,
) -> int:
    """Send `pages` as follow-ups (at most `cap` messages); returns how many were sent.
    `image` is attached to the message that shows the last page, or to the paged one."""
    if not pages:
        return 0
    paged = len(pages) > cap
    carrier = pages[0] if paged else pages[-1]
    if image is not None:
        carrier.embeds[-1].set_image(url=f"attachment://{image.filename}")
    if paged:
        first = numbered(pages, 0)
        await interaction.followup.send(
            content=first.content or "", embeds=first.embeds, allowed_mentions=NO_MENTIONS,
            ephemeral=ephemeral, view=PagerView(lambda i: numbered(pages, i), len(pages)),
            files=[image] if image else [],
        )
        return 1
    for i, page in enumerate(pages):
        extra: dict[str, Any] = {}
        if i == len(pages) - 1 and image is not None:
            extra["files"] = [image]
        if page.content:
            extra["content"] = page.content
        await interaction.followup.send(
            embeds=page.embeds, allowed_mentions=NO_MENTIONS, ephemeral=ephemeral, **extra
        )
    return len(pages)
