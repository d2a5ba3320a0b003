"""Links in untrusted text: where they are, and how to make them inert.

One home for "what counts as a link", used by the Discord faces (bot/render.py defangs
every quote, answer and echoed argument) and by the model-output check (index/llm/check.py
rejects links that are not a source's own URL).

A scheme is recognised wherever it starts, not only after a word boundary: Discord's
markdown ends a text run before any `word:` and then tries its URL rule, so in
`xhttps://evil.example`, `_https://…` or `1https://…` the `https://…` part becomes a live
link. Defanging therefore breaks every `://` itself (a zero-width space before it), whatever
precedes it, and every `www.` that starts a host name; nothing else in the text changes.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"

# Any "scheme://" (the scheme may be glued to whatever precedes it) and what follows, up to
# a space or a character that cannot be part of a URL in running text.
SCHEME_URL = re.compile(r"(?i)[a-z][a-z0-9+.\-]*://[^\s<>\"'`]*")
# "www." opening a host name (not "awww." nor "x.www."): some markdown renderers link it.
WWW = re.compile(r"(?i)(?<![\w.\-])www\.(?=[^\s.])")
WWW_URL = re.compile(r"(?i)(?<![\w.\-])www\.[^\s<>\"'`]+")
MAILTO = re.compile(r"(?i)mailto:[^\s<>\"'`]+")

_COLON_SLASHES = re.compile(r"(?<!\u200b)://")


def defang(text: str) -> str:
    """`text` with every scheme link and `www.` host broken by a zero-width space, so that
    no markdown renderer turns it into a link; the visible text is unchanged."""
    text = _COLON_SLASHES.sub(ZWSP + "://", text)
    return WWW.sub("www" + ZWSP + ".", text)


def live_links(text: str) -> list[str]:
    """Every `scheme://…` and `www.…` that a renderer could still turn into a link."""
    return [m.group(0) for pattern in (SCHEME_URL, WWW_URL) for m in pattern.finditer(text)]
