"""The ways of sending chat messages to a model, behind one Protocol: any OpenAI-compatible
endpoint, Ollama's own API, and an in-process fake (scripted, no HTTP) for fast tests.

A backend makes one request and turns every failure into a classified CallFailed; the
retries, the deadline and the breaker are resilience.py's. The llama-index LLM classes
(and the openai / ollama clients under them) are imported only when a real backend is
built, so the offline default never pays for them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from index.llm.resilience import CallFailed, status_failure
from index.llm.settings import LLMSettings
from index.llm.transport import capped_transport, too_large

if TYPE_CHECKING:
    import httpx
    from llama_index.core.llms import ChatMessage

Messages = Sequence[tuple[str, str]]  # (role, content) pairs

CONNECT_TIMEOUT_S = 5.0


class Backend(Protocol):
    """One provider's way of sending chat messages; raises CallFailed on any failure."""

    def chat(self, messages: Messages, timeout: float) -> str: ...

    def close(self) -> None: ...


def _timeouts(total: float) -> httpx.Timeout:
    import httpx

    return httpx.Timeout(total, connect=min(CONNECT_TIMEOUT_S, total))


def _chat_messages(messages: Messages) -> list[ChatMessage]:
    from llama_index.core.llms import ChatMessage, MessageRole

    return [ChatMessage(role=MessageRole(role), content=content) for role, content in messages]


class OpenAIBackend:
    """Any OpenAI-compatible endpoint through llama-index's OpenAILike.

    The openai client is built here so that (1) its own retries are off (max_retries=0:
    resilience.py's policy applies, not three hidden retries with their own sleeps), and
    (2) the API key lives in that client only, not in a llama-index model that could be
    printed.
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
            # Never used: openai_client below carries the key.
            api_key="held-by-client",  # pragma: allowlist secret
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
            return status_failure(exc.status_code, exc.response.headers)
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

    def close(self) -> None:
        self._client.close()


class _HTTPStatusError(Exception):
    def __init__(self, status: int, headers: httpx.Headers) -> None:
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
            return status_failure(exc.status, exc.headers)
        if isinstance(exc, self._ollama.ResponseError):
            if exc.status_code > 0:
                return status_failure(exc.status_code, None)
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

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class Scripted:
    """One scripted outcome of FakeBackend: `text` after `delay` seconds, or `failure`
    raised after it."""

    text: str = ""
    failure: CallFailed | None = None
    delay: float = 0.0


class FakeBackend:
    """An in-process model for tests of the answer policy: replies and failures from a
    script (then `default`), every request's messages recorded. No HTTP, no library.

    A delay sleeps in the calling worker thread, like a slow endpoint; an outcome longer
    than the request's timeout still runs to its end (the caller has given up on it)."""

    def __init__(self, *script: str | CallFailed | Scripted,
                 default: str | CallFailed | Scripted = "") -> None:
        self._lock = threading.Lock()
        self._script: deque[Scripted] = deque(_scripted(s) for s in script)
        self.default = default
        self.requests: list[list[tuple[str, str]]] = []

    def script(self, *outcomes: str | CallFailed | Scripted) -> None:
        with self._lock:
            self._script.extend(_scripted(s) for s in outcomes)

    def chat(self, messages: Messages, timeout: float) -> str:
        with self._lock:
            self.requests.append(list(messages))
            outcome = self._script.popleft() if self._script else _scripted(self.default)
        if outcome.delay:
            time.sleep(outcome.delay)
        if outcome.failure is not None:
            failure = outcome.failure  # a fresh instance: one raise never shares a traceback
            raise CallFailed(failure.kind, status=failure.status,
                             retry_after=failure.retry_after, retryable=failure.retryable)
        return outcome.text

    def close(self) -> None:
        pass


def _scripted(outcome: str | CallFailed | Scripted) -> Scripted:
    if isinstance(outcome, Scripted):
        return outcome
    if isinstance(outcome, CallFailed):
        return Scripted(failure=outcome)
    return Scripted(text=outcome)


def make_backend(settings: LLMSettings) -> Backend:
    if settings.provider == "openai":
        return OpenAIBackend(settings)
    if settings.provider == "ollama":
        return OllamaBackend(settings)
    raise ValueError(f"no LLM backend for provider {settings.provider!r}")
