"""Optional LLM answers, grounded in the extractive answerer's sources, checked in code,
with a fallback that never fails: the answer policy.

The model writes an answer from the numbered sources the extractive ranking found; the
answer is shown only if check.py accepts it. Anything else — a dead or slow endpoint, a
429 storm, a rejected answer, a bug in a client library — returns the extractive answer
unchanged: an LLM outage costs answer quality, never an answer. How a request is sent is
backends.py's; how it survives a bad endpoint (breaker, deadline, retries) resilience.py's.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypedDict

from index.errors import ConfigError
from index.llm.backends import Backend, make_backend
from index.llm.check import OK_WITH_MENTIONS, check_answer, cited_numbers, renumber
from index.llm.prompt import build_messages, typed_evidence
from index.llm.resilience import (
    BreakerState,
    CallFailed,
    CircuitBreaker,
    ResilientCaller,
    RetryPolicy,
)
from index.llm.settings import LLMSettings
from index.redact import redact  # a base URL can carry credentials (user:pass@)
from index.types import Answer, Citation, Language

log = logging.getLogger(__name__)

_REASONING = re.compile(r"^\s*<(think|thinking|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)


def strip_reasoning(text: str) -> str:
    """The answer without a leading <think>...</think> block: reasoning models served by
    vLLM, llama.cpp or LM Studio often put their reasoning in the content itself."""
    return _REASONING.sub("", text, count=1)


class LLMStats(TypedDict):
    """The answerer's counters for /about and the bench (no URL, no key)."""

    provider: str
    model: str | None
    breaker_state: BreakerState
    consecutive_failures: int
    calls: int
    llm_answers: int
    fallbacks: int
    requests: int
    retries: int
    no_sources: int
    mentions: int
    rejections: dict[str, int]
    errors: dict[str, int]


class LLMAnswerer:
    """Thread-safe: one instance serves every worker thread of the bot."""

    def __init__(
        self,
        settings: LLMSettings,
        backend: Backend | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._backend = backend if backend is not None else make_backend(settings)
        self._clock = clock
        self._breaker = CircuitBreaker(
            settings.breaker_failures, settings.breaker_cooldown_s, clock
        )
        self._caller = ResilientCaller(
            RetryPolicy(
                timeout_s=settings.timeout_s, max_retries=settings.max_retries,
                backoff_base_s=settings.backoff_base_s, backoff_max_s=settings.backoff_max_s,
            ),
            self._breaker, clock=clock, sleep=sleep,
        )
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._rejections: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()

    def __repr__(self) -> str:
        return (
            f"LLMAnswerer(provider={self.settings.provider!r}, model={self.settings.model!r}, "
            f"breaker={self.breaker_state!r})"
        )

    @property
    def breaker_state(self) -> BreakerState:
        return self._breaker.state

    def _chat(self, messages: Sequence[tuple[str, str]]) -> str:
        return self._caller.call(lambda timeout: self._backend.chat(messages, timeout))

    # -- public API ------------------------------------------------------------------------
    def complete(self, system: str, user: str) -> str | None:
        """The model's reply to one system + user message, None on any failure. No answer
        checks: the caller validates what it asked for."""
        messages = [("system", system), ("user", user)]
        try:
            text = self._chat(messages)
        except CallFailed as failure:
            self._count_error(failure)
            return None
        except Exception:
            log.exception("LLM completion failed unexpectedly")
            self._count_error(CallFailed("bug"))
            return None
        text = str(text).strip()
        return text or None

    def answer(
        self, question: str, language: Language, sources: Sequence[Citation], fallback: Answer
    ) -> Answer:
        """An LLM answer citing `sources`, or `fallback` unchanged. Never raises."""
        started = self._clock()
        with self._lock:
            self._counts["calls"] += 1
        try:
            result = self._answer(question, language, sources, fallback)
        except Exception:
            # A bug here (or in a client library) must cost the LLM answer, not the answer.
            log.exception("LLM answer failed unexpectedly; using the extractive answer")
            self._count_error(CallFailed("bug"))
            result = None
        if result is None:
            with self._lock:
                self._counts["fallbacks"] += 1
            return fallback
        with self._lock:
            self._counts["llm_answers"] += 1
        log.debug("LLM answer in %.3f s", self._clock() - started)
        return result

    def _answer(
        self, question: str, language: Language, sources: Sequence[Citation], fallback: Answer
    ) -> Answer | None:
        if not sources:
            with self._lock:
                self._counts["no_sources"] += 1
            return None
        if self._breaker.refusing():
            self._count_error(CallFailed("breaker_open"))  # before building any prompt
            return None
        # Numbered 1..k in the order given, whatever numbers the caller used.
        numbered = [replace(s, n=i) for i, s in enumerate(sources, start=1)]
        messages = build_messages(question, language, numbered, _analysis(fallback, numbered))
        try:
            text = self._chat(messages)
        except CallFailed as failure:
            self._count_error(failure)
            return None
        return self._accept(str(text), question, language, numbered, fallback)

    def _accept(
        self, text: str, question: str, language: Language, sources: Sequence[Citation],
        fallback: Answer,
    ) -> Answer | None:
        text = strip_reasoning(text)
        verdict = check_answer(text, sources, self.settings.max_answer_chars)
        if not verdict.ok:
            with self._lock:
                self._rejections[verdict.reason] += 1
            log.info("LLM answer rejected (%s); using the extractive answer", verdict.reason)
            return None
        if verdict.reason == OK_WITH_MENTIONS:
            with self._lock:
                self._counts["mentions"] += 1
            log.info("LLM answer holds mentions; the Discord layer neutralises them")
        text = text.strip()
        order = cited_numbers(text)
        mapping = {old: new for new, old in enumerate(order, start=1)}
        by_number = {s.n: s for s in sources}
        citations = tuple(replace(by_number[old], n=new) for old, new in mapping.items())
        return Answer(
            question=question,
            text=renumber(text, mapping),
            citations=citations,
            abstained=False,
            confidence=fallback.confidence,
            mode="llm",
            language=language,
            answer_type=fallback.answer_type,
            follow_up_of=fallback.follow_up_of,
        )

    def _count_error(self, failure: CallFailed) -> None:
        with self._lock:
            self._errors[failure.kind] += 1
        if failure.kind != "breaker_open":
            log.info("LLM call failed (%s); using the extractive answer", failure.kind)

    # -- status ----------------------------------------------------------------------------
    def stats(self) -> LLMStats:
        """Counters for /about and the bench (no URL, no key)."""
        state = self.breaker_state
        failures = self._breaker.consecutive_failures
        requests, retries = self._caller.requests, self._caller.retries
        with self._lock:
            return {
                "provider": self.settings.provider,
                "model": self.settings.model,
                "breaker_state": state,
                "consecutive_failures": failures,
                "calls": self._counts["calls"],
                "llm_answers": self._counts["llm_answers"],
                "fallbacks": self._counts["fallbacks"],
                "requests": requests,
                "retries": retries,
                "no_sources": self._counts["no_sources"],
                "mentions": self._counts["mentions"],
                "rejections": dict(self._rejections),
                "errors": dict(self._errors),
            }

    def close(self) -> None:
        self._caller.close()
        self._backend.close()


def _analysis(fallback: Answer, sources: Sequence[Citation]) -> str:
    """The extractive answer's typed evidence (answer type, candidate values) with each
    value's citations renumbered to the prompt's sources (matched on the quoted sentence)."""
    number = {(s.article_id, s.start): s.n for s in sources}
    cited = {c.n: number.get((c.article_id, c.start)) for c in fallback.citations}
    values = [(v.text, [n for n in (cited.get(c) for c in v.citations) if n is not None])
              for v in fallback.values]
    return typed_evidence(fallback.answer_type, values)


def build_answerer(settings: LLMSettings) -> LLMAnswerer | None:
    """The answerer for these settings, None when LLM_PROVIDER=none (nothing imported)."""
    if not settings.enabled:
        return None
    url = (settings.base_url or "").rstrip("/")
    if settings.provider == "openai" and not url.endswith("/v1"):
        log.warning("LLM_BASE_URL %s has no /v1: OpenAI-compatible servers usually need it",
                    redact(url))
    if settings.provider == "ollama" and url.endswith("/v1"):
        log.warning("LLM_BASE_URL ends with /v1: that is Ollama's OpenAI API; use "
                    "LLM_PROVIDER=openai with it, or drop /v1 for LLM_PROVIDER=ollama")
    try:
        answerer = LLMAnswerer(settings)
    except ValueError as exc:
        # e.g. llama-index refuses models only served by OpenAI's Responses API.
        raise ConfigError(f"LLM_MODEL={settings.model!r} cannot be used: {exc}") from None
    except ImportError as exc:
        raise ConfigError(
            f"LLM_PROVIDER={settings.provider} needs the optional LLM packages: "
            f"pip install 'talentbot[llm]' ({exc.name} is missing)"
        ) from None
    log.info("LLM answers on: %s model %s", settings.provider, settings.model)
    return answerer
