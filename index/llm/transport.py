"""A cap on the bytes read from an LLM backend.

An endpoint (or anything pretending to be one) can answer with a body of any size: a 1 GB
reply drove one question to 3.87 GB of memory before the old fallback. Both clients (openai
and ollama) sit on httpx, so one transport wrapper caps what they read: a declared
Content-Length over the cap is refused before reading, and a streamed or chunked body is
cut as soon as its running total passes the cap (and compressed replies, which could
expand past any cap, are neither asked for nor accepted). The error surfaces (perhaps wrapped by the
client library) as `ReplyTooLarge`, which the answerer turns into a non-retryable failure:
the extractive answer is given, and the rest of the body is never read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


class ReplyTooLarge(Exception):
    """The backend's reply passed the byte cap; nothing more was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"LLM reply larger than {limit:,} bytes")
        self.limit = limit


def too_large(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, is a `ReplyTooLarge`."""
    seen = 0
    while exc is not None and seen < 20:  # client libraries wrap it (APIConnectionError)
        if isinstance(exc, ReplyTooLarge):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def capped_transport(limit: int) -> httpx.BaseTransport:
    """An httpx transport that reads at most `limit` bytes of any response body."""
    import httpx

    class CappedStream(httpx.SyncByteStream):
        def __init__(self, inner: httpx.SyncByteStream) -> None:
            self._inner = inner

        def __iter__(self) -> Iterator[bytes]:
            total = 0
            for chunk in self._inner:
                total += len(chunk)
                if total > limit:
                    raise ReplyTooLarge(limit)
                yield chunk

        def close(self) -> None:
            self._inner.close()

    class CappedTransport(httpx.BaseTransport):
        def __init__(self) -> None:
            self._inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            # The cap counts bytes on the wire: a compressed body could expand past any cap
            # once decoded, so none is asked for and none is accepted.
            request.headers["Accept-Encoding"] = "identity"
            response = self._inner.handle_request(request)
            declared = response.headers.get("content-length", "")
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if (declared.isdigit() and int(declared) > limit) or encoding not in (
                "identity", ""
            ):
                response.close()
                raise ReplyTooLarge(limit)
            assert isinstance(response.stream, httpx.SyncByteStream)
            return httpx.Response(
                status_code=response.status_code,
                headers=response.headers,
                stream=CappedStream(response.stream),
                extensions=response.extensions,
            )

        def close(self) -> None:
            self._inner.close()

    return CappedTransport()
