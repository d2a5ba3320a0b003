"""The move extractor on a second set of invented articles (tests/data/move_articles_unseen2),
written for the classes a held-out set exposed (issue 14, second pass): a departure whose
destination comes in the next sentence, a group whose origin flows to its named members,
"came to X from Y" and "rejoined X after N years at Y", participial and appositive moves,
returns to "the maker of" a product, acqui-hires. French and English, names in no list.

Measured before the second pass: v01-v06 8/23 (precision 21/22). v07-v08 were written after
the mechanisms, as a check of how far they carry: 4/10 first (precision 8/10), then 10/10
with general fixes (a relative clause's departure, a participle after a former role, groups
read by the next sentence's cue whatever it names)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from index.corpus import Article, read_article
from index.moves.extract import extract_moves
from index.moves.score import GoldMove, MoveScore, score_moves
from index.organisations import load_organisations, load_outlets, resolve

ROOT = Path(__file__).resolve().parents[2]
UNSEEN = ROOT / "tests" / "data" / "move_articles_unseen2"


@cache
def articles() -> tuple[Article, ...]:
    return tuple(read_article(p, 1_000_000) for p in sorted(UNSEEN.glob("*.md")))


def test_second_unseen_set(tmp_path: Path) -> None:
    gold = yaml.safe_load((UNSEEN / "gold.yaml").read_text(encoding="utf-8"))
    assert set(gold) == {a.article_id for a in articles()}
    source = tmp_path / "organisations.yaml"  # built-in organisations only
    orgs, outlets = load_organisations(source), load_outlets(source)

    def canonical(name: str) -> str:
        return resolve(name, orgs).name

    total = MoveScore()
    for article in articles():
        found = extract_moves(article, orgs, outlets)
        total.add(score_moves([GoldMove.parse(e) for e in gold[article.article_id]], found,
                              canonical, label=article.article_id, complete=True))
    print(f"\nunseen2: recall {total.found}/{total.gold}, precision {total.right}/{total.records}")
    print("\n".join(["missed:", *total.missed, "wrong:", *total.wrong]))
    assert total.recall >= 0.9, total.missed
    assert total.precision >= 0.9, total.wrong
