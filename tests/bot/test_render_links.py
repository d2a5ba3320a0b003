"""Echoed arguments and article quotes: no glued link survives rendering."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import answer_pages, company_pages, moves_pages
from index.types import Answer, Citation, CompanySummary

# What Discord would still link: a scheme letter directly before "://" (no word boundary).
LIVE = re.compile(r"(?i)[a-z0-9+.\-]://\S")
GLUED = st.tuples(
    st.sampled_from(["x", "_", "1", "X", "é", "*", "~", "|", "\\", ""]),
    st.sampled_from(["https", "http", "HTTPS", "ftp", "discord", "steam", "web+x"]),
).map(lambda t: f"{t[0]}{t[1]}://evil.example/phish")


def visible(pages: list) -> str:
    return "\n".join(
        "\n".join([e.description or ""] + [f"{f.name}\n{f.value}" for f in e.fields])
        for p in pages for e in p.embeds
    )


@settings(max_examples=80, deadline=None)
@given(link=GLUED)
def test_company_name_moves_filter_and_quotes_are_defanged(link: str) -> None:
    source = Citation(1, "a", f"Titre {link}", "outlet", None, "https://ok.example/a",
                      f"Il a rejoint Lumenfeld {link} hier.", 0)
    pages = [
        *company_pages(CompanySummary(link, False, f"No moves for {link}.", ())),
        *moves_pages([], f"Moves from {link}"),
        *answer_pages(Answer("q", f"Selon {link} [1].", (source,), False, 0.5, "extractive", "fr")),
    ]
    text = visible(pages)
    assert "evil.example" in text
    assert "(https://ok.example/a)" in text  # the metadata URL stays a link
    assert not LIVE.search(text.replace("(https://ok.example/a)", "")), text
