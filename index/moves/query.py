"""Questions over the move records: a company's arrivals and departures, a person's moves,
filtered lists, and answering "who left X for Y?" from the records themselves."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.moves.store import MoveStore
from index.organisations import Organisation
from index.people import person_key
from index.text import fold
from index.types import ArticleRef, Citation, Language, Move


@dataclass(frozen=True)
class MoveFilter:
    from_org: str | None = None
    to_org: str | None = None
    since: str | None = None  # ISO date prefix: "2024", "2024-06", "2024-06-01"
    person: str | None = None


def find_moves(store: MoveStore, f: MoveFilter) -> list[Move]:
    clauses, params = [], []
    if f.from_org:
        clauses.append("from_org = ?")
        params.append(f.from_org)
    if f.to_org:
        clauses.append("to_org = ?")
        params.append(f.to_org)
    if f.since:
        clauses.append("date IS NOT NULL AND date >= ?")
        params.append(f.since)
    if f.person:
        clauses.append("person_key = ?")
        params.append(person_key(f.person))
    return store.moves(" AND ".join(clauses), params)


def resolve_person(store: MoveStore, name: str) -> str | None:
    """The person's name as recorded: full-name match first, then a unique surname."""
    wanted = person_key(name)
    people = store.people()
    for p in people:
        if person_key(p) == wanted:
            return p
    surname = [p for p in people if person_key(p).split()[-1:] == wanted.split()[-1:]]
    return surname[0] if len(surname) == 1 else None


def citation_for(store: MoveStore, move: Move, n: int) -> Citation:
    row = store.article(move.article_id) or {}
    return ArticleRef.from_meta(row, move.article_id).cite(n, move.evidence, move.start)


_ARROW = "→"
_UNKNOWN = {"en": "?", "fr": "?"}


def describe(move: Move, language: Language) -> str:
    """'Guillaume Lample: Meta → Mistral AI (cofondateur, 2023-06)'."""
    route = f"{move.from_org or _UNKNOWN[language]} {_ARROW} {move.to_org or _UNKNOWN[language]}"
    details = [d for d in (move.role, move.date) if d]
    if move.kind in ("rumoured", "announced"):
        details.append({"rumoured": {"en": "rumoured", "fr": "rumeur"},
                        "announced": {"en": "announced", "fr": "annoncé"}}[move.kind][language])
    extra = f" ({', '.join(details)})" if details else ""
    return f"{move.person}: {route}{extra}"


# -- answering from records ---------------------------------------------------------------
_LEAVE = re.compile(
    r"\b(?:left|leave|leaves|leaving|quit|depart\w*|lost|lose|loses|exodus|poached from|"
    r"quitt\w*|quitté|part(?:i|is|ie|ies|ent)|départs?|perdu|perd|démission\w*|"
    r"débauch\w* (?:chez|à))\b",
    re.IGNORECASE,
)
_JOIN = re.compile(
    r"\b(?:join\w*|hired?|hires|hiring|recruit\w*|poach\w*|went to|moved to|came from|"
    r"rejoi\w*|recrut\w*|embauch\w*|débauch\w*|arriv\w*|venus? de|passés? (?:à|chez))\b",
    re.IGNORECASE,
)
_HIRE = re.compile(r"hir|recruit|poach|recrut|embauch|débauch|debauch", re.IGNORECASE)
_FOR = re.compile(r"\b(?:for|to|pour|vers|chez|à)\s*$", re.IGNORECASE)
_FROM = re.compile(r"\b(?:from|de|d['’]|depuis|came from|venus? de)\s*$", re.IGNORECASE)
_WHO = re.compile(r"^\s*(?:who|which|whom|qui|quels?|quelles?|lesquels)\b", re.IGNORECASE)


@dataclass(frozen=True)
class RecordQuestion:
    from_org: str | None
    to_org: str | None


def parse_record_question(
    question: str, organisations: Sequence[Organisation]
) -> RecordQuestion | None:
    """'Who left Meta for Mistral?' -> from Meta to Mistral AI; None when the question is
    not a who-moved question about named organisations."""
    if not _WHO.search(question):
        return None
    folded = fold(question)
    found: list[tuple[int, Organisation]] = []
    for org in organisations:
        match = org.pattern().search(folded)
        if match:
            found.append((match.start(), org))
    if not found or len(found) > 2:
        return None
    found.sort(key=lambda x: x[0])
    leave, join = _LEAVE.search(question), _JOIN.search(question)
    if not leave and not join:
        return None
    if len(found) == 2 and leave and join and _HIRE.search(leave.group()):
        # "Qui Meta a-t-il débauché chez OpenAI ?": a hire, read with its subject.
        leave = None
    roles: dict[str, str] = {}
    for pos, org in found:
        before = question[:pos]
        if _FROM.search(before):
            roles[org.name] = "from"
        elif _FOR.search(before) and (leave and leave.start() < pos):
            roles[org.name] = "to"
        elif join and not leave and len(found) == 2:
            # "Which Meta researchers joined Mistral?": before the verb, the origin; after
            # it, the destination. A hiring verb turns it round ("Meta hired … OpenAI's").
            hiring = bool(_HIRE.search(join.group()))
            roles[org.name] = "to" if (pos > join.start()) != hiring else "from"
        elif leave and (not join or leave.start() < join.start()):
            roles[org.name] = "from" if "from" not in roles.values() else "to"
        else:
            roles[org.name] = "to" if "to" not in roles.values() else "from"
    if len(found) == 2 and len(set(roles.values())) == 1 and join and not leave:
        # Both on one side of the verb ("Which OpenAI researchers did Meta recruit?"): the
        # first named is where they came from.
        roles = {found[0][1].name: "from", found[1][1].name: "to"}
    # "Who did Meta hire?" / "Qui OpenAI a-t-il perdu ?": the organisation is the subject.
    if len(found) == 1 and join and found[0][0] < join.start():
        roles[found[0][1].name] = "to"
    if len(found) == 1 and leave and found[0][0] < leave.start() and re.search(
        r"\b(?:lose|lost|perdu|perd)\b", question, re.IGNORECASE
    ):
        roles[found[0][1].name] = "from"
    from_org = next((o for o, r in roles.items() if r == "from"), None)
    to_org = next((o for o, r in roles.items() if r == "to"), None)
    return RecordQuestion(from_org, to_org)


# Words a who-moved question may hold besides the organisations; anything else ("head of
# FAIR", "co-founders", "in 2024") asks for more than the records say, so retrieval answers.
_PLAIN_WORDS = (
    "who which whom qui quels quelles lesquels people person persons researchers researcher "
    "engineers engineer employees employee staff talent talents scientists executives "
    "leaders chercheurs chercheur chercheuses ingénieurs ingénieur employés salariés "
    "talents cadres dirigeants personnes gens ai ia recently récemment so far jusqu'ici "
    "left leave leaves leaving quit departed departures depart lost lose loses poached "
    "joined join joins joining hired hire hires hiring recruited recruit recruits came "
    "went moved move moves to from for at de pour vers chez quitté quitter quitte quittent "
    "parti partis partie parties partent départs départ perdu perd perdre débauché débauchés "
    "débauche rejoint rejoindre rejoignent recruté recrutés recrute recruter embauché "
    "embauchés embauche arrivés arrivées arrivé venus venu passés passé a-t-il a-t-elle "
    "ont-ils ont il elle ils elles"
)


def is_plain_move_question(question: str, organisations: Sequence[Organisation]) -> bool:
    return not residual_words(question, organisations)


def residual_words(question: str, organisations: Sequence[Organisation]) -> list[str]:
    """The words a who-moved question holds besides the plain ones and the organisations
    ("co-founder", "FAIR's head", "in 2024"): the further conditions a record must meet
    to answer it."""
    from index.text import analyze, words

    allowed = set(analyze(_PLAIN_WORDS))
    for org in organisations:
        for name in org.all_names:
            allowed.update(analyze(name))
    return [w for w in words(question) if set(analyze(w)) - allowed]


def meets(move: Move, residual: Sequence[str], year: str | None) -> bool:
    """The record states every further condition of the question: each residual word
    (one of its stems or translations) in its evidence sentence or role, the year asked
    in its date or sentence."""
    from index.lexicon import translations
    from index.text import analyze

    have = set(analyze(" ".join([move.evidence, move.role or ""])))
    from index.entities import number_value

    for word in residual:
        if (year and year in word) or number_value(word) is not None:
            continue  # the year is checked below; a count ("the four") is no condition
        if not (set(analyze(word)) | translations(word)) & have:
            return False
    return not year or (move.date or "").startswith(year) or year in move.evidence
