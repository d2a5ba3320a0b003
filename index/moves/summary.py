"""Company and person summaries, and answers, built from the move records."""

from __future__ import annotations

from collections.abc import Sequence

from index.moves.query import (
    MoveFilter,
    RecordQuestion,
    citation_for,
    describe,
    find_moves,
    resolve_person,
)
from index.moves.store import MoveStore
from index.organisations import Organisation
from index.types import (
    Answer,
    Citation,
    CitedMove,
    CompanySummary,
    Language,
    Move,
    PersonSummary,
)

MAX_LISTED = 15

_TEXT = {
    "en": {
        "head": "{name}: {a} arrival(s) and {d} departure(s) in my articles.",
        "arrivals": "Arrivals (newest first):",
        "departures": "Departures (newest first):",
        "context": "Also in the articles:",
        "more": "… and {n} more.",
        "none": "My articles don't mention {name}.",
        "person_none": "I don't find {name} among the people my articles say moved.",
        "person_head": "Moves of {name} in my articles:",
        "records": "From the moves recorded in my articles:",
    },
    "fr": {
        "head": "{name} : {a} arrivée(s) et {d} départ(s) dans mes articles.",
        "arrivals": "Arrivées (les plus récentes d'abord) :",
        "departures": "Départs (les plus récents d'abord) :",
        "context": "Aussi dans les articles :",
        "more": "… et {n} de plus.",
        "none": "Mes articles ne mentionnent pas {name}.",
        "person_none": "Je ne trouve pas {name} parmi les personnes dont mes articles "
        "rapportent un départ ou une arrivée.",
        "person_head": "Mouvements de {name} dans mes articles :",
        "records": "D'après les mouvements relevés dans mes articles :",
    },
}


class _Numbering:
    """One citation number per evidence sentence, in order of first use."""

    def __init__(self, store: MoveStore, start: int = 1) -> None:
        self.store = store
        self.citations: list[Citation] = []
        self._by_key: dict[tuple[str, int], int] = {}
        self._next = start

    def cite(self, move: Move) -> int:
        key = (move.article_id, move.start)
        if key not in self._by_key:
            self._by_key[key] = self._next
            self.citations.append(citation_for(self.store, move, self._next))
            self._next += 1
        return self._by_key[key]


def _newest_first(moves: Sequence[Move]) -> list[Move]:
    dated = sorted((m for m in moves if m.date), key=lambda m: m.date or "", reverse=True)
    return dated + [m for m in moves if not m.date]


def company_summary(
    org: Organisation,
    store: MoveStore,
    language: Language,
    context: CompanySummary,
) -> CompanySummary:
    """Arrivals and departures from the records, then the articles' key context (the
    retrieval-based summary passed in as `context`), all cited."""
    text = _TEXT[language]
    arrivals = _newest_first(find_moves(store, MoveFilter(to_org=org.name)))
    departures = _newest_first(find_moves(store, MoveFilter(from_org=org.name)))
    if not arrivals and not departures:
        return context
    numbering = _Numbering(store)
    lines = [text["head"].format(name=org.name, a=len(arrivals), d=len(departures))]
    cited: dict[str, list[CitedMove]] = {"arrivals": [], "departures": []}
    for label, moves in (("arrivals", arrivals), ("departures", departures)):
        if not moves:
            continue
        lines.append(text[label])
        for move in moves:
            n = numbering.cite(move)
            cited[label].append(CitedMove(move, n))
        for item in cited[label][:MAX_LISTED]:
            lines.append(f"- {describe(item.move, language)} [{item.citation}]")
        if len(moves) > MAX_LISTED:
            lines.append(text["more"].format(n=len(moves) - MAX_LISTED))
    quotes = [c for c in context.citations
              if (c.article_id, c.start) not in {(x.article_id, x.start)
                                                 for x in numbering.citations}][:2]
    if quotes:
        lines.append(text["context"])
        mark = "« {} » [{}]" if language == "fr" else "“{}” [{}]"
        for quote in quotes:
            n = len(numbering.citations) + 1
            numbering.citations.append(Citation(
                n, quote.article_id, quote.title, quote.outlet, quote.published, quote.url,
                quote.quote, quote.start,
            ))
            lines.append("- " + mark.format(quote.quote, n))
    return CompanySummary(
        company=org.name,
        found=True,
        summary="\n".join(lines),
        citations=tuple(numbering.citations),
        aliases=org.aliases + org.parts,
        language=language,
        arrivals=tuple(cited["arrivals"]),
        departures=tuple(cited["departures"]),
    )


def person_summary(store: MoveStore, name: str, language: Language) -> PersonSummary:
    text = _TEXT[language]
    person = resolve_person(store, name)
    if person is None:
        return PersonSummary(name, None, False, text["person_none"].format(name=name), (), ())
    numbering = _Numbering(store)
    moves = _newest_first(find_moves(store, MoveFilter(person=person)))
    cited = tuple(CitedMove(m, numbering.cite(m)) for m in moves)
    lines = [text["person_head"].format(name=person)]
    lines += [f"- {describe(c.move, language)} [{c.citation}]" for c in cited]
    return PersonSummary(
        name, person, True, "\n".join(lines), cited, tuple(numbering.citations), language
    )


def records_answer(
    question: str, parsed: RecordQuestion, store: MoveStore, language: Language
) -> Answer | None:
    """The answer to a who-moved question, straight from the records; None if none match."""
    moves = _newest_first(
        find_moves(store, MoveFilter(from_org=parsed.from_org, to_org=parsed.to_org))
    )
    if not moves:
        return None
    numbering = _Numbering(store)
    lines = [_TEXT[language]["records"]]
    for move in moves[:MAX_LISTED]:
        lines.append(f"- {describe(move, language)} [{numbering.cite(move)}]")
    if len(moves) > MAX_LISTED:
        lines.append(_TEXT[language]["more"].format(n=len(moves) - MAX_LISTED))
    return Answer(
        question=question,
        text="\n".join(lines),
        citations=tuple(numbering.citations),
        abstained=False,
        confidence=1.0,
        mode="records",
        language=language,
    )
