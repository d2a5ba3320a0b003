"""The move extractor on articles it was not written against (tests/data/move_articles_unseen):
invented people and organisations, most of them in no list, in French and English.

Measured before the open-world extractor was built (issue 14), with corpus/organisations.yaml:
recall 2/36, precision 11/12 (2/12 counting open sides as wrong); without it: recall 0/36 (no
record at all). After: 32/36 and 36/37 either way (README, "Talent moves as data")."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from index.corpus import Article, read_article
from index.moves.extract import extract_moves
from index.moves.score import GoldMove, MoveScore, score_moves
from index.organisations import Organisation, load_organisations, load_outlets, resolve

ROOT = Path(__file__).resolve().parents[2]
ORG_FILE = ROOT / "corpus" / "organisations.yaml"
UNSEEN = ROOT / "tests" / "data" / "move_articles_unseen"
GOLD = ROOT / "tests" / "data" / "moves_gold.yaml"


@cache
def articles() -> tuple[Article, ...]:
    return tuple(read_article(p, 1_000_000) for p in sorted(UNSEEN.glob("*.md")))


def score(organisations: tuple[Organisation, ...], outlets: tuple[str, ...]) -> MoveScore:
    gold = yaml.safe_load(GOLD.read_text(encoding="utf-8"))["unseen"]
    assert set(gold) == {a.article_id for a in articles()}
    known = load_organisations(ORG_FILE)

    def canonical(name: str) -> str:
        return resolve(name, known).name

    total = MoveScore()
    for article in articles():
        found = extract_moves(article, organisations, outlets)
        total.add(score_moves([GoldMove.parse(e) for e in gold[article.article_id]], found,
                              canonical, label=article.article_id, complete=True))
    return total


@pytest.mark.parametrize("curated", [True, False], ids=["with-organisations-yaml", "without"])
def test_unseen_articles(curated: bool, tmp_path: Path) -> None:
    # Without a curation file the extractor has the built-in organisations only.
    source = ORG_FILE if curated else tmp_path / "organisations.yaml"
    orgs, outlets = load_organisations(source), load_outlets(source)
    result = score(orgs, outlets)
    print(f"\nunseen ({'curated' if curated else 'no file'}): recall {result.found}/{result.gold}"
          f" = {result.recall:.3f}, precision {result.right}/{result.records} = "
          f"{result.precision:.3f}")
    print("\n".join(["missed:", *result.missed, "wrong:", *result.wrong]))
    assert result.recall >= 0.85, result.missed
    assert result.precision >= 0.85, result.wrong
