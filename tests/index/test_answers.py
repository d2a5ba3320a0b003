"""Answers on the seed corpus: facts present, quotes verbatim, right article, abstentions.

The questions here are written for these tests (not taken from the evaluation set); the
facts checked are what the seed articles say.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from index.corpus import read_article
from index.engine import Engine
from index.errors import BadQuestionError
from index.text import fold


def body_of(workdir: Path, article_id: str) -> str:
    return read_article(workdir / "corpus" / "articles" / f"{article_id}.md", 10**7).body


@pytest.mark.parametrize(
    ("question", "article", "fact"),
    [
        ("Who did Meta recruit from OpenAI?", "001_3506358b6db8e71d", "Bansal"),
        ("Qui a quitté Microsoft pour OpenAI ?", "003_f0a7147a88f28b09", "Bubeck"),
        ("When did Baptiste Rozière leave Meta?", "000_7ad085f68d0b14a3", "août 2024"),
        ("Which ChatGPT developer left OpenAI?", "003_f0a7147a88f28b09", "Luke Metz"),
        ("Combien de coauteurs de l'étude OPT ont quitté Meta ?", "002_4abfbb4080b730dd", "Huit"),
        ("Why did Ruben Mayer leave?", "004_bab072e71f1879b0", "raisons personnelles"),
    ],
)
def test_answer_cites_the_right_article_and_quotes_it_verbatim(
    seed_engine: Engine, seed_workdir: Path, question: str, article: str, fact: str
) -> None:
    answer = seed_engine.ask(question)
    assert not answer.abstained
    assert answer.mode in ("extractive", "records")  # plain who-moved questions use records
    assert article in [c.article_id for c in answer.citations[:3]]
    assert fold(fact) in fold(answer.text)
    for citation in answer.citations:
        body = body_of(seed_workdir, citation.article_id)
        assert body[citation.start:citation.start + len(citation.quote)] == citation.quote
        if answer.mode == "extractive":  # records answers list moves; quotes are citations
            assert citation.quote in answer.text
        assert f"[{citation.n}]" in answer.text
        assert citation.title


def test_citations_carry_article_metadata(seed_engine: Engine) -> None:
    answer = seed_engine.ask("Who left Meta Superintelligence Labs after two months?")
    first = answer.citations[0]
    assert first.article_id == "004_bab072e71f1879b0"
    assert first.published == "2025-09-01"
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


@pytest.mark.parametrize(
    "question",
    [
        "Did Hugo Vasseur leave Meta?",
        "Who did Apple hire from Nvidia last year?",
        "Quelle est la recette de la ratatouille ?",
        "what is the weather like today?",
    ],
)
def test_questions_the_corpus_cannot_answer_abstain(seed_engine: Engine, question: str) -> None:
    answer = seed_engine.ask(question)
    assert answer.abstained and not answer.citations and answer.confidence == 0.0
    assert answer.mode == "abstained"


def test_abstention_names_what_is_unknown_in_the_question_language(seed_engine: Engine) -> None:
    assert seed_engine.ask("Did Hugo Vasseur leave Meta?").text == (
        "I don't find anything about Hugo Vasseur in my articles."
    )
    french = seed_engine.ask("Qui Nvidia a-t-il recruté ?")
    assert french.abstained and "Nvidia" in french.text and "articles" in french.text
    assert french.language == "fr"


def test_answer_framing_follows_the_question_language(seed_engine: Engine) -> None:
    fr = seed_engine.ask("Quel poste occupait Lilian Weng chez OpenAI ?")
    en = seed_engine.ask("What was Lilian Weng's job at OpenAI?")
    # The answer first, then the quotes, both framed in the question's language.
    assert fr.language == "fr" and fr.text.startswith("En bref : ")
    assert "Voici ce que disent mes articles" in fr.text
    assert en.language == "en" and en.text.startswith("In short: ")
    assert "Here is what my articles say" in en.text


def test_follow_up_uses_the_conversation(seed_engine: Engine) -> None:
    first = "Who joined Mistral AI from Meta?"
    follow = seed_engine.ask("And when was Lavril hired?", context=[first])
    assert "juin 2023" in follow.text


@pytest.mark.parametrize("bad", ["", "   \n\t ", "x" * 5_000])
def test_bad_questions_get_a_clear_error(seed_engine: Engine, bad: str) -> None:
    with pytest.raises(BadQuestionError):
        seed_engine.ask(bad)


def test_company_summary_cites_every_article_reporting_moves(seed_engine: Engine) -> None:
    summary = seed_engine.company("Meta")
    assert summary.found
    cited = {c.article_id for c in summary.citations}
    assert {"000_7ad085f68d0b14a3", "001_3506358b6db8e71d", "004_bab072e71f1879b0"} <= cited
    assert "OpenAI" in summary.summary


@pytest.mark.parametrize(
    ("alias", "canonical"), [("mistral", "Mistral AI"), ("DeepMind", "Google DeepMind")]
)
def test_company_aliases_resolve(seed_engine: Engine, alias: str, canonical: str) -> None:
    summary = seed_engine.company(alias)
    assert summary.company == canonical and summary.found


def test_unknown_company_is_not_found(seed_engine: Engine) -> None:
    summary = seed_engine.company("Acme Robotics Consolidated")
    assert not summary.found and not summary.citations
    assert "Acme Robotics Consolidated" in summary.summary


def test_french_company_summary(seed_engine: Engine) -> None:
    summary = seed_engine.company("OpenAI", language="fr")
    assert summary.summary.startswith("OpenAI : ") and "Départs" in summary.summary
    assert any("Murati" in c.quote for c in summary.citations)


def test_engine_lists_articles_and_companies(seed_engine: Engine) -> None:
    articles = seed_engine.articles()
    assert len(articles) == 5 and all(a.chunks > 0 for a in articles)
    companies = seed_engine.companies()
    assert {"Meta", "OpenAI", "Mistral AI", "Microsoft"} <= set(companies)
    assert "Amazon" not in companies
