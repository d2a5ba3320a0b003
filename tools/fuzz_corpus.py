"""Coverage-guided fuzzing of the corpus loader with atheris (optional, not a dependency).

    pip install atheris
    .venv/bin/python tools/fuzz_corpus.py -runs=20000 -max_len=4096 -timeout=10 [SEED_DIR]

Each input becomes one article file (.md or .txt, chosen by the first byte) that
`read_article` must either load or refuse with CorpusFileError; anything else, or an input
that takes longer than -timeout seconds, is a finding. A loaded article must have a one-line
title and a body; and text placed right after the start of a hidden element, comment or
script spliced into the input never comes out of the HTML sanitiser. tests/reliability
runs it briefly when atheris is installed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from index.corpus import read_article, sanitize_html
    from index.errors import CorpusFileError

LIMIT = 100_000
_FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-corpus-"))
_HIDERS = (
    ("<script>", "</script>"), ("<style>", "</style>"), ("<!--", "-->"),
    ("<div hidden>", "</div>"), ("<span style='display:none'>", "</span>"),
    ("<template>", "</template>"), ("<p class=sr-only>", "</p>"),
    ("<style>.h { display: none }</style><b class=h>", "</b>"),
)


def one_input(data: bytes) -> None:
    if not data:
        return
    suffix = ".txt" if data[0] % 2 else ".md"
    path = _FOLDER / f"fuzz{suffix}"
    path.write_bytes(data[1:])
    try:
        article = read_article(path, LIMIT)
    except CorpusFileError:
        pass
    else:
        if not article.title or "\n" in article.title or not article.body.strip():
            raise AssertionError(f"bad article from {data[:80]!r}: {article!r}")
    # Text right after a hiding element's start stays hidden whatever follows it: markup in
    # the input may end the element early, but only after SECRET. (Input *before* the
    # element may swallow its start tag, e.g. "<!" opens a bogus comment up to the next
    # ">", and a browser would then show the text too: not a finding.)
    text = data[1:].decode("utf-8", "replace")
    if "SECRET" in text:
        return
    opening, closing = _HIDERS[data[0] % len(_HIDERS)]
    out = sanitize_html("Intro " + opening + "SECRET " + text + closing)
    if "SECRET" in out:
        raise AssertionError(f"hidden text came through for {data[:200]!r}")


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
