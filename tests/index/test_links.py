"""Defanging links: every scheme, wherever it starts, on generated text."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from index.links import ZWSP, defang, live_links
from index.llm.check import FOREIGN_LINK, check_answer
from index.types import Citation

SCHEME_CHARS = string.ascii_letters + string.digits + "+.-"


def renderable_links(text: str) -> list[int]:
    """Where a markdown renderer could start a link, found without the module's regexes:
    a `://` with a scheme letter right before it and something after it, or a `www.`
    starting a host name (not every renderer links it; we break it anyway)."""
    found = []
    for i in range(1, len(text) - 3):
        if text[i : i + 3] == "://" and text[i - 1] in SCHEME_CHARS and not text[i + 3].isspace():
            found.append(i)
    for i in range(len(text) - 4):
        before = text[i - 1] if i else " "
        if (text[i : i + 4].lower() == "www." and not (before.isalnum() or before in "._-")
                and not text[i + 4].isspace() and text[i + 4] != "."):
            found.append(i)
    return found


SCHEME = st.one_of(
    st.sampled_from(["http", "https", "HTTPS", "hTtP", "ftp", "discord", "steam", "mailto"]),
    st.from_regex(r"[a-zA-Z][a-zA-Z0-9+.\-]{0,12}", fullmatch=True),
)
GLUE = st.one_of(st.just(""), st.characters(), st.text(max_size=3))
HOST = st.from_regex(r"[a-z0-9\-]{1,12}\.example(/[\w\-?=&]{0,12})?", fullmatch=True)


@st.composite
def glued_links(draw: st.DrawFn) -> str:
    before = draw(st.text(max_size=20))
    return f"{before}{draw(GLUE)}{draw(SCHEME)}://{draw(HOST)}{draw(st.text(max_size=10))}"


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.one_of(glued_links(), st.text(max_size=30)), max_size=6).map("".join))
def test_no_link_survives_defanging(text: str) -> None:
    out = defang(text)
    assert renderable_links(out) == []
    assert live_links(out) == []
    assert out.replace(ZWSP, "") == text.replace(ZWSP, "")  # nothing visible changes
    assert defang(out) == out


@settings(max_examples=200, deadline=None)
@given(link=glued_links())
def test_glued_links_are_found_and_refused_in_model_output(link: str) -> None:
    assert live_links(link)
    source = Citation(1, "a", "t", "o", None, "https://news.example/a", "quote", 0)
    verdict = check_answer(f"Il est parti {link} [1].", [source], 2_000)
    assert verdict == (False, FOREIGN_LINK)


def test_named_glued_forms() -> None:
    for text in ("xhttps://evil.example/p", "_https://evil.example/p", "1https://evil.example",
                 "voir:https://evil.example", "www.evil.example/x", "(WWW.evil.example)"):
        assert renderable_links(text), text
        assert not renderable_links(defang(text)), text


def test_ordinary_text_is_untouched() -> None:
    text = "Le ratio 3:2 et l'heure 10:30 ; awww. un e-mail: x@y.fr, https sans lien."
    assert defang(text) == text
