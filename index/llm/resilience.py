"""How every LLM call survives a bad endpoint: one circuit breaker and one retry helper.

Every call path (answers, completions) goes through `ResilientCaller.call`: the breaker
admits it or refuses it without a request; one deadline covers all its attempts; a retry
waits for Retry-After or a jittered backoff, and only after a failure the backend marked
retryable (429, 5xx, timeout, connection), never after another 4xx.
"""

from __future__ import annotations

import concurrent.futures
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

log = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half_open"]
T = TypeVar("T")

MIN_ATTEMPT_S = 0.05  # a retry needs at least this much of the deadline left to be worth it
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


def retry_after_seconds(
    headers: Mapping[str, str] | None, now: float | None = None
) -> float | None:
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


def status_failure(status: int, headers: Mapping[str, str] | None) -> CallFailed:
    """An HTTP error status classified: 429 and 5xx are retried (after Retry-After), other
    4xx never (the same request would fail the same way)."""
    retryable = status == 429 or status >= 500
    return CallFailed(
        f"http_{status}", status=status,
        retry_after=retry_after_seconds(headers) if retryable else None, retryable=retryable,
    )


@dataclass(frozen=True)
class Admission:
    trial: bool  # the one request let through while half-open


class CircuitBreaker:
    """Closed → open after `failures` consecutive failed calls (or a failed trial);
    open → half-open after `cooldown_s`, when exactly one trial call goes through;
    a success closes it. Thread-safe."""

    def __init__(
        self, failures: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = failures
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0  # consecutive failed calls
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        with self._lock:
            if self._state == "open" and self._cooled_down():
                return "half_open"  # the next call will be the trial
            return self._state

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def _cooled_down(self) -> bool:
        return self._clock() - self._opened_at >= self._cooldown_s

    def refusing(self) -> bool:
        """The breaker would refuse a call now (a peek: `admit` decides for real)."""
        with self._lock:
            return self._state == "half_open" or (
                self._state == "open" and not self._cooled_down()
            )

    def admit(self) -> Admission | None:
        with self._lock:
            if self._state == "closed":
                return Admission(trial=False)
            if self._state == "open" and self._cooled_down():
                self._state = "half_open"  # only this caller goes through
                log.info("LLM circuit half-open: sending one trial request")
                return Admission(trial=True)
            return None

    def succeeded(self) -> None:
        with self._lock:
            if self._state != "closed":
                log.info("LLM circuit closed: the endpoint answers again")
            self._state = "closed"
            self._failures = 0

    def failed(self, admission: Admission) -> None:
        with self._lock:
            self._failures += 1
            if admission.trial or (
                self._state == "closed" and self._failures >= self._threshold
            ):
                if self._state != "open":
                    log.warning(
                        "LLM circuit open after %d failed call(s): extractive answers for "
                        "%.0f s", self._failures, self._cooldown_s,
                    )
                self._state = "open"
                self._opened_at = self._clock()


@dataclass(frozen=True)
class RetryPolicy:
    timeout_s: float  # one deadline per call, retries included
    max_retries: int
    backoff_base_s: float
    backoff_max_s: float


class ResilientCaller:
    """Runs `fn(timeout)` through the breaker, one deadline and the retry policy.

    Each attempt runs in a worker thread and is abandoned when the deadline passes,
    whatever the client library does. Thread-safe."""

    def __init__(
        self,
        policy: RetryPolicy,
        breaker: CircuitBreaker,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy
        self.breaker = breaker
        self._clock = clock
        self._sleep = sleep
        self._random = random.Random()
        self._pool = concurrent.futures.ThreadPoolExecutor(WORKERS, thread_name_prefix="llm")
        self._lock = threading.Lock()
        self._requests = 0
        self._retries = 0

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    @property
    def retries(self) -> int:
        with self._lock:
            return self._retries

    def call(self, fn: Callable[[float], T]) -> T:
        """fn's result; raises CallFailed (kind "breaker_open" when no request was made)."""
        admission = self.breaker.admit()
        if admission is None:
            raise CallFailed("breaker_open")
        deadline = self._clock() + self.policy.timeout_s
        retries = 0 if admission.trial else self.policy.max_retries
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
                self.breaker.succeeded()
                return result
        except BaseException:
            self.breaker.failed(admission)  # whatever went wrong, a trial must not stay in flight
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, fn: Callable[[float], T], remaining: float) -> T:
        """One request, abandoned when the deadline passes whatever the client does."""
        with self._lock:
            self._requests += 1
        future = self._pool.submit(fn, remaining)
        try:
            return future.result(timeout=remaining)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise CallFailed("timeout") from None

    def _backoff(self, retry: int) -> float:
        delay = min(self.policy.backoff_max_s, self.policy.backoff_base_s * 2 ** (retry - 1))
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
            self._retries += 1
        log.info("LLM %s: retrying in %.2f s", failure.kind, wait)
        return wait

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
