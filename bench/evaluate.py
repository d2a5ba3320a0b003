"""`talentbot eval FILE.yaml`: hit@3, fact recall, abstention and company checks, and the
move records scored against the file's `moves:` list (see index/moves/score.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.engine import Engine
from index.moves.score import GoldMove, MoveScore, score_moves
from index.text import fold


@dataclass
class EvalResult:
    questions: int = 0
    hits_at_3: int = 0
    facts: int = 0
    facts_found: int = 0
    unanswerable: int = 0
    abstained: int = 0
    companies: int = 0
    companies_passed: int = 0
    failures: list[str] = field(default_factory=list)
    moves: MoveScore | None = None  # when the file has a `moves:` list

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.moves is None else {"moves": self.moves.to_dict()}
        return {
            "questions": self.questions,
            "hit_at_3": _ratio(self.hits_at_3, self.questions),
            "fact_recall": _ratio(self.facts_found, self.facts),
            "unanswerable": self.unanswerable,
            "abstained": self.abstained,
            "companies": self.companies,
            "companies_passed": self.companies_passed,
            "failures": self.failures,
            **extra,
        }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def _has_fact(text: str, spellings: list[str]) -> bool:
    folded = fold(text)
    return any(fold(str(s)) in folded for s in spellings)


def evaluate(engine: Engine, path: Path) -> EvalResult:
    from index.safeyaml import safe_load

    spec = safe_load(path.read_text(encoding="utf-8")) or {}
    result = EvalResult()
    for item in spec.get("questions", []):
        answer = engine.ask(str(item["q"]))
        result.questions += 1
        first_three = {c.article_id for c in answer.citations[:3]}
        if first_three & set(item.get("gold", [])):
            result.hits_at_3 += 1
        else:
            result.failures.append(f"{item.get('id')}: gold not in first three citations")
        for fact in item.get("facts", []):
            result.facts += 1
            if _has_fact(answer.text, fact):
                result.facts_found += 1
            else:
                result.failures.append(f"{item.get('id')}: fact {fact[0]!r} missing")
    for item in spec.get("unanswerable", []):
        result.unanswerable += 1
        if engine.ask(str(item["q"])).abstained:
            result.abstained += 1
        else:
            result.failures.append(f"{item.get('id')}: answered an unanswerable question")
    for item in spec.get("companies", []):
        result.companies += 1
        summary = engine.company(str(item["name"]))
        cited = {c.article_id for c in summary.citations}
        missing_gold = set(item.get("gold", [])) - cited
        missing_facts = [f[0] for f in item.get("facts", []) if not _has_fact(summary.summary, f)]
        if summary.found and not missing_gold and not missing_facts:
            result.companies_passed += 1
        else:
            result.failures.append(
                f"company {item['name']}: missing articles {sorted(missing_gold)}, "
                f"facts {missing_facts}"
            )
    for name in spec.get("unknown_companies", []):
        result.companies += 1
        if not engine.company(str(name)).found:
            result.companies_passed += 1
        else:
            result.failures.append(f"company {name}: reported as found")
    if "moves" in spec:
        gold = [GoldMove.parse(item) for item in spec.get("moves") or []]
        from index.moves.query import MoveFilter

        records = [move for move, _ in engine.moves(MoveFilter())]
        result.moves = score_moves(gold, records, engine.organisation)
    return result
