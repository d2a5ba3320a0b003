"""Rendering: escaping, links and Discord's limits, on generated worst cases."""

from __future__ import annotations

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_PER_EMBED,
    answer_pages,
    safe,
    safe_url,
    sources_text,
    split_text,
)
from index.types import Answer, Citation

HOSTILE = st.sampled_from([
    "@everyone", "@here", "<@123456789012345678>", "<@&123456789012345678>", "<@!42>",
    "[clic](https://evil.example)", "![img](http://evil.example/a.png)", "https://bare.example",
    "**gras**", "`code`", "```bloc```", "> citation", "\u202eevil", "@\u200beveryone", "\n",
])
TEXT = st.lists(st.one_of(HOSTILE, st.text(max_size=80)), max_size=30).map(" ".join)


def check_limits(pages: list) -> None:
    for page in pages:
        assert len(page.embeds) <= EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in page.embeds) <= EMBED_TOTAL_LIMIT
        for embed in page.embeds:
            assert len(embed.description or "") <= DESCRIPTION_LIMIT
            assert len(embed.fields) <= FIELDS_PER_EMBED
            for f in embed.fields:
                assert len(f.name or "") <= FIELD_NAME_LIMIT
                assert len(f.value or "") <= FIELD_VALUE_LIMIT


def visible(pages: list) -> str:
    return "\n".join(
        "\n".join([e.description or ""] + [f"{f.name}\n{f.value}" for f in e.fields])
        for p in pages for e in p.embeds
    )


@settings(max_examples=60, deadline=None)
@given(text=TEXT, quotes=st.lists(TEXT, max_size=30), title=TEXT)
def test_answers_fit_discord_limits_and_cannot_ping_or_link(
    text: str, quotes: list[str], title: str
) -> None:
    citations = tuple(
        Citation(i + 1, "a", title or "t", "outlet", None, "https://ok.example/a", q or "q", 0)
        for i, q in enumerate(quotes)
    )
    pages = answer_pages(Answer("q", text or "x", citations, False, 0.5, "extractive", "en"))
    check_limits(pages)
    shown = visible(pages)
    for needle in ("@everyone", "@here", "<@1", "<@&", "<@!", "https://evil", "https://bare"):
        assert needle not in shown
    assert "\u202e" not in shown
    links = [f.value for e in pages[-1].embeds for f in e.fields]
    assert all("(https://ok.example/a)" in v for v in links)  # metadata URLs survive


@given(TEXT, st.integers(min_value=20, max_value=300))
def test_split_text_respects_the_limit(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())  # nothing lost


def test_quote_lines_are_kept_whole() -> None:
    lines = [f"“{'mot ' * 40}fin.” [{n}]" for n in range(1, 20)]
    for piece in split_text("\n".join(lines), 500):
        for line in piece.split("\n"):
            assert line in lines


def test_sources_text_is_plain_and_split() -> None:
    citation = Citation(1, "a", "Titre", "Média", "2024-05-01", None, "Phrase. " * 600, 0)
    pages = sources_text((citation,))
    assert len(pages) > 1 and all(len(p) <= CONTENT_LIMIT for p in pages)


def test_safe_url_accepts_only_web_addresses() -> None:
    assert safe_url("https://example.org/a b") is None
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://example.org/a_(b)") == "https://example.org/a_%28b%29"


def test_safe_escapes_markdown_and_mentions() -> None:
    out = safe("**x** @everyone <@&123456789012345678>")
    assert "**" not in out and "@everyone" not in out and "<@&1" not in out
    assert discord.utils.remove_markdown(out)
