"""Company summaries from the text: what the articles say about people joining or leaving.

This version is retrieval-based: it finds the sentences that name the company (by any of
its names) and speak of a move, and quotes them, one article after another so every
article that reports moves is cited.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from index.organisations import Organisation
from index.safety import looks_like_injection
from index.store import StoredChunk
from index.text import fold, split_sentences
from index.types import CompanySummary, Language

MAX_QUOTES = 8

_MOVE = re.compile(
    r"(?<!\w)(?:quitt\w*|rejoi\w*|recrut\w*|embauch\w*|debauch\w*|depart\w*|partis?|"
    r"demission\w*|engage[rs]?|fonda\w*|cofonda\w*|fuite|exode|talents?|anciens?|"
    r"join\w*|left|leav\w*|hire\w*|hiring|poach\w*|recruit\w*|depart\w*|quit\w*|resign\w*|"
    r"found(?:ed|er)\w*)(?!\w)"
)
# Two capitalised words in a row, not opening the sentence: most likely a person's name.
_PERSON = re.compile(r"(?<=[\s,(])[A-ZÀ-Þ][a-zà-ÿ]+(?:-[A-ZÀ-Þ][a-zà-ÿ]+)? [A-ZÀ-Þ][a-zà-ÿ]+")
_TEXTS = {
    "en": {
        "lead": "What my articles say about people joining and leaving {name}:",
        "none": "My articles don't mention {name}.",
        "quiet": "My articles mention {name}, but not people joining or leaving it.",
        "partners": "Other organisations named in these moves: {names}.",
    },
    "fr": {
        "lead": "Ce que disent mes articles des arrivées et départs chez {name} :",
        "none": "Mes articles ne mentionnent pas {name}.",
        "quiet": "Mes articles mentionnent {name}, mais pas d'arrivées ni de départs.",
        "partners": "Autres organisations citées dans ces mouvements : {names}.",
    },
}


def summarise_company(
    org: Organisation,
    chunks: Iterable[StoredChunk],
    language: Language = "en",
    others: Sequence[Organisation] = (),
) -> CompanySummary:
    """`others` are the known organisations, used to prefer sentences naming a counterpart."""
    pattern = org.pattern()
    other_patterns = [(o, o.pattern()) for o in others if o.name != org.name]
    partners: Counter[str] = Counter()
    texts = _TEXTS[language]
    mentioned = False
    per_article: dict[str, list[tuple[float, StoredChunk, int, str]]] = {}
    seen: set[tuple[str, int]] = set()
    for chunk in chunks:
        if not pattern.search(fold(chunk.text)):
            continue
        mentioned = True
        recent = -99  # index of the last sentence naming the company
        for i, sentence in enumerate(split_sentences(chunk.text)):
            if looks_like_injection(sentence.text):
                continue
            folded = fold(sentence.text)
            named = bool(pattern.search(folded))
            named_others = [o.name for o, p in other_patterns if p.search(folded)]
            counterparts = len(named_others)
            if named:
                recent = i
            elif not (i - recent <= 2 and counterparts == 0):
                # A sentence that names no organisation still speaks of the one named just
                # before ("Le fleuron français de l'IA a aussi recruté ...").
                continue
            moves = len(_MOVE.findall(folded))
            key = (chunk.article_id, chunk.start + sentence.start)
            if moves == 0 or key in seen:
                continue
            seen.add(key)
            partners.update(named_others)
            people = len(_PERSON.findall(sentence.text))
            weight = moves + 1.5 * people + 2.0 * counterparts + (0.5 if named else 0.0)
            per_article.setdefault(chunk.article_id, []).append(
                (weight, chunk, sentence.start, sentence.text)
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
        key=lambda aid: (per_article[aid][0][1].article.published or "", aid),
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
        chunk.article.cite(i + 1, text, chunk.start + start)
        for i, (chunk, start, text) in enumerate(picked)
    )
    quote = "« {} » [{}]" if language == "fr" else "“{}” [{}]"
    lines = [texts["lead"].format(name=org.name)]
    lines += ["- " + quote.format(c.quote, c.n) for c in citations]
    if partners:
        partner_list = ", ".join(name for name, _ in partners.most_common(8))
        lines.append(texts["partners"].format(names=partner_list))
    return CompanySummary(org.name, True, "\n".join(lines), citations,
                          org.aliases + org.parts, language)
