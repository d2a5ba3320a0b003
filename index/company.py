"""Company summaries from the text: what the articles say about people joining or leaving.

This version is retrieval-based: it finds the sentences that name the company (by any of
its names) and speak of a move, and quotes them, one article after another so every
article that reports moves is cited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.organisations import Organisation
from index.store import StoredChunk
from index.text import fold, split_sentences
from index.types import Citation, CompanySummary, Language

MAX_QUOTES = 8

_MOVE = re.compile(
    r"(?<!\w)(?:quitt\w*|rejoi\w*|recrut\w*|embauch\w*|debauch\w*|depart\w*|parti[se]?|"
    r"demission\w*|engag\w*|fonda\w*|cofonda\w*|fuite|exode|talents?|anciens?|"
    r"join\w*|left|leav\w*|hire\w*|hiring|poach\w*|recruit\w*|depart\w*|quit\w*|resign\w*|"
    r"found(?:ed|er)\w*)(?!\w)"
)
_TEXTS = {
    "en": {
        "lead": "What my articles say about people joining and leaving {name}:",
        "none": "My articles don't mention {name}.",
        "quiet": "My articles mention {name}, but not people joining or leaving it.",
    },
    "fr": {
        "lead": "Ce que disent mes articles des arrivées et départs chez {name} :",
        "none": "Mes articles ne mentionnent pas {name}.",
        "quiet": "Mes articles mentionnent {name}, mais pas d'arrivées ni de départs.",
    },
}


def summarise_company(
    org: Organisation, chunks: Iterable[StoredChunk], language: Language = "en"
) -> CompanySummary:
    pattern = org.pattern()
    texts = _TEXTS[language]
    mentioned = False
    per_article: dict[str, list[tuple[int, StoredChunk, int, str]]] = {}
    seen: set[tuple[str, int]] = set()
    for chunk in chunks:
        if not pattern.search(fold(chunk.text)):
            continue
        mentioned = True
        for sentence in split_sentences(chunk.text):
            folded = fold(sentence.text)
            if not pattern.search(folded):
                continue
            moves = len(_MOVE.findall(folded))
            key = (chunk.article_id, chunk.start + sentence.start)
            if moves == 0 or key in seen:
                continue
            seen.add(key)
            per_article.setdefault(chunk.article_id, []).append(
                (moves, chunk, sentence.start, sentence.text)
            )
    if not mentioned:
        return CompanySummary(org.name, False, texts["none"].format(name=org.name), (),
                              org.aliases + org.parts, language)
    if not per_article:
        return CompanySummary(org.name, True, texts["quiet"].format(name=org.name), (),
                              org.aliases + org.parts, language)
    # Newest articles first; within one, the sentences with the most move words first.
    order = sorted(
        per_article,
        key=lambda aid: (str(per_article[aid][0][1].meta.get("published", "")), aid),
        reverse=True,
    )
    queues = {aid: sorted(per_article[aid], key=lambda r: -r[0]) for aid in order}
    picked: list[tuple[StoredChunk, int, str]] = []
    while len(picked) < MAX_QUOTES and any(queues.values()):
        for aid in order:  # round-robin so every reporting article is cited
            if queues[aid] and len(picked) < MAX_QUOTES:
                _, chunk, start, text = queues[aid].pop(0)
                picked.append((chunk, start, text))
    citations = tuple(
        Citation(
            n=i + 1,
            article_id=chunk.article_id,
            title=str(chunk.meta.get("title", chunk.article_id)),
            outlet=chunk.meta.get("outlet"),
            published=chunk.meta.get("published"),
            url=chunk.meta.get("url"),
            quote=text,
            start=chunk.start + start,
        )
        for i, (chunk, start, text) in enumerate(picked)
    )
    quote = "« {} » [{}]" if language == "fr" else "“{}” [{}]"
    lines = [texts["lead"].format(name=org.name)]
    lines += ["- " + quote.format(c.quote, c.n) for c in citations]
    return CompanySummary(org.name, True, "\n".join(lines), citations,
                          org.aliases + org.parts, language)
