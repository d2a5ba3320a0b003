"""Everything that turns engine results into Discord messages, in one place.

Rules that hold for every message the bot sends:
- text from users and articles is escaped: no markdown, no mention, no link of its own
  (URLs in quotes are defanged); bidirectional-override characters are removed;
- the only links are the articles' own URLs from their metadata;
- every payload fits Discord's limits (2,000 characters of content, 10 embeds, 6,000
  embed characters, 4,096 per description, 25 fields, 256 per field name, 1,024 per
  field value), splitting on line or sentence boundaries, never inside a quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote as urlquote

import discord

from index.links import defang
from index.types import Answer, ArticleInfo, Citation, CompanySummary, Move, PersonSummary

CONTENT_LIMIT = 2_000
DESCRIPTION_LIMIT = 4_096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1_024
FIELDS_PER_EMBED = 25
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6_000
QUOTE_PREVIEW = 300

NO_MENTIONS = discord.AllowedMentions.none()
COLOUR = discord.Colour(0x5865F2)
ABSTAIN_COLOUR = discord.Colour(0x99AAB5)

_BIDI = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
)
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")


def safe(text: str) -> str:
    """User or article text made inert: no mention, markdown, link or direction override."""
    text = text.translate(_BIDI)
    text = defang(text)  # every scheme://, wherever it starts (index/links.py)
    text = discord.utils.escape_markdown(text)
    text = discord.utils.escape_mentions(text)
    # escape_mentions only knows 17-20 digit ids; any <@...> must stay inert.
    return _MENTION.sub(lambda m: m.group(0).replace("@", "@\u200b").replace("#", "#\u200b"), text)


def safe_url(url: str | None) -> str | None:
    """An article URL from metadata, usable inside a masked link."""
    if not url or not re.match(r"^https?://[^\s<>]+$", url):
        return None
    return urlquote(url, safe=":/?#[]@!$&'*+,;=%~-._")


@dataclass
class Page:
    """One Discord message: content and/or embeds, within the limits."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut between lines, else between sentences,
    else between words; a quoted line is kept whole whenever it fits."""
    pieces: list[str] = []
    current = ""
    for unit in _units(text, limit):
        candidate = f"{current}\n{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def _units(text: str, limit: int) -> Iterable[str]:
    for line in text.split("\n"):
        if len(line) <= limit:
            yield line
            continue
        sentences = re.split(r"(?<=[.!?»”])\s+", line)
        buffer = ""
        for sentence in sentences:
            while len(sentence) > limit:  # one giant "sentence": cut at a space
                cut = sentence.rfind(" ", 0, limit) if " " in sentence[:limit] else limit
                cut = cut if cut > 0 else limit
                if buffer:
                    yield buffer
                    buffer = ""
                yield sentence[:cut]
                sentence = sentence[cut:].lstrip()
            candidate = f"{buffer} {sentence}" if buffer else sentence
            if len(candidate) <= limit:
                buffer = candidate
            else:
                yield buffer
                buffer = sentence
        if buffer:
            yield buffer


def _source_field(c: Citation) -> tuple[str, str]:
    name = f"[{c.n}] {safe(c.title)}"
    if len(name) > FIELD_NAME_LIMIT:
        name = name[: FIELD_NAME_LIMIT - 1] + "…"
    details = " · ".join(safe(p) for p in (c.outlet, c.published) if p) or "article"
    url = safe_url(c.url)
    value = f"{details} · [link]({url})" if url else details
    quote = safe(c.quote)
    if len(quote) > QUOTE_PREVIEW:
        quote = quote[:QUOTE_PREVIEW].rsplit(" ", 1)[0] + " …"
    value = f"{value}\n> {quote}"
    if len(value) > FIELD_VALUE_LIMIT:
        value = value[: FIELD_VALUE_LIMIT - 1] + "…"
    return name, value


def _pages(
    body: str, fields: Sequence[tuple[str, str]], colour: discord.Colour, footer: str | None
) -> list[Page]:
    """Pack description pieces, then fields, into embeds and messages within every limit."""
    footer_text = (footer or "")[:2048]
    budget = EMBED_TOTAL_LIMIT - len(footer_text)  # keep room for the footer on the last
    pages: list[Page] = [Page()]
    size = 0

    def new_embed(description: str | None, cost: int) -> discord.Embed:
        nonlocal size
        if len(pages[-1].embeds) >= EMBEDS_PER_MESSAGE or size + cost > budget:
            pages.append(Page())
            size = 0
        embed = discord.Embed(description=description, colour=colour)
        pages[-1].embeds.append(embed)
        return embed

    for piece in split_text(body, DESCRIPTION_LIMIT - 96) or ["\u200b"]:
        embed = new_embed(piece, len(piece))
        size += len(piece)
    for name, value in fields:
        cost = len(name) + len(value)
        if len(embed.fields) >= FIELDS_PER_EMBED or size + cost > budget:
            embed = new_embed(None, cost)
        embed.add_field(name=name, value=value, inline=False)
        size += cost
    if footer_text:
        pages[-1].embeds[-1].set_footer(text=footer_text)
    return [p for p in pages if p.embeds]


def answer_pages(answer: Answer) -> list[Page]:
    """The answer text with its sources as embed fields."""
    fields = [_source_field(c) for c in answer.citations]
    colour = ABSTAIN_COLOUR if answer.abstained else COLOUR
    footer = None
    if not answer.abstained:
        footer = f"{answer.mode} answer · confidence {answer.confidence:.0%}"
    return _pages(safe(answer.text), fields, colour, footer)


def company_pages(summary: CompanySummary) -> list[Page]:
    fields = [_source_field(c) for c in summary.citations]
    colour = COLOUR if summary.found else ABSTAIN_COLOUR
    return _pages(f"**{safe(summary.company)}**\n{safe(summary.summary)}", fields, colour, None)


def person_pages(summary: PersonSummary) -> list[Page]:
    fields = [_source_field(c) for c in summary.citations]
    colour = COLOUR if summary.found else ABSTAIN_COLOUR
    return _pages(safe(summary.summary), fields, colour, None)


def moves_pages(rows: Sequence[tuple[Move, Citation]], title: str) -> list[Page]:
    """A filtered list of move records, each with its numbered source."""
    lines = [f"**{safe(title)}**"]
    citations = []
    for n, (move, citation) in enumerate(rows[:25], start=1):
        route = f"{move.from_org or '?'} → {move.to_org or '?'}"
        details = ", ".join(d for d in (move.role, move.date) if d)
        lines.append(f"- {safe(move.person)}: {safe(route)}"
                     + (f" ({safe(details)})" if details else "") + f" [{n}]")
        citations.append(replace(citation, n=n))
    if len(rows) > 25:
        lines.append(f"… and {len(rows) - 25} more (narrow the filters).")
    if not rows:
        lines.append("No move records match.")
    return _pages("\n".join(lines), [_source_field(c) for c in citations], COLOUR, None)


def sources_text(citations: Sequence[Citation]) -> list[str]:
    """Full quotes for the "Show sources" button, as plain messages of ≤ 2,000 characters."""
    blocks = []
    for c in citations:
        head = " · ".join(safe(p) for p in (c.title, c.outlet, c.published) if p)
        url = safe_url(c.url)
        link = f" <{url}>" if url else ""
        blocks.append(f"**[{c.n}]** {head}{link}\n> {safe(c.quote)}")
    return split_text("\n".join(blocks), CONTENT_LIMIT) or ["No sources."]


def articles_page(articles: Sequence[ArticleInfo], page: int, per_page: int = 10) -> Page:
    pages = max(1, -(-len(articles) // per_page))
    page = min(max(page, 0), pages - 1)
    lines = []
    for a in articles[page * per_page:(page + 1) * per_page]:
        details = " · ".join(safe(p) for p in (a.outlet, a.published) if p)
        url = safe_url(a.url)
        title = f"[{safe(a.title)}]({url})" if url else safe(a.title)
        lines.append(f"• {title}" + (f" — {details}" if details else ""))
    embed = discord.Embed(
        title=f"Articles ({len(articles)})", description="\n".join(lines)[:DESCRIPTION_LIMIT]
        or "No articles indexed yet.", colour=COLOUR,
    )
    embed.set_footer(text=f"Page {page + 1}/{pages}")
    return Page(embeds=[embed])


def plain(text: str) -> list[str]:
    """A plain message from the bot's own words plus untrusted text, escaped and split."""
    return split_text(safe(text), CONTENT_LIMIT)
