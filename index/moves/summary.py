"""Company and person summaries, and answers, built from the move records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from index.entities import localise_date
from index.moves.query import (
    MoveFilter,
    RecordQuestion,
    citation_for,
    describe,
    find_moves,
    meets,
    parse_record_question,
    residual_words,
    resolve_person,
)
from index.moves.reports import group_reports
from index.moves.store import MoveStore
from index.organisations import Organisation
from index.phrasing import state
from index.question import Question, question_parts
from index.types import (
    Answer,
    AnswerValue,
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
    # One line per move, however many articles report it (index/moves/reports.py).
    arrivals = _newest_first([r.move for r in group_reports(
        find_moves(store, MoveFilter(to_org=org.name)))])
    departures = _newest_first([r.move for r in group_reports(
        find_moves(store, MoveFilter(from_org=org.name)))])
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
            numbering.citations.append(replace(quote, n=n))
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


def answer_from_records(
    question: str,
    reading: Question,
    store: MoveStore,
    organisations: Sequence[Organisation],
) -> Answer | None:
    """The answer straight from the move records, when the question is one they answer:
    who moved between organisations (however phrased, with further conditions such as
    "co-founder" or "in 2024" checked against each record), or where / when a named
    person moved. None sends the question to retrieval."""
    if reading.attributes:
        return None  # a salary, investors...: the records do not hold them
    if len(question_parts(reading.text)) > 1:
        return None  # "when did X leave, and who took over?": answered part by part
    if reading.people:
        return _person_answer(question, reading, store)
    if reading.answer_type not in ("person", "people") or not reading.asks_move:
        return None
    parsed = parse_record_question(reading.text, organisations)
    if parsed is None:
        return None
    residual = residual_words(reading.text, organisations)
    return records_answer(question, parsed, store, reading, residual)


def records_answer(
    question: str,
    parsed: RecordQuestion,
    store: MoveStore,
    reading: Question,
    residual: Sequence[str] = (),
) -> Answer | None:
    """The answer to a who-moved question, straight from the records; None if none match."""
    language = reading.language
    moves = [m for m in find_moves(store, MoveFilter(from_org=parsed.from_org,
                                                      to_org=parsed.to_org))
             if meets(m, residual, reading.year)
             and not (reading.until and m.date and m.date[:4] > reading.until)]
    moves = _newest_first(moves)
    if not moves:
        return None
    numbering = _Numbering(store)
    listed = [(move, numbering.cite(move)) for move in moves[:MAX_LISTED]]
    by_person: dict[str, list[int]] = {}
    for move, n in listed:
        by_person.setdefault(move.person, [])
        if n not in by_person[move.person]:
            by_person[move.person].append(n)
    values = tuple(AnswerValue(p, tuple(ns)) for p, ns in by_person.items())
    lines = [state(values, language), _TEXT[language]["records"]]
    for move, n in listed:
        lines.append(f"- {describe(move, language)} [{n}]")
    if len(moves) > MAX_LISTED:
        lines.append(_TEXT[language]["more"].format(n=len(moves) - MAX_LISTED))
    return _answer(question, reading, "\n".join(lines), numbering, values)


def _person_answer(question: str, reading: Question, store: MoveStore) -> Answer | None:
    """'Where does X work now?', 'When did X leave Y?', 'Who poached X?': the person's
    records, newest first ("now") or oldest first ("first"), narrowed to the
    organisations and year the question names."""
    if len(reading.people) != 1 or reading.answer_type not in ("organisation", "place", "date"):
        return None
    if not (reading.asks_move or reading.now):
        return None
    person = resolve_person(store, reading.people[0])
    if person is None:
        return None
    moves = _newest_first(find_moves(store, MoveFilter(person=person)))
    orgs = set(reading.organisations)
    if orgs:
        moves = [m for m in moves if orgs & {m.from_org, m.to_org}]
    if reading.year:
        moves = [m for m in moves if (m.date or "").startswith(reading.year)]
    if reading.first:
        moves = list(reversed(moves))
    language = reading.language
    leaving = reading.relation == "left" and not reading.now
    if reading.answer_type == "date":
        moves = [m for m in moves if m.date and m.date_source == "text"]
    elif leaving:
        moves = [m for m in moves if m.from_org and m.from_org not in orgs]
    else:
        going = [m for m in moves if m.to_org and m.to_org not in orgs]
        newest = moves[0] if moves and not reading.first else None
        if (
            newest is not None and newest.from_org and not newest.to_org and newest.date
            and going and going[0].date and newest.date > going[0].date
            and not any(g.from_org == newest.from_org for g in going)
        ):
            # The newest record is a dated departure to no stated destination, later than
            # any arrival: the older arrival would answer "which company did X join?" the
            # wrong way round. An arrival from the same organisation is that departure
            # with its destination known, and an undated one cannot be shown older. (With
            # no arrival recorded at all, the articles may still name the destination the
            # extractor missed: retrieval reads them.)
            return _destination_unknown(question, reading, store, newest)
        if going and going[0].kind == "rumoured":
            # "Elle pourrait rejoindre X": a rumour is not where someone went.
            return _destination_unknown(question, reading, store, going[0], rumour=True)
        moves = going
    if not moves:
        return None
    move = moves[0]
    numbering = _Numbering(store)
    n = numbering.cite(move)
    if reading.answer_type == "date":
        value = AnswerValue(localise_date(_spell_date(move.date or "", language), language), (n,))
        lead = state((value,), language, numbering.citations[0].published)
    else:
        value = AnswerValue((move.from_org if leaving else move.to_org) or "", (n,))
        lead = state((value,), language)
    mark = "« {} » [{}]" if language == "fr" else "“{}” [{}]"
    lines = [lead, _TEXT[language]["records"], f"- {describe(move, language)} [{n}]",
             mark.format(move.evidence, n)]
    return _answer(question, reading, "\n".join(lines), numbering, (value,))


_UNSTATED = {
    "en": "My articles don't say where {person} went next: they report only a departure "
          "from {org}{when} [{n}], destination not stated.",
    "fr": "Mes articles ne disent pas où est allé(e) {person} : ils rapportent son départ de "
          "{org}{when} [{n}], sans destination connue.",
}


_RUMOUR = {
    "en": "My articles don't say where {person} went: they report only a rumour that "
          "{person} could join {org} [{n}].",
    "fr": "Mes articles ne disent pas où est allé(e) {person} : ils rapportent seulement une "
          "rumeur, {org} [{n}].",
}


def _destination_unknown(
    question: str, reading: Question, store: MoveStore, move: Move, rumour: bool = False
) -> Answer:
    """An honest abstention that still says what is known (the departure, or the rumour),
    cited."""
    language = reading.language
    numbering = _Numbering(store)
    n = numbering.cite(move)
    when = ""
    if move.date:
        spelled = localise_date(_spell_date(move.date, language), language)
        when = f" ({spelled})"
    mark = "« {} » [{}]" if language == "fr" else "“{}” [{}]"
    said = (_RUMOUR[language].format(person=move.person, org=move.to_org, n=n) if rumour else
            _UNSTATED[language].format(person=move.person, org=move.from_org, when=when, n=n))
    text = "\n".join([
        said,
        mark.format(move.evidence, n),
    ])
    return Answer(
        question=question,
        text=text,
        citations=tuple(numbering.citations),
        abstained=True,
        confidence=0.0,
        mode="abstained",
        language=language,
        answer_type=reading.answer_type,
        follow_up_of=reading.refers_to,
    )


_MONTHS = {
    "en": "January February March April May June July August September October November "
          "December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
          "décembre".split(),
}


def _spell_date(iso: str, language: Language) -> str:
    """'2024-08' -> 'August 2024' / 'août 2024'; '2024-08-03' -> '3 August 2024'."""
    parts = iso.split("-")
    if len(parts) == 1:
        return iso
    month = _MONTHS[language][int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


def _answer(
    question: str,
    reading: Question,
    text: str,
    numbering: _Numbering,
    values: tuple[AnswerValue, ...],
) -> Answer:
    return Answer(
        question=question,
        text=text,
        citations=tuple(numbering.citations),
        abstained=False,
        confidence=1.0,
        mode="records",
        language=reading.language,
        answer_type=reading.answer_type,
        values=values,
        follow_up_of=reading.refers_to,
    )
