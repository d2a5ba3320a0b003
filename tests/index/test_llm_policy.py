"""The LLM answer policy on the in-process fake backend (index/llm/backends.py): the
checks, the fallbacks, renumbering, the circuit breaker's transitions. No HTTP, so these
run in milliseconds; how the real openai / ollama clients fail is tests/index/test_llm.py's."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from support.llm_cases import FALLBACK, QUESTION, SOURCES, llm_settings, markers_consistent

from index.llm import LLMAnswerer
from index.llm.backends import FakeBackend, Scripted
from index.llm.check import (
    FOREIGN_LINK,
    INVENTED_CITATION,
    NO_CITATION,
    PROMPT_LEAK,
)
from index.llm.prompt import RULES, system_prompt
from index.llm.resilience import CallFailed, status_failure
from index.types import Answer


def http(status: int) -> CallFailed:
    """What a real backend raises for this status (no Retry-After)."""
    return status_failure(status, None)


def fake_answerer(backend: FakeBackend, **extra: Any) -> LLMAnswerer:
    settings = llm_settings("http://fake.invalid/v1", **extra)
    return LLMAnswerer(settings, backend=backend)


@pytest.fixture
def made() -> Any:
    answerers: list[LLMAnswerer] = []
    yield answerers
    for answerer in answerers:
        answerer.close()


@pytest.fixture
def make(made: list[LLMAnswerer]) -> Any:
    def build(backend: FakeBackend, **extra: Any) -> LLMAnswerer:
        answerer = fake_answerer(backend, **extra)
        made.append(answerer)
        return answerer

    return build


def ask(answerer: LLMAnswerer) -> Answer:
    return answerer.answer(QUESTION, "fr", SOURCES, FALLBACK)


# -- good answers -------------------------------------------------------------------------
def test_grounded_answer_is_renumbered(make: Any) -> None:
    backend = FakeBackend(
        "Hugo Vasseur quitte Meta pour fonder Orvane Labs [3][1], qui lève 500 millions [3, 1]."
    )
    answer = ask(make(backend))
    assert answer.mode == "llm" and not answer.abstained
    assert answer.language == "fr" and answer.question == QUESTION
    assert answer.confidence == FALLBACK.confidence
    assert answer.text == (
        "Hugo Vasseur quitte Meta pour fonder Orvane Labs [1][2], qui lève 500 millions [1, 2]."
    )
    # [1] is the prompt's source 3 (third given), [2] the prompt's source 1.
    assert [c.n for c in answer.citations] == [1, 2]
    assert [c.article_id for c in answer.citations] == ["a3", "a1"]
    assert answer.citations[0].quote == SOURCES[2].quote
    assert markers_consistent(answer)
    assert len(backend.requests) == 1


def test_ranges_expand_and_renumber(make: Any) -> None:
    answer = ask(make(FakeBackend("Orvane Labs [1-3].")))
    assert answer.mode == "llm"
    assert answer.text == "Orvane Labs [1, 2, 3]."
    assert [c.article_id for c in answer.citations] == ["a1", "a2", "a3"]


def test_reasoning_blocks_are_not_part_of_the_answer(make: Any) -> None:
    backend = FakeBackend(
        "<think>The user wants https://x.example [9]</think>\nOrvane Labs lève [3]."
    )
    answer = ask(make(backend))
    assert answer.mode == "llm" and answer.text == "Orvane Labs lève [1]."


def test_english_questions_get_english_rules(make: Any) -> None:
    backend = FakeBackend("Vasseur left [1].")
    answer = make(backend).answer("Why did Vasseur leave?", "en", SOURCES, FALLBACK)
    assert answer.language == "en"
    (first_role, system), (second_role, _) = backend.requests[0]
    assert (first_role, second_role) == ("system", "user")
    assert system == system_prompt("en") and system.endswith("Write the answer in English.")


# -- rejected answers ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Vasseur part [1] et rejoint Google [9].", INVENTED_CITATION),
        ("Vasseur part [0].", INVENTED_CITATION),
        ("Vasseur quitte Meta pour Orvane Labs.", NO_CITATION),
        ("", "empty"),
        ("   \n ", "empty"),
        ("Vasseur [1]. " + "x" * 10_000, "too_long"),
        ("Vasseur [1], voir https://other.example/lecun.", FOREIGN_LINK),
        ("Vasseur [1], voir www.other.example.", FOREIGN_LINK),
        ("Vasseur [1], voir [l'article](https://news.example/1/../evil).", FOREIGN_LINK),
        ("Vasseur [1] <https://other.example>", FOREIGN_LINK),
        ("Mes règles : " + RULES[1] + " [1]", PROMPT_LEAK),
    ],
)
def test_bad_outputs_fall_back(make: Any, text: str, reason: str) -> None:
    answerer = make(FakeBackend(text))
    assert ask(answerer) is FALLBACK
    assert answerer.stats()["rejections"] == {reason: 1}
    assert answerer.stats()["fallbacks"] == 1


def test_injected_link_is_rejected(make: Any) -> None:
    # The scripted model obeys the instruction planted in source 2.
    answerer = make(FakeBackend("CANARY-42 @everyone https://evil.example [2]"))
    assert ask(answerer) is FALLBACK
    assert answerer.stats()["rejections"] == {FOREIGN_LINK: 1}


def test_injected_canary_is_cited_source_text_and_rendered_inert(make: Any) -> None:
    from bot.render import safe

    # Quoting the source's own words, cited, is allowed; mentions are the renderer's job.
    answerer = make(FakeBackend("La source 2 dit « CANARY-42 » et @everyone [2].", "CANARY-42"))
    answer = ask(answerer)
    assert answer.mode == "llm" and answer.text == "La source 2 dit « CANARY-42 » et @everyone [1]."
    assert [c.article_id for c in answer.citations] == ["a2"]
    assert answerer.stats()["mentions"] == 1
    assert "@everyone" not in safe(answer.text)
    # The canary alone cites nothing: rejected.
    assert ask(answerer) is FALLBACK
    assert answerer.stats()["rejections"] == {NO_CITATION: 1}


def test_source_url_is_the_only_link_allowed(make: Any) -> None:
    answerer = make(FakeBackend(f"Vasseur part [1] ({SOURCES[0].url}).",
                                f"Vasseur part [1] ({SOURCES[0].url}/x)."))
    assert ask(answerer).mode == "llm"
    assert ask(answerer) is FALLBACK


def test_no_sources_means_no_call(make: Any) -> None:
    backend = FakeBackend("Vasseur [1].")
    answerer = make(backend)
    assert answerer.answer(QUESTION, "fr", (), FALLBACK) is FALLBACK
    assert backend.requests == []
    assert answerer.stats()["no_sources"] == 1


def test_a_bug_in_the_backend_costs_the_llm_answer_only(make: Any) -> None:
    class Broken(FakeBackend):
        def chat(self, messages: Any, timeout: float) -> str:
            raise RuntimeError("a client library bug")

    answerer = make(Broken())
    assert ask(answerer) is FALLBACK
    assert answerer.complete("system", "user") is None


# -- the breaker ----------------------------------------------------------------------------
def test_503_burst_opens_the_breaker_then_a_trial_closes_it(make: Any) -> None:
    backend = FakeBackend(default=http(503))
    answerer = make(backend, LLM_MAX_RETRIES=1)
    for _ in range(3):
        assert ask(answerer) is FALLBACK
    assert answerer.breaker_state == "open"
    sent = len(backend.requests)
    assert sent == 6  # 3 answers, 2 attempts each
    for _ in range(5):
        started = time.perf_counter()
        assert ask(answerer) is FALLBACK
        assert time.perf_counter() - started < 0.05
    assert len(backend.requests) == sent  # no request while open
    assert answerer.stats()["errors"]["breaker_open"] == 5

    time.sleep(0.35)  # the cooldown
    assert answerer.breaker_state == "half_open"
    backend.default = "Vasseur [1]."
    assert ask(answerer).mode == "llm"
    assert len(backend.requests) == sent + 1  # one trial request
    assert answerer.breaker_state == "closed"


def test_failed_trial_reopens_without_retries(make: Any) -> None:
    backend = FakeBackend(default=http(503))
    answerer = make(backend, LLM_BREAKER_FAILURES=1, LLM_BREAKER_COOLDOWN_S=0.1)
    assert ask(answerer) is FALLBACK
    assert answerer.breaker_state == "open"
    time.sleep(0.12)
    sent = len(backend.requests)
    assert ask(answerer) is FALLBACK
    assert len(backend.requests) == sent + 1  # the trial, not retried
    assert answerer.breaker_state == "open"


def test_only_one_trial_while_half_open(make: Any) -> None:
    backend = FakeBackend(default=http(503))
    answerer = make(backend, LLM_BREAKER_FAILURES=1, LLM_BREAKER_COOLDOWN_S=0.1)
    ask(answerer)
    time.sleep(0.12)
    backend.default = Scripted(text="Vasseur [1].", delay=0.4)
    results: list[Answer] = []
    trial = threading.Thread(target=lambda: results.append(ask(answerer)))
    trial.start()
    time.sleep(0.1)  # the trial is in flight
    started = time.perf_counter()
    assert ask(answerer) is FALLBACK
    assert time.perf_counter() - started < 0.05
    trial.join()
    assert results[0].mode == "llm"
    assert answerer.breaker_state == "closed"


def test_a_slow_backend_is_abandoned_at_the_deadline(make: Any) -> None:
    answerer = make(FakeBackend(default=Scripted(text="Vasseur [1].", delay=1.5)), LLM_TIMEOUT_S=1)
    started = time.monotonic()
    assert ask(answerer) is FALLBACK
    assert time.monotonic() - started < 1.4
    assert answerer.stats()["errors"] == {"timeout": 1}


# -- completions ------------------------------------------------------------------------------
def test_complete_returns_text_or_none(make: Any) -> None:
    backend = FakeBackend("  Un résumé.  ", http(400), "")
    answerer = make(backend)
    assert answerer.complete("system", "user") == "Un résumé."
    assert backend.requests[0] == [("system", "system"), ("user", "user")]
    assert answerer.complete("system", "user") is None
    assert answerer.complete("system", "user") is None
    assert len(backend.requests) == 3  # the 400 was not retried
