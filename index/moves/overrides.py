"""Maintainers' corrections (corpus/moves.yaml): add, correct or reject move records.

Overrides win over the extractor and are applied again on every ingest, so a correction
survives re-extraction. An added record must quote the article: its evidence is checked
against the text like any other record's.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from index.corpus import Article
from index.people import person_key
from index.text import split_sentences
from index.types import Move

_KINDS = {"joined", "left", "hired", "poached", "announced", "rumoured", "confirmed"}


def load_overrides(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed file and a hash of it (an edit re-applies overrides everywhere)."""
    from index.safeyaml import safe_load

    if not path.is_file():
        return {}, "none"
    raw = path.read_bytes()
    data = safe_load(raw.decode("utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected keys add, correct, reject")
    return data, hashlib.sha256(raw).hexdigest()[:16]


def _matches(move: Move, rule: dict[str, Any]) -> bool:
    if person_key(str(rule.get("person", ""))) != person_key(move.person):
        return False
    for key, attr in (("from", "from_org"), ("to", "to_org")):
        if key in rule and rule[key] != getattr(move, attr):
            return False
    return True


def _for(article: Article, rules: Any) -> list[dict[str, Any]]:
    return [
        r for r in rules or () if isinstance(r, dict) and r.get("article") == article.article_id
    ]


def apply_overrides(
    article: Article, moves: list[Move], overrides: dict[str, Any]
) -> tuple[list[Move], list[str]]:
    """The article's records after overrides, and problems to report (bad entries)."""
    problems: list[str] = []
    rejects = _for(article, overrides.get("reject"))
    out = [m for m in moves if not any(_matches(m, r) for r in rejects)]
    for rule in _for(article, overrides.get("correct")):
        changes = rule.get("set") or {}
        fields = {
            {"from": "from_org", "to": "to_org"}.get(k, k): v
            for k, v in changes.items() if k in {"from", "to", "kind", "role", "date"}
        }
        if fields.get("kind", "left") not in _KINDS:
            problems.append(f"correct {rule.get('person')}: unknown kind {fields['kind']!r}")
            continue
        hit = False
        for i, move in enumerate(out):
            if _matches(move, rule):
                date_source = "text" if "date" in fields else move.date_source
                out[i] = replace(move, **fields, date_source=date_source, source="override")
                hit = True
        if not hit:
            problems.append(f"correct {rule.get('person')}: no such record in {article.article_id}")
    for rule in _for(article, overrides.get("add")):
        added = _added(article, rule)
        if isinstance(added, str):
            problems.append(added)
        else:
            out = [m for m in out if not _matches(m, {"person": added.person,
                                                      "from": added.from_org,
                                                      "to": added.to_org})]
            out.append(added)
    return out, problems


def _added(article: Article, rule: dict[str, Any]) -> Move | str:
    person = str(rule.get("person") or "").strip()
    kind = str(rule.get("kind") or "left")
    if not person or kind not in _KINDS:
        return f"add in {article.article_id}: needs a person and a known kind"
    evidence = rule.get("evidence")
    if evidence:
        start = article.body.find(str(evidence))
        if start < 0:
            return f"add {person}: its evidence is not in article {article.article_id}"
        evidence = str(evidence)
    else:
        surname = person.split()[-1].casefold()
        found = next(
            (s for s in split_sentences(article.body) if surname in s.text.casefold()), None
        )
        if found is None:
            return f"add {person}: article {article.article_id} never names them"
        evidence, start = found.text, found.start
    date = rule.get("date")
    return Move(
        person=person,
        from_org=rule.get("from"),
        to_org=rule.get("to"),
        kind=kind,  # type: ignore[arg-type]
        article_id=article.article_id,
        evidence=evidence,
        start=start,
        role=rule.get("role"),
        date=str(date) if date else article.published,
        date_source="text" if date else ("article" if article.published else None),
        source="override",
    )
