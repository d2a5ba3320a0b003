"""Optional LLM answers, grounded in the extractive answerer's sources, checked in code,
with a fallback that never fails.

The model writes an answer from the numbered sources the extractive ranking found; the
answer is shown only if check.py accepts it. Anything else — a dead or slow endpoint, a
429 storm, a rejected answer, a bug in a client library — returns the extractive answer
unchanged: an LLM outage costs answer quality, never an answer.

The llama-index LLM classes (and the openai / ollama clients under them) are imported
only when an answerer is built, so the offline default never pays for them.
"""

from __future__ import annotations

import concurrent.futures
import email.utils
import logging
import queue
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from index.errors import ConfigError
from index.llm import check
from index.llm.prompt import build_messages, typed_evidence
from index.llm.settings import LLMSettings
from index.llm.transport import capped_transport, too_large
from index.redact import redact  # a base URL can carry credentials (user:pass@)
from index.types import Answer, Citation, Language

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half_open"]
Messages = Sequence[tuple[str, str]]

MIN_ATTEMPT_S = 0.05  # a retry needs at least this much of the deadline left to be worth it
CONNECT_TIMEOUT_S = 5.0
WORKERS = 16


class CallFailed(Exception):
    """One failed request, classified for the retry policy and the counters."""

    def __init__(
        self, kind: str, *, status: int | None = None, retry_after: float | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.retryable = retryable


class Backend(Protocol):
    """One provider's way of sending chat messages; raises CallFailed on any failure."""

    def chat(self, messages: Messages, timeout: float) -> str: ...

    def stream(self, messages: Messages, timeout: float) -> Iterator[str]: ...

    def close(self) -> None: ...


def retry_after_seconds(headers: Any, now: float | None = None) -> float | None:
    """Seconds to wait from Retry-After (or OpenAI's retry-after-ms), None if absent or
    unreadable."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


_REASONING = re.compile(r"^\s*<(think|thinking|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)


def strip_reasoning(text: str) -> str:
    """The answer without a leading <think>...</think> block: reasoning models served by
    vLLM, llama.cpp or LM Studio often put their reasoning in the content itself."""
    return _REASONING.sub("", text, count=1)


def _status_failure(status: int, headers: Any) -> CallFailed:
    retryable = status == 429 or status >= 500
    return CallFailed(
        f"http_{status}", status=status,
        retry_after=retry_after_seconds(headers) if retryable else None, retryable=retryable,
    )


def _timeouts(total: float) -> httpx.Timeout:
    import httpx

    return httpx.Timeout(total, connect=min(CONNECT_TIMEOUT_S, total))


def _chat_messages(messages: Messages) -> list[Any]:
    from llama_index.core.llms import ChatMessage, MessageRole

    return [ChatMessage(role=MessageRole(role), content=content) for role, content in messages]


class OpenAIBackend:
    """Any OpenAI-compatible endpoint through llama-index's OpenAILike.

    The openai client is built here so that (1) its own retries are off (max_retries=0:
    the policy below applies, not three hidden retries with their own sleeps), and (2) the
    API key lives in that client only, not in a llama-index model that could be printed.
    """

    def __init__(self, settings: LLMSettings) -> None:
        import openai
        from llama_index.llms.openai_like import OpenAILike

        key = settings.api_key.get_secret_value() if settings.api_key else ""
        self._openai = openai
        self._client = openai.OpenAI(
            # The client refuses an empty key; local servers ignore whatever is sent.
            api_key=key or "no-key",
            base_url=settings.base_url,
            max_retries=0,
            timeout=_timeouts(settings.timeout_s),
            http_client=openai.DefaultHttpxClient(
                transport=capped_transport(settings.max_reply_bytes)
            ),
        )
        # mypy sees only the pydantic fields, not OpenAI.__init__'s client arguments.
        self._llm = OpenAILike(  # type: ignore[call-arg]
            model=settings.model or "",
            api_base=settings.base_url,
            api_key="held-by-client",  # never used: openai_client below carries the key
            openai_client=self._client,
            reuse_client=True,
            # OpenAILike defaults to the legacy /completions endpoint and a prompt built
            # from the messages: chat models need the chat endpoint and real roles.
            is_chat_model=True,
            is_function_calling_model=False,
            context_window=settings.context_window,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            max_retries=0,  # also turns off llama-index's own tenacity retry decorator
            timeout=settings.timeout_s,
        )
        # The client imports its API resources on first use (~0.3 s): pay that at start-up,
        # not on the first question.
        _ = self._client.chat.completions

    def _failure(self, exc: Exception) -> CallFailed:
        openai = self._openai
        if too_large(exc):
            return CallFailed("reply_too_large")
        if isinstance(exc, openai.APIStatusError):
            return _status_failure(exc.status_code, exc.response.headers)
        if isinstance(exc, openai.APITimeoutError):
            return CallFailed("timeout", retryable=True)
        if isinstance(exc, openai.APIConnectionError):
            return CallFailed("connection", retryable=True)
        return CallFailed(f"error_{type(exc).__name__}")

    def chat(self, messages: Messages, timeout: float) -> str:
        try:
            # `timeout` reaches client.chat.completions.create: one deadline per request.
            response = self._llm.chat(_chat_messages(messages), timeout=_timeouts(timeout))
        except Exception as exc:
            raise self._failure(exc) from exc
        return response.message.content or ""

    def stream(self, messages: Messages, timeout: float) -> Iterator[str]:
        try:
            for chunk in self._llm.stream_chat(
                _chat_messages(messages), timeout=_timeouts(timeout)
            ):
                if chunk.delta:
                    yield chunk.delta
        except CallFailed:
            raise
        except Exception as exc:
            raise self._failure(exc) from exc

    def close(self) -> None:
        self._client.close()


class _HTTPStatusError(Exception):
    def __init__(self, status: int, headers: Any) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers


def _raise_for_status(response: httpx.Response) -> None:
    # The ollama client turns HTTP errors into ResponseError(text, status) and drops the
    # headers; raising from an httpx response hook keeps Retry-After.
    if response.status_code >= 400:
        raise _HTTPStatusError(response.status_code, response.headers)


class OllamaBackend:
    """Ollama's own API (/api/chat) through llama-index's Ollama class."""

    def __init__(self, settings: LLMSettings) -> None:
        import httpx
        import ollama
        from llama_index.llms.ollama import Ollama

        headers = {}
        if settings.api_key:  # Ollama behind an authenticating proxy, or ollama.com
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self._httpx = httpx
        self._ollama = ollama
        self._local = threading.local()
        self._client = ollama.Client(
            host=settings.base_url,
            timeout=_timeouts(settings.timeout_s),
            headers=headers,
            event_hooks={"request": [self._request_timeout], "response": [_raise_for_status]},
            transport=capped_transport(settings.max_reply_bytes),
        )
        self._llm = Ollama(
            model=settings.model or "",
            base_url=settings.base_url or "",
            client=self._client,
            # -1 (the default) makes every chat ask /api/show for the context length.
            context_window=settings.context_window,
            request_timeout=settings.timeout_s,
            temperature=settings.temperature,
            additional_kwargs={"num_predict": settings.max_tokens},
            is_function_calling_model=False,
        )

    def _failure(self, exc: Exception) -> CallFailed:
        if too_large(exc):
            return CallFailed("reply_too_large")
        if isinstance(exc, _HTTPStatusError):
            return _status_failure(exc.status, exc.headers)
        if isinstance(exc, self._ollama.ResponseError):
            if exc.status_code > 0:
                return _status_failure(exc.status_code, None)
            return CallFailed("model_error")  # an "error" line in a streamed reply
        if isinstance(exc, self._httpx.TimeoutException):
            return CallFailed("timeout", retryable=True)
        # ollama raises the builtin ConnectionError when it cannot connect.
        if isinstance(exc, ConnectionError | self._httpx.TransportError):
            return CallFailed("connection", retryable=True)
        return CallFailed(f"error_{type(exc).__name__}")

    def _request_timeout(self, request: httpx.Request) -> None:
        # Neither llama-index nor the ollama client takes a per-request timeout; httpcore
        # reads it from the request, so this (worker) thread's deadline is set there.
        timeout = getattr(self._local, "timeout", None)
        if timeout is not None:
            request.extensions["timeout"] = _timeouts(timeout).as_dict()

    def chat(self, messages: Messages, timeout: float) -> str:
        self._local.timeout = timeout
        try:
            response = self._llm.chat(_chat_messages(messages))
        except Exception as exc:
            raise self._failure(exc) from exc
        finally:
            self._local.timeout = None
        return response.message.content or ""

    def stream(self, messages: Messages, timeout: float) -> Iterator[str]:
        self._local.timeout = timeout
        try:
            for chunk in self._llm.stream_chat(_chat_messages(messages)):
                if chunk.delta:
                    yield chunk.delta
        except CallFailed:
            raise
        except Exception as exc:
            raise self._failure(exc) from exc
        finally:
            self._local.timeout = None

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class _Admission:
    trial: bool  # the one request let through while half-open


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
        self._backend = backend if backend is not None else _make_backend(settings)
        self._clock = clock
        self._sleep = sleep
        self._random = random.Random()
        self._pool = concurrent.futures.ThreadPoolExecutor(WORKERS, thread_name_prefix="llm")
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0  # consecutive failed calls
        self._opened_at = 0.0
        self._counts: Counter[str] = Counter()
        self._rejections: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()

    def __repr__(self) -> str:
        return (
            f"LLMAnswerer(provider={self.settings.provider!r}, model={self.settings.model!r}, "
            f"breaker={self.breaker_state!r})"
        )

    # -- circuit breaker -------------------------------------------------------------------
    @property
    def breaker_state(self) -> BreakerState:
        with self._lock:
            if self._state == "open" and self._cooled_down():
                return "half_open"  # the next call will be the trial
            return self._state

    def _cooled_down(self) -> bool:
        return self._clock() - self._opened_at >= self.settings.breaker_cooldown_s

    def _refusing(self) -> bool:
        """The breaker would refuse a call now (a peek: `_admit` decides for real)."""
        with self._lock:
            return self._state == "half_open" or (
                self._state == "open" and not self._cooled_down()
            )

    def _admit(self) -> _Admission | None:
        with self._lock:
            if self._state == "closed":
                return _Admission(trial=False)
            if self._state == "open" and self._cooled_down():
                self._state = "half_open"  # only this caller goes through
                log.info("LLM circuit half-open: sending one trial request")
                return _Admission(trial=True)
            return None

    def _succeeded(self) -> None:
        with self._lock:
            if self._state != "closed":
                log.info("LLM circuit closed: the endpoint answers again")
            self._state = "closed"
            self._failures = 0

    def _failed(self, admission: _Admission) -> None:
        with self._lock:
            self._failures += 1
            if admission.trial or (
                self._state == "closed" and self._failures >= self.settings.breaker_failures
            ):
                if self._state != "open":
                    log.warning(
                        "LLM circuit open after %d failed call(s): extractive answers for "
                        "%.0f s", self._failures, self.settings.breaker_cooldown_s,
                    )
                self._state = "open"
                self._opened_at = self._clock()

    # -- calls -----------------------------------------------------------------------------
    def _attempt(self, fn: Callable[[float], Any], remaining: float) -> Any:
        """One request, abandoned when the deadline passes whatever the client does."""
        with self._lock:
            self._counts["requests"] += 1
        future = self._pool.submit(fn, remaining)
        try:
            return future.result(timeout=remaining)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise CallFailed("timeout") from None

    def _backoff(self, retry: int) -> float:
        delay = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2 ** (retry - 1))
        return delay * self._random.uniform(0.5, 1.0)  # jitter: retries of many callers spread

    def _retry_wait(
        self, failure: CallFailed, retry: int, retries: int, deadline: float
    ) -> float | None:
        """Seconds to wait before retrying after `failure`, None to give up."""
        if not failure.retryable or retry >= retries:
            return None
        wait = failure.retry_after
        if wait is None:
            wait = self._backoff(retry + 1)
        if wait + MIN_ATTEMPT_S > deadline - self._clock():
            log.info("LLM %s: a retry would miss the deadline", failure.kind)
            return None
        with self._lock:
            self._counts["retries"] += 1
        log.info("LLM %s: retrying in %.2f s", failure.kind, wait)
        return wait

    def _call(self, fn: Callable[[float], Any]) -> Any:
        """fn(timeout) through the breaker, the deadline and the retry policy; raises
        CallFailed (kind "breaker_open" when no request was made)."""
        admission = self._admit()
        if admission is None:
            raise CallFailed("breaker_open")
        deadline = self._clock() + self.settings.timeout_s
        retries = 0 if admission.trial else self.settings.max_retries
        try:
            for retry in range(retries + 1):
                remaining = deadline - self._clock()
                try:
                    if remaining <= 0:
                        raise CallFailed("timeout")
                    result = self._attempt(fn, remaining)
                except CallFailed as failure:
                    wait = self._retry_wait(failure, retry, retries, deadline)
                    if wait is None:
                        raise
                    self._sleep(wait)
                    continue
                self._succeeded()
                return result
        except BaseException:
            self._failed(admission)  # whatever went wrong, a trial must not stay in flight
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _stream_call(self, messages: Messages) -> Generator[str, None, None]:
        """Text deltas through the breaker, the deadline and the retry policy (retries only
        before the first delta); raises CallFailed."""
        admission = self._admit()
        if admission is None:
            raise CallFailed("breaker_open")
        deadline = self._clock() + self.settings.timeout_s
        retries = 0 if admission.trial else self.settings.max_retries
        received = False
        resolved = False
        try:
            for retry in range(retries + 1):
                remaining = deadline - self._clock()
                cancel = threading.Event()
                try:
                    if remaining <= 0:
                        raise CallFailed("timeout")
                    for delta in self._pump(messages, remaining, deadline, cancel):
                        received = True
                        yield delta
                except CallFailed as failure:
                    wait = None if received else self._retry_wait(
                        failure, retry, retries, deadline
                    )
                    if wait is None:
                        raise
                    self._sleep(wait)
                    continue
                finally:
                    cancel.set()
                self._succeeded()
                resolved = True
                return
        except GeneratorExit:
            # The consumer stopped reading: the endpoint answered if anything came back.
            if not resolved:
                resolved = True
                if received:
                    self._succeeded()
                else:
                    self._failed(admission)
            raise
        except BaseException:
            if not resolved:
                resolved = True
                self._failed(admission)
            raise

    def _pump(
        self, messages: Messages, timeout: float, deadline: float, cancel: threading.Event
    ) -> Iterator[str]:
        """One streamed request read in a worker thread, so that a stalled stream is
        abandoned at the deadline like a stalled request."""
        channel: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()

        def pump(timeout: float) -> None:
            try:
                for delta in self._backend.stream(messages, timeout):
                    if cancel.is_set():
                        break  # leaving the loop closes the HTTP stream
                    channel.put(("delta", delta))
                channel.put(("done", None))
            except BaseException as exc:
                channel.put(("error", exc))

        with self._lock:
            self._counts["requests"] += 1
        future = self._pool.submit(pump, timeout)
        try:
            while True:
                remaining = deadline - self._clock()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    kind, value = channel.get(timeout=remaining)
                except queue.Empty:
                    raise CallFailed("timeout") from None
                if kind == "done":
                    return
                if kind == "error":
                    if isinstance(value, CallFailed):
                        raise value
                    raise CallFailed(f"error_{type(value).__name__}") from value
                yield value
        finally:
            cancel.set()
            future.cancel()

    # -- public API ------------------------------------------------------------------------
    def complete(self, system: str, user: str) -> str | None:
        """The model's reply to one system + user message, None on any failure. No answer
        checks: the caller validates what it asked for."""
        messages = [("system", system), ("user", user)]
        try:
            text = self._call(lambda timeout: self._backend.chat(messages, timeout))
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

    def stream_answer(
        self, question: str, language: Language, sources: Sequence[Citation], fallback: Answer
    ) -> Iterator[str | Answer]:
        """Text deltas as the model writes them, then exactly one Answer: the checked LLM
        answer, or `fallback` unchanged. Never raises.

        The deltas are a preview: unchecked, with the prompt's source numbers. Show them
        escaped (bot/render.py) and replace them with the final Answer, which is what
        `answer` would have returned.
        """
        with self._lock:
            self._counts["calls"] += 1
        result: Answer | None = None
        try:
            if not sources:
                with self._lock:
                    self._counts["no_sources"] += 1
            else:
                numbered = [replace(s, n=i) for i, s in enumerate(sources, start=1)]
                messages = build_messages(question, language, numbered,
                                          _analysis(fallback, numbered))
                parts: list[str] = []
                size = 0
                stream = self._stream_call(messages)
                try:
                    for delta in stream:
                        parts.append(delta)
                        size += len(delta)
                        yield delta
                        if size > self.settings.max_answer_chars:
                            break  # no need to read more of an answer that will be rejected
                except CallFailed as failure:
                    self._count_error(failure)
                else:
                    result = self._accept("".join(parts), question, language, numbered,
                                          fallback)
                finally:
                    stream.close()  # also when our own consumer stops reading
        except Exception:
            log.exception("LLM stream failed unexpectedly; using the extractive answer")
            self._count_error(CallFailed("bug"))
            result = None
        with self._lock:
            self._counts["fallbacks" if result is None else "llm_answers"] += 1
        yield fallback if result is None else result

    def _answer(
        self, question: str, language: Language, sources: Sequence[Citation], fallback: Answer
    ) -> Answer | None:
        if not sources:
            with self._lock:
                self._counts["no_sources"] += 1
            return None
        if self._refusing():
            self._count_error(CallFailed("breaker_open"))  # before building any prompt
            return None
        # Numbered 1..k in the order given, whatever numbers the caller used.
        numbered = [replace(s, n=i) for i, s in enumerate(sources, start=1)]
        messages = build_messages(question, language, numbered, _analysis(fallback, numbered))
        try:
            text = self._call(lambda timeout: self._backend.chat(messages, timeout))
        except CallFailed as failure:
            self._count_error(failure)
            return None
        return self._accept(str(text), question, language, numbered, fallback)

    def _accept(
        self, text: str, question: str, language: Language, sources: Sequence[Citation],
        fallback: Answer,
    ) -> Answer | None:
        text = strip_reasoning(text)
        verdict = check.check_answer(text, sources, self.settings.max_answer_chars)
        if not verdict.ok:
            with self._lock:
                self._rejections[verdict.reason] += 1
            log.info("LLM answer rejected (%s); using the extractive answer", verdict.reason)
            return None
        if verdict.reason == check.OK_WITH_MENTIONS:
            with self._lock:
                self._counts["mentions"] += 1
            log.info("LLM answer holds mentions; the Discord layer neutralises them")
        text = text.strip()
        order = check.cited_numbers(text)
        mapping = {old: new for new, old in enumerate(order, start=1)}
        by_number = {s.n: s for s in sources}
        citations = tuple(replace(by_number[old], n=new) for old, new in mapping.items())
        return Answer(
            question=question,
            text=check.renumber(text, mapping),
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
    def stats(self) -> dict[str, Any]:
        """Counters for /about and the bench (no URL, no key)."""
        state = self.breaker_state
        with self._lock:
            return {
                "provider": self.settings.provider,
                "model": self.settings.model,
                "breaker_state": state,
                "consecutive_failures": self._failures,
                "calls": self._counts["calls"],
                "llm_answers": self._counts["llm_answers"],
                "fallbacks": self._counts["fallbacks"],
                "requests": self._counts["requests"],
                "retries": self._counts["retries"],
                "no_sources": self._counts["no_sources"],
                "mentions": self._counts["mentions"],
                "rejections": dict(self._rejections),
                "errors": dict(self._errors),
            }

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._backend.close()


def _analysis(fallback: Answer, sources: Sequence[Citation]) -> str:
    """The extractive answer's typed evidence (answer type, candidate values) with each
    value's citations renumbered to the prompt's sources (matched on the quoted sentence)."""
    number = {(s.article_id, s.start): s.n for s in sources}
    cited = {c.n: number.get((c.article_id, c.start)) for c in fallback.citations}
    values = [(v.text, [n for n in (cited.get(c) for c in v.citations) if n is not None])
              for v in fallback.values]
    return typed_evidence(fallback.answer_type, values)


def _make_backend(settings: LLMSettings) -> Backend:
    if settings.provider == "openai":
        return OpenAIBackend(settings)
    if settings.provider == "ollama":
        return OllamaBackend(settings)
    raise ValueError(f"no LLM backend for provider {settings.provider!r}")


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
