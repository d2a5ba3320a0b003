"""Classes of wrong answers seen on unseen articles (issue 15, second pass), each on
invented articles in both languages: a sum of money is not a head count, the number of
sources an article cites is never an answer, a departure to nowhere stated outranks an
older arrival, and a two-part question gets both parts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings

from index.engine import Engine
from index.text import fold

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "answer_classes"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    work = tmp_path_factory.mktemp("classes")
    (work / "corpus" / "articles").mkdir(parents=True)
    for article in ARTICLES.glob("*.md"):
        shutil.copy(article, work / "corpus" / "articles" / article.name)
    shutil.copy(ARTICLES / "organisations.yaml", work / "corpus" / "organisations.yaml")
    Engine(make_settings(work, work / "corpus" / "articles"), llm=False).ingest()
    yield Engine(make_settings(work, work / "corpus" / "articles"), llm=False)


def lead(text: str) -> str:
    return text.splitlines()[0]


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("How much did Pellucid Robotics raise?", "$18 million"),
        # A French question on an English article: still the money, not the 40 hires.
        ("Combien Pellucid Robotics a-t-elle levé ?", "$18 million"),
        ("Quel est le montant de la levée de Pellucid Robotics ?", "$18 million"),
        ("How many people does Pellucid Robotics plan to hire?", "40"),
        ("Combien de personnes Pellucid Robotics veut-elle embaucher ?", "40"),
    ],
)
def test_money_questions_get_sums_and_count_questions_counts(
    engine: Engine, question: str, value: str
) -> None:
    answer = engine.ask(question)
    assert not answer.abstained
    assert [v.text for v in answer.values] == [value], answer.text
    assert lead(answer.text).endswith(f"{value} [1].")


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("How much is Pellucid Robotics paying Edda Marwick?", "My articles don't say"),
        ("Combien Pellucid Robotics paie-t-elle Edda Marwick ?", "Mes articles ne disent pas"),
    ],
)
def test_an_unstated_sum_is_an_abstention_never_the_sources_count(
    engine: Engine, question: str, says: str
) -> None:
    answer = engine.ask(question)
    assert answer.abstained and answer.text.startswith(says)
    # Neither the round raised by the company nor "three people familiar" is her pay.
    assert "three" not in lead(answer.text) and "18" not in answer.text.split(".")[0]


@pytest.mark.parametrize(
    ("question", "says", "when"),
    [
        ("Quelle start-up Jonas Ferrault a-t-il rejointe ?", "Mes articles ne disent pas",
         "février 2026"),
        ("Which company did Jonas Ferrault join?", "My articles don't say", "February 2026"),
        ("Where does Jonas Ferrault work now?", "My articles don't say", "February 2026"),
    ],
)
def test_a_newer_departure_to_nowhere_stated_is_not_answered_by_an_older_arrival(
    engine: Engine, question: str, says: str, when: str
) -> None:
    answer = engine.ask(question)
    assert answer.abstained and answer.text.startswith(says), answer.text
    assert "Sorelle IA" in lead(answer.text) and when in lead(answer.text)
    # The departure is cited as what is known; the 2024 arrival is not offered.
    assert [c.published for c in answer.citations] == ["2026-03-05"]
    # "First" still reads the older record.
    first = engine.ask("Which company did Jonas Ferrault join first?")
    assert [v.text for v in first.values] == ["Sorelle IA"]


def test_a_reason_comes_from_the_sentence_that_gives_one(engine: Engine) -> None:
    for question in ("Why did Jonas Ferrault leave Sorelle IA?",
                     "Pourquoi Jonas Ferrault est-il parti ?"):
        answer = engine.ask(question)
        assert "robots domestiques" in fold(lead(answer.text)), answer.text


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("When did Jonas Ferrault leave Sorelle IA, and who took over?",
         ["February 2026", "Camille Orsini"]),
        ("Quand Jonas Ferrault a-t-il quitté Sorelle IA, et qui lui a succédé ?",
         ["février 2026", "Camille Orsini"]),
    ],
)
def test_a_two_part_question_gets_both_parts_each_cited(
    engine: Engine, question: str, facts: list[str]
) -> None:
    answer = engine.ask(question)
    assert not answer.abstained
    first = lead(answer.text)
    numbers = {c.n for c in answer.citations}
    for fact in facts:
        assert fact in first, first
        value = next(v for v in answer.values if v.text == fact)
        assert value.citations and set(value.citations) <= numbers
    # A part the articles do not answer is said so, the other still answered.
    half = engine.ask("When did Jonas Ferrault leave Sorelle IA, and how much was he paid?")
    assert not half.abstained and "February 2026" in lead(half.text)
    assert "My articles don't say" in half.text.splitlines()[1]


def test_a_cause_outranks_a_destination_for_why(engine: Engine) -> None:
    # The c2 article gives the cause in a sentence of its own, after the departure.
    answer = engine.ask("Why did Jonas Ferrault quit?")
    assert "robots domestiques" in lead(answer.text), answer.text


@pytest.mark.parametrize(
    "question",
    ["Which approach does Pellucid Robotics champion?",
     "Quelle approche Pellucid Robotics défend-elle ?"],
)
def test_a_which_noun_question_lifts_the_phrase_around_its_noun(
    engine: Engine, question: str
) -> None:
    answer = engine.ask(question)
    assert [v.text for v in answer.values] == [
        "a simulation-first approach to training robot arms"], answer.text
    assert lead(answer.text).endswith("robot arms [1].")


@pytest.mark.parametrize(
    "question",
    ["Quelle entreprise Léna Vasseur a-t-elle rejointe ?",
     "Which company did Léna Vasseur join?",
     "Where does Léna Vasseur work now?"],
)
def test_the_company_left_or_only_rumoured_is_not_where_someone_went(
    engine: Engine, question: str
) -> None:
    # c4: she left Pellucid Robotics; Sorelle IA is only where she "could" work next.
    answer = engine.ask(question)
    assert answer.abstained, answer.text
    assert "Sorelle" not in lead(answer.text).split(":")[0]
    left = engine.ask("Which company did Léna Vasseur leave?")
    assert [v.text for v in left.values] == ["Pellucid Robotics"]


@pytest.mark.parametrize(
    ("question", "says"),
    [("Which company did Oriane Castel join?", "rumour"),
     ("Quelle entreprise Oriane Castel a-t-elle rejointe ?", "rumeur")],
)
def test_a_rumoured_move_is_not_stated_as_where_someone_went(
    engine: Engine, question: str, says: str
) -> None:
    answer = engine.ask(question)
    assert answer.abstained and says in lead(answer.text), answer.text
    assert [c.published for c in answer.citations] == ["2026-03-01"]
