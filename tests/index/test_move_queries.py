"""Reading who-moved questions, and the move store's transactions and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.corpus import Article
from index.moves.overrides import apply_overrides
from index.moves.query import (
    MoveFilter,
    find_moves,
    is_plain_move_question,
    parse_record_question,
    resolve_person,
)
from index.moves.store import MoveStore
from index.organisations import load_organisations
from index.types import Move

ROOT = Path(__file__).resolve().parents[2]
ORGS = load_organisations(ROOT / "corpus" / "organisations.yaml")


@pytest.mark.parametrize(
    ("question", "from_org", "to_org"),
    [
        ("Who left Meta for Mistral?", "Meta", "Mistral AI"),
        ("Qui a quitté Meta pour Mistral AI ?", "Meta", "Mistral AI"),
        ("Who joined Mistral AI from Meta?", "Meta", "Mistral AI"),
        ("Who did Meta hire from OpenAI?", "OpenAI", "Meta"),
        ("Qui OpenAI a-t-il perdu ?", "OpenAI", None),
        ("Who did Meta hire?", None, "Meta"),
        ("Who left OpenAI?", "OpenAI", None),
        ("Qui a rejoint Meta ?", None, "Meta"),
        ("Which researchers left FAIR?", "Meta", None),
        ("Which Meta researchers joined Mistral AI?", "Meta", "Mistral AI"),
        ("Quels chercheurs d'OpenAI ont rejoint Meta ?", "OpenAI", "Meta"),
        ("Which OpenAI researchers did Meta recruit?", "OpenAI", "Meta"),
        ("Qui Meta a-t-il débauché chez OpenAI ?", "OpenAI", "Meta"),
    ],
)
def test_who_moved_questions_are_read(question: str, from_org: str, to_org: str) -> None:
    parsed = parse_record_question(question, ORGS)
    assert parsed is not None
    assert (parsed.from_org, parsed.to_org) == (from_org, to_org)
    assert is_plain_move_question(question, ORGS)


@pytest.mark.parametrize(
    "question",
    [
        "Who announced she was leaving her job as head of FAIR?",
        "Who are the co-founders of Mistral AI that came from Meta?",
        "Which researchers did Amazon hire from Google in 2024?",
    ],
)
def test_questions_asking_more_than_the_records_go_to_retrieval(question: str) -> None:
    assert not is_plain_move_question(question, ORGS)


@pytest.mark.parametrize(
    "question",
    ["Where did Sebastien Bubeck teach?", "Which company did Meta acquire?", "Hello Meta"],
)
def test_other_questions_are_not_move_questions(question: str) -> None:
    assert parse_record_question(question, ORGS) is None


def article(body: str, article_id: str = "a1") -> Article:
    return Article(article_id, "Titre", body, published="2024-05-01")


def move(person: str, article_id: str = "a1", **kw: object) -> Move:
    fields: dict = {"from_org": "Meta", "to_org": "Mistral AI", "kind": "joined",
                    "evidence": "x", "start": 0}
    fields.update(kw)
    return Move(person=person, article_id=article_id, **fields)


def test_store_replaces_an_articles_records_and_removes_deleted_ones(tmp_path: Path) -> None:
    store = MoveStore(tmp_path / "moves.sqlite3")
    a, b = article("Texte A."), article("Texte B.", "b1")
    store.replace_article(a, "r1", [move("Guillaume Lample"), move("Timothée Lacroix")])
    store.replace_article(b, "r1", [move("Mira Murati", "b1", from_org="OpenAI", to_org=None)])
    store.replace_article(a, "r1", [move("Guillaume Lample")])
    assert [m.person for m in find_moves(store, MoveFilter(to_org="Mistral AI"))] == [
        "Guillaume Lample"
    ]
    store.remove_articles(["b1"])
    assert find_moves(store, MoveFilter(from_org="OpenAI")) == []
    assert store.integrity_ok()
    assert resolve_person(store, "lample") == "Guillaume Lample"
    assert resolve_person(store, "Guillaume LAMPLE") == "Guillaume Lample"


def test_failed_write_leaves_the_previous_records(tmp_path: Path) -> None:
    store = MoveStore(tmp_path / "moves.sqlite3")
    a = article("Texte.")
    store.replace_article(a, "r1", [move("Guillaume Lample")])
    broken = move("X", kind=None)  # NOT NULL violation inside the transaction
    with pytest.raises(Exception, match="NOT NULL"):
        store.replace_article(a, "r2", [move("Someone Else"), broken])
    assert [m.person for m in store.moves()] == ["Guillaume Lample"]
    assert store.states()["a1"][1] == "r1"


def test_overrides_add_correct_and_reject() -> None:
    body = "Ruben Mayer a claqué la porte. Barret Zoph est parti. Luke Metz a quitté OpenAI."
    a = article(body)
    extracted = [
        move("Barret Zoph", from_org="OpenAI", to_org=None, kind="left", evidence="Barret Zoph "
             "est parti.", start=body.index("Barret")),
        move("Luke Metz", from_org=None, to_org=None, kind="left",
             evidence="Luke Metz a quitté OpenAI.", start=body.index("Luke")),
    ]
    overrides = {
        "add": [{"article": "a1", "person": "Ruben Mayer", "from": "Meta", "kind": "left"},
                {"article": "a1", "person": "Nobody", "evidence": "not in the text"}],
        "correct": [{"article": "a1", "person": "Luke Metz", "set": {"from": "OpenAI"}}],
        "reject": [{"article": "a1", "person": "Barret Zoph"}],
        "other": "ignored",
    }
    moves, problems = apply_overrides(a, extracted, overrides)
    by_person = {m.person: m for m in moves}
    assert set(by_person) == {"Ruben Mayer", "Luke Metz"}
    assert by_person["Ruben Mayer"].evidence == "Ruben Mayer a claqué la porte."
    assert by_person["Ruben Mayer"].source == "override"
    assert by_person["Ruben Mayer"].date == "2024-05-01"
    assert by_person["Luke Metz"].from_org == "OpenAI"
    assert len(problems) == 1 and "Nobody" in problems[0]
