"""The engine with an LLM configured: the model writes from the extractive sources, and
every failure path ends in the extractive answer. Real openai client, scripted server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.llm_server import LLMTestServer, error, reply
from support.settings import make_settings

from index.corpus import read_article
from index.engine import Engine
from index.llm import LLMSettings, build_answerer

QUESTION = "Where did Sebastien Bubeck teach before Microsoft?"


@pytest.fixture(scope="module")
def llm_server() -> Iterator[LLMTestServer]:
    with LLMTestServer() as server:
        yield server


def llm_engine(workdir: Path, server: LLMTestServer, **extra: object) -> Engine:
    values: dict[str, object] = {
        "LLM_PROVIDER": "openai", "LLM_BASE_URL": server.openai_url, "LLM_MODEL": "test-model",
        "LLM_API_KEY": "sk-canary-123", "LLM_TIMEOUT_S": 2, "LLM_BACKOFF_BASE_S": 0.01,
        "LLM_BREAKER_COOLDOWN_S": 60,
    }
    values.update(extra)
    llm = build_answerer(LLMSettings(_env_file=None, **values))  # type: ignore[call-arg]
    return Engine(make_settings(workdir, workdir / "corpus" / "articles"), llm=llm)


def test_grounded_llm_answer_cites_verified_sources(
    seed_workdir: Path, llm_server: LLMTestServer
) -> None:
    llm_server.reset()
    engine = llm_engine(seed_workdir, llm_server)
    _, sources = engine.evidence(QUESTION)
    n = next(s.n for s in sources if "Princeton" in s.quote)
    llm_server.script(reply(f"Avant Microsoft, il enseignait à Princeton [{n}]."))
    answer = engine.ask(QUESTION)
    assert answer.mode == "llm" and "Princeton" in answer.text and "[1]" in answer.text
    (citation,) = answer.citations
    assert "Princeton" in citation.quote
    body = read_article(
        seed_workdir / "corpus" / "articles" / f"{citation.article_id}.md", 10**7
    ).body
    assert body[citation.start:citation.start + len(citation.quote)] == citation.quote
    request = llm_server.chat_requests[-1]
    assert "Princeton" in (request.user or "") and QUESTION in (request.user or "")


def test_the_model_gets_the_typed_evidence(seed_workdir: Path, llm_server: LLMTestServer) -> None:
    """The answer type and the candidate values the extractive answerer found, each with
    its source number in the prompt, inside a delimited <analysis> block."""
    llm_server.reset()
    engine = llm_engine(seed_workdir, llm_server)
    question = "Combien de coauteurs de l'étude OPT ont quitté Meta ?"
    fallback, _ = engine.evidence(question)
    assert fallback.answer_type == "number" and fallback.values
    llm_server.script(reply("Huit des 19 coauteurs [1]."))
    answer = engine.ask(question)
    assert answer.mode == "llm" and answer.answer_type == "number"
    request = llm_server.chat_requests[-1]
    user = request.user or ""
    analysis = user.split("<analysis>\n", 1)[1].split("\n</analysis>", 1)[0]
    assert analysis.startswith("Expected answer: a number or amount. Candidates: ")
    assert f'"{fallback.values[0].text}" [' in analysis
    assert "An <analysis> block" in (request.system or "")


def test_dead_endpoint_falls_back_to_the_extractive_answer_fast(seed_workdir: Path) -> None:
    with LLMTestServer() as server:
        url = server.openai_url
    engine = llm_engine(seed_workdir, LLMTestServerStub(url), LLM_BREAKER_FAILURES=1)
    first = engine.ask(QUESTION)
    assert first.mode == "extractive" and "Princeton" in first.text
    started = time.perf_counter()
    second = engine.ask(QUESTION)  # breaker open: no network at all
    assert second.mode == "extractive"
    assert time.perf_counter() - started < 0.5
    assert engine.llm is not None and engine.llm.breaker_state == "open"


def test_rejected_output_falls_back(seed_workdir: Path, llm_server: LLMTestServer) -> None:
    llm_server.reset()
    llm_server.script(
        reply("Il a enseigné à Princeton [97]."),  # no such source
        reply("Voir https://evil.example/phish [1]"),  # a link no article gave
        error(503), error(503), error(503),
    )
    engine = llm_engine(seed_workdir, llm_server, LLM_MAX_RETRIES=2)
    for _ in range(3):
        answer = engine.ask(QUESTION)
        assert answer.mode == "extractive" and "evil" not in answer.text


def test_abstentions_and_records_never_reach_the_model(
    seed_workdir: Path, llm_server: LLMTestServer
) -> None:
    llm_server.reset()
    engine = llm_engine(seed_workdir, llm_server)
    assert engine.ask("Did Hugo Vasseur leave Meta?").abstained
    assert engine.ask("Who left Meta for Mistral?").mode == "records"
    assert llm_server.chat_requests == []


class LLMTestServerStub:
    """Only the address of a server that is gone."""

    def __init__(self, url: str) -> None:
        self.openai_url = url
