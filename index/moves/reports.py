"""One move, many reports: the records of one person's move from one organisation to
another, whichever articles (or sentences) state it, read as one move with all its
evidence.

The extractor already gives one record per (person, origin, destination) within an article;
across articles the same move is reported again, sometimes with another date or role. A
report keeps every record, newest first, so conflicting dates and roles stay side by side,
and says how many independent articles state it. Counts of moves ("three arrivals") and
of people come from here, so that a move reported twice is counted once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from index.people import person_key
from index.types import Move


@dataclass(frozen=True)
class MoveReport:
    records: tuple[Move, ...]  # newest first; never empty

    @property
    def move(self) -> Move:
        """The record to show first: the newest."""
        return self.records[0]

    @property
    def articles(self) -> tuple[str, ...]:
        """The independent articles that state the move, in the records' order."""
        return tuple(dict.fromkeys(m.article_id for m in self.records))

    @property
    def dates(self) -> tuple[str, ...]:
        """Every date the reports give, newest first (more than one: they disagree)."""
        return tuple(sorted({m.date for m in self.records if m.date}, reverse=True))

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.role for m in self.records if m.role))


def _key(move: Move) -> tuple[str, str | None, str | None]:
    return person_key(move.person), move.from_org, move.to_org


def _newest_first(moves: Iterable[Move]) -> list[Move]:
    # ISO dates sort as text; undated records last, then by article and position.
    ordered = sorted(moves, key=lambda m: (m.article_id, m.start))
    return sorted(ordered, key=lambda m: m.date or "", reverse=True)


def group_reports(moves: Sequence[Move]) -> list[MoveReport]:
    """One report per (person, origin, destination), newest move first. A record with an
    open side that another of the same person fills ("X left Meta" beside "X left Meta for
    Quillwork AI" in another article) is one more report of that move."""
    groups: dict[tuple[str, str | None, str | None], list[Move]] = {}
    for move in moves:
        groups.setdefault(_key(move), []).append(move)
    keys = list(groups)
    for key in keys:
        who, origin, to = key
        if origin is not None and to is not None:
            continue
        fuller = [k for k in keys if k != key and k[0] == who and k in groups
                  and origin in (None, k[1]) and to in (None, k[2])]
        if len(fuller) == 1:  # only when it can mean one move
            groups[fuller[0]] += groups.pop(key)
    reports = [MoveReport(tuple(_newest_first(ms))) for ms in groups.values()]
    return sorted(reports, key=lambda r: r.move.date or "", reverse=True)


def count_people(moves: Iterable[Move]) -> int:
    """How many people the records are about (a person reported twice counts once)."""
    return len({person_key(m.person) for m in moves})
