"""Move records scored against a gold list of (person, from, to): the one definition the
eval command and the extractor's tests share.

A gold side that is empty ("" or null: the article does not say) matches any extracted
value; a named side must name the same organisation (after `canonical`, so "DeepMind" and
"Google DeepMind" are one). Recall counts gold moves some record matches in full; precision
looks only at records about gold people and counts those that contradict every gold move of
their person. A record's open side contradicts nothing: "Meta -> ?" from an article that
does not say where she went agrees with the gold "Meta -> Quillwork AI" learnt from another one.
Records about people the gold does not list are not judged unless the gold is `complete`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from index.people import person_key
from index.text import fold
from index.types import Move


@dataclass(frozen=True)
class GoldMove:
    person: str
    from_org: str | None  # None: the article does not say
    to_org: str | None

    @classmethod
    def parse(cls, item: Any) -> GoldMove:
        """`[person, from, to]` (eval files) or `{person, from, to}` (the tests' gold)."""
        if isinstance(item, dict):
            person, origin, to = item.get("person"), item.get("from"), item.get("to")
        elif isinstance(item, list | tuple) and len(item) == 3:
            person, origin, to = item
        else:
            raise ValueError(f"a gold move is [person, from, to], not {item!r}")
        if not person:
            raise ValueError(f"a gold move names a person: {item!r}")
        return cls(str(person), str(origin) if origin else None, str(to) if to else None)

    def __str__(self) -> str:
        return f"{self.person}: {self.from_org or '?'} -> {self.to_org or '?'}"


@dataclass
class MoveScore:
    gold: int = 0
    found: int = 0  # gold moves some record matches
    records: int = 0  # records about gold people
    right: int = 0  # ... that agree with some gold move of their person
    person_found: int = 0  # gold moves whose person has some record
    from_right: int = 0  # gold moves whose origin some record of the person has right
    to_right: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.right / self.records if self.records else 1.0

    def add(self, other: MoveScore) -> None:
        for name in ("gold", "found", "records", "right", "person_found", "from_right",
                     "to_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.missed += other.missed
        self.wrong += other.wrong

    def to_dict(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float:
            return round(a / b, 4) if b else 1.0

        return {
            "gold": self.gold, "found": self.found, "recall": ratio(self.found, self.gold),
            "records": self.records, "right": self.right,
            "precision": ratio(self.right, self.records),
            "per_field": {"person": ratio(self.person_found, self.gold),
                          "from": ratio(self.from_right, self.gold),
                          "to": ratio(self.to_right, self.gold)},
            "missed": self.missed, "wrong": self.wrong,
        }


def _same(gold: str | None, found: str | None, canonical: Callable[[str], str]) -> bool:
    if gold is None:
        return True
    return found is not None and fold(canonical(gold)) == fold(canonical(found))


def matches(gold: GoldMove, move: Move, canonical: Callable[[str], str] = str) -> bool:
    return (person_key(gold.person) == person_key(move.person)
            and _same(gold.from_org, move.from_org, canonical)
            and _same(gold.to_org, move.to_org, canonical))


def agrees(gold: GoldMove, move: Move, canonical: Callable[[str], str] = str) -> bool:
    """No side of the record contradicts the gold move (an open side never does)."""
    return (person_key(gold.person) == person_key(move.person)
            and (move.from_org is None or _same(gold.from_org, move.from_org, canonical))
            and (move.to_org is None or _same(gold.to_org, move.to_org, canonical)))


def score_moves(gold: Iterable[GoldMove], records: Sequence[Move],
                canonical: Callable[[str], str] = str, label: str = "",
                complete: bool = False) -> MoveScore:
    """`records` against `gold` (one article's, or a whole corpus's). `complete`: the gold
    lists every move of the records' articles, so records about anyone else are wrong too."""
    gold = list(gold)
    prefix = f"{label}: " if label else ""
    by_person: dict[str, list[Move]] = {}
    for move in records:
        by_person.setdefault(person_key(move.person), []).append(move)
    gold_people: dict[str, list[GoldMove]] = {}
    for g in gold:
        gold_people.setdefault(person_key(g.person), []).append(g)
    out = MoveScore(gold=len(gold))
    for g in gold:
        theirs = by_person.get(person_key(g.person), [])
        out.person_found += bool(theirs)
        out.from_right += any(_same(g.from_org, m.from_org, canonical) for m in theirs)
        out.to_right += any(_same(g.to_org, m.to_org, canonical) for m in theirs)
        if any(matches(g, m, canonical) for m in theirs):
            out.found += 1
        else:
            seen = "; ".join(f"{m.from_org or '?'} -> {m.to_org or '?'}" for m in theirs)
            out.missed.append(f"{prefix}{g}" + (f" (records: {seen})" if seen else ""))
    for key, theirs in by_person.items():
        expected = gold_people.get(key)
        if expected is None and not complete:
            continue
        for move in theirs:
            out.records += 1
            if any(agrees(g, move, canonical) for g in expected or ()):
                out.right += 1
            else:
                out.wrong.append(f"{prefix}{move.person}: {move.from_org or '?'} -> "
                                 f"{move.to_org or '?'} ({move.article_id})")
    return out
