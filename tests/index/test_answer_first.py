"""The answer first, then its proof (issue 15): on invented articles in both languages,
each answer states its values with their [n] in the question's language, quotes the
sentences that hold them, abstains when no article says, and reads follow-ups with the
question they complete."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.settings import make_settings

from index.engine import Engine
from index.text import fold

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "answer_articles"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("answers")
    (work / "corpus" / "articles").mkdir(parents=True)
    for article in ARTICLES.glob("*.md"):
        shutil.copy(article, work / "corpus" / "articles" / article.name)
    shutil.copy(ARTICLES / "organisations.yaml", work / "corpus" / "organisations.yaml")
    Engine(make_settings(work, work / "corpus" / "articles"), llm=False).ingest()
    return work


@pytest.fixture(scope="module")
def engine(workdir: Path) -> Iterator[Engine]:
    yield Engine(make_settings(workdir, workdir / "corpus" / "articles"), llm=False)


def lead(text: str) -> str:
    """The answer-first sentence."""
    return text.splitlines()[0]


@pytest.mark.parametrize(
    ("question", "head", "facts"),
    [
        # English questions on a French article get an English answer sentence.
        ("Which researchers did Lumenfeld poach from Quillwork AI?", "In short: ",
         ["Maëlle Ardent", "Tobias Quenneville", "Ines Varga"]),
        ("When did Maëlle Ardent leave Quillwork AI?", "In short: ", ["February 2025"]),
        ("Who brought Tobias Quenneville on board?", "In short: ", ["Lumenfeld"]),
        ("Combien Lumenfeld a-t-il offert en primes ?", "En bref : ", ["40 millions"]),
        ("Qui dirige l'équipe de raisonnement de Lumenfeld ?", "En bref : ", ["Maëlle Ardent"]),
        ("Où Tobias Quenneville a-t-il enseigné ?", "En bref : ", ["Grenoble"]),
        ("Why did Ines Varga leave?", "In short: ", ["recherche fondamentale"]),
        # A French question on an English article gets a French answer sentence.
        ("Quel poste Maëlle Ardent occupe-t-elle chez Brightmoor Labs ?", "En bref : ",
         ["chief scientist"]),
    ],
)
def test_the_answer_comes_first_with_its_citations(
    engine: Engine, question: str, head: str, facts: list[str]
) -> None:
    answer = engine.ask(question)
    assert not answer.abstained
    first = lead(answer.text)
    assert first.startswith(head)
    for fact in facts:
        assert fold(fact) in fold(first), first
    # Every value carries the numbers of citations that exist, and those quotes are in
    # the answer below it (or, for records, the citations hold the evidence).
    assert answer.values
    numbers = {c.n for c in answer.citations}
    for value in answer.values:
        assert value.citations and set(value.citations) <= numbers
    assert "[1]" in first


def test_a_date_says_its_precision_and_source(engine: Engine) -> None:
    answer = engine.ask("Quand Maëlle Ardent a-t-elle quitté Lumenfeld ?")
    assert lead(answer.text).startswith("En bref : mai 2025 [1]")
    assert "d'après l'article du 2025-06-02" in lead(answer.text)


def test_who_is_x_is_answered_by_what_the_articles_say_of_x(engine: Engine) -> None:
    role = engine.ask("Who is Oskar Brandt?")
    assert lead(role.text).startswith("In short: ") and "head of reasoning" in lead(role.text)
    # No job title stated: the sentences about her still answer, without a lead.
    described = engine.ask("Qui est Ines Varga ?")
    assert not described.abstained and "Ines Varga" in described.text


def test_the_date_nearest_the_move_asked_answers(engine: Engine) -> None:
    answer = engine.ask("When did Oskar Brandt leave Quillwork AI?")
    assert lead(answer.text).startswith("In short: January 2025 [1]"), answer.text


def test_where_now_comes_from_the_newest_record(engine: Engine) -> None:
    answer = engine.ask("Where does Maëlle Ardent work now?")
    assert answer.mode == "records" and [v.text for v in answer.values] == ["Brightmoor Labs"]
    assert answer.citations[0].published == "2025-06-02"


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("What salary does Oskar Brandt earn?", "My articles don't say"),
        ("Which investors are backing Brightmoor Labs?", "My articles don't say"),
        ("Qui sont les investisseurs de Lumenfeld ?", "Mes articles ne disent pas"),
        ("Who did Lumenfeld hire in 2019?", "My articles don't say"),
        ("Combien gagne Ines Varga chez Lumenfeld ?", "Mes articles ne disent pas"),
    ],
)
def test_no_answer_of_the_asked_kind_is_an_honest_abstention(
    engine: Engine, question: str, says: str
) -> None:
    answer = engine.ask(question)
    assert answer.abstained and answer.mode == "abstained" and not answer.citations
    assert answer.text.startswith(says)
    # No quote is passed off as the answer; at most the closest article is named.
    assert "«" not in answer.text.split(":")[0] and "“" not in answer.text.split(":")[0]


def test_a_follow_up_is_answered_about_what_came_before(engine: Engine) -> None:
    earlier = "Did Maëlle Ardent leave Lumenfeld?"
    answer = engine.ask("And when?", [earlier])
    assert answer.follow_up_of == earlier and answer.answer_type == "date"
    assert "May 2025" in lead(answer.text)
    french = engine.ask("Et pourquoi ?", ["Ines Varga a-t-elle quitté Quillwork AI ?"])
    assert french.language == "fr" and "recherche fondamentale" in french.text
    # A fresh question in the same conversation is answered on its own.
    fresh = engine.ask("Who left Quillwork AI for Lumenfeld?", [earlier])
    assert fresh.follow_up_of is None and fresh.mode == "records"
    assert {v.text for v in fresh.values} == {"Maëlle Ardent", "Tobias Quenneville",
                                              "Ines Varga"}


def test_ask_json_adds_the_structured_answer(workdir: Path) -> None:
    import os

    env = dict(os.environ, TALENTBOT_CORPUS_DIR=str(workdir / "corpus" / "articles"),
               TALENTBOT_DATA_DIR=str(workdir / "data"), LLM_PROVIDER="none")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json",
         "Combien Lumenfeld a-t-il offert en primes ?"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    data = json.loads(out)
    # The existing schema stays; the structured answer is added beside it.
    assert {"question", "answer", "abstained", "confidence", "mode", "citations"} <= set(data)
    assert data["answer_type"] == "number"
    assert data["values"][0]["text"].startswith("40 millions")
    assert data["values"][0]["citations"] == [1]
