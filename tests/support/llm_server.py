"""An OpenAI-compatible (and Ollama-compatible) chat server for driving the real client
libraries in tests, with scripted replies and a record of every request.

Usage::

    with LLMTestServer() as server:                 # 127.0.0.1, a free port, own thread
        server.script(error(503), reply("Hugo Vasseur left Meta [1]."))
        settings = ...LLM_BASE_URL=server.openai_url (or server.url for Ollama)...
        ...synchronous code under test...
        assert server.chat_requests[-1].system.startswith("- You answer")

Routes: POST /v1/chat/completions (JSON, or SSE with "stream": true), GET /v1/models,
POST /api/chat (JSON, or NDJSON unless "stream": false), GET /api/tags, POST /api/show,
GET /api/version. Every chat request takes the next scripted reply, else the default.
The server runs its own event loop in a background thread, so the code under test can be
plain synchronous code calling it through openai / ollama / httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

__all__ = ["LLMTestServer", "RecordedRequest", "Reply", "error", "hang", "reply"]

Api = Literal["openai", "ollama", "other"]


@dataclass(frozen=True)
class Reply:
    """One scripted response.

    `text` is the assistant's content, shaped as the endpoint's API expects; with a status
    of 400 or more it is the error message, shaped as that API's error body. `body` (a JSON
    value, or a str sent as is) replaces the shaped body. `delay` holds the response back
    (a hang, when longer than the client's timeout). When the request streams, `chunks`
    are the deltas sent (default: `text` in three pieces), `chunk_delay` apart. `padding`
    (bytes) makes the reply a huge one, written 64 kB at a time and never held in memory:
    a JSON answer whose content is that many "x", or that many bytes of streamed deltas.
    """

    text: str = "OK [1]"
    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunks: Sequence[str] | None = None
    chunk_delay: float = 0.0
    padding: int = 0


def reply(text: str, **kwargs: Any) -> Reply:
    return Reply(text=text, **kwargs)


def error(
    status: int, message: str | None = None, *, retry_after: float | str | None = None,
    **kwargs: Any,
) -> Reply:
    headers = dict(kwargs.pop("headers", {}))
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Reply(text=message or f"scripted error {status}", status=status, headers=headers,
                 **kwargs)


def hang(seconds: float, text: str = "too late [1]") -> Reply:
    return Reply(text=text, delay=seconds)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: str
    json: Any
    api: Api
    received_at: float  # time.monotonic()

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.json, dict):
            return list(self.json.get("messages") or [])
        return []

    def _content(self, role: str) -> str | None:
        found = [m.get("content") for m in self.messages if m.get("role") == role]
        return str(found[-1]) if found else None

    @property
    def system(self) -> str | None:
        return self._content("system")

    @property
    def user(self) -> str | None:
        return self._content("user")

    @property
    def streaming(self) -> bool:
        data = self.json if isinstance(self.json, dict) else {}
        if self.api == "ollama":
            return bool(data.get("stream", True))  # Ollama streams unless told not to
        return bool(data.get("stream", False))


def _split(text: str, parts: int = 3) -> list[str]:
    if not text:
        return [""]
    size = -(-len(text) // parts)
    return [text[i : i + size] for i in range(0, len(text), size)]


class LLMTestServer:
    def __init__(
        self,
        *,
        default: Reply | None = None,
        model: str = "test-model",
        host: str = "127.0.0.1",
        responder: Callable[[RecordedRequest], Reply | None] | None = None,
    ) -> None:
        self.default = default or Reply()
        self.model = model
        self.host = host
        # Called for each chat request before the script; a Reply it returns wins.
        self.responder = responder
        self.port = 0
        self._script: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._counter = 0
        self.padded_bytes_sent = 0  # of huge (padded) replies, for cap tests

    # lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> LLMTestServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("server already started")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=self._run, args=(loop,), name="llm-test-server", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), loop).result(timeout=10)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
            self._loop = None
            self._thread = None

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    async def _start(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai_chat)
        app.router.add_get("/v1/models", self._openai_models)
        app.router.add_post("/api/chat", self._ollama_chat)
        app.router.add_get("/api/tags", self._ollama_tags)
        app.router.add_post("/api/show", self._ollama_show)
        app.router.add_get("/api/version", self._ollama_version)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()  # hanging handlers return now
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """The server root (Ollama's base URL)."""
        if not self.port:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def openai_url(self) -> str:
        """The OpenAI API root, /v1 included (what OpenAI clients take as base URL)."""
        return f"{self.url}/v1"

    # script and records -------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        """Queue replies for the next chat requests, in order."""
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path in ("/v1/chat/completions", "/api/chat")]

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self._requests.clear()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        if self.responder is not None:
            chosen = self.responder(request)
            if chosen is not None:
                return chosen
        with self._lock:
            return self._script.popleft() if self._script else self.default

    async def _record(self, request: web.Request, api: Api) -> RecordedRequest:
        body = await request.text()
        try:
            data = json.loads(body) if body else None
        except json.JSONDecodeError:
            data = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            json=data,
            api=api,
            received_at=time.monotonic(),
        )
        with self._lock:
            self._requests.append(recorded)
        return recorded

    async def _pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _next_id(self) -> str:
        with self._lock:
            self._counter += 1
            return f"chatcmpl-test-{self._counter}"

    # OpenAI -------------------------------------------------------------------------------
    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request, "openai")
        scripted = self._next_reply(recorded)
        await self._pause(scripted.delay)
        if scripted.status >= 400 or scripted.body is not None:
            return self._plain(scripted, "openai")
        if scripted.padding:
            return await self._openai_huge(request, scripted, recorded.streaming)
        if recorded.streaming:
            return await self._openai_stream(request, scripted)
        payload = {
            "id": self._next_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": scripted.text},
                "finish_reason": "stop",
                "logprobs": None,
            }],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
        return web.json_response(payload, headers=dict(scripted.headers))

    async def _openai_stream(self, request: web.Request, scripted: Reply) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                     **scripted.headers}
        )
        await response.prepare(request)
        cid, created = self._next_id(), int(time.time())

        def event(delta: dict[str, Any], finish: str | None) -> bytes:
            chunk = {
                "id": cid, "object": "chat.completion.chunk", "created": created,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(chunk)}\n\n".encode()

        chunks = scripted.chunks if scripted.chunks is not None else _split(scripted.text)
        lines = [event({"content": piece}, None) for piece in chunks]
        lines.insert(0, event({"role": "assistant", "content": ""}, None))
        lines += [event({}, "stop"), b"data: [DONE]\n\n"]
        return await self._write_lines(response, lines, scripted.chunk_delay, first=2)

    async def _openai_huge(
        self, request: web.Request, scripted: Reply, streaming: bool
    ) -> web.StreamResponse:
        piece = "x" * 65_536
        if streaming:
            head = b""
            delta = {"choices": [{"index": 0, "delta": {"content": piece},
                                  "finish_reason": None}], "object": "chat.completion.chunk",
                     "id": "huge", "created": 0, "model": self.model}
            body = f"data: {json.dumps(delta)}\n\n".encode()
            tail = b"data: [DONE]\n\n"
            kind = "text/event-stream"
        else:
            head = (b'{"id": "huge", "object": "chat.completion", "created": 0, "model": "m", '
                    b'"choices": [{"index": 0, "finish_reason": "stop", "message": '
                    b'{"role": "assistant", "content": "')
            body = piece.encode()
            tail = b'"}}]}'
            kind = "application/json"
        return await self._huge(request, scripted, head, body, tail, kind)

    async def _huge(
        self, request: web.Request, scripted: Reply, head: bytes, body: bytes, tail: bytes,
        kind: str,
    ) -> web.StreamResponse:
        """`head`, then `body` repeated up to `scripted.padding` bytes, then `tail`,
        written as the client reads (never built in memory)."""
        response = web.StreamResponse(headers={"Content-Type": kind})
        await response.prepare(request)
        try:
            await response.write(head)
            for _ in range(max(1, scripted.padding // len(body))):
                await response.write(body)
                self.padded_bytes_sent += len(body)
            await response.write(tail)
            await response.write_eof()
        except ConnectionError:
            pass  # the client stopped reading: what the cap is for
        return response

    async def _openai_models(self, request: web.Request) -> web.Response:
        await self._record(request, "openai")
        return web.json_response({
            "object": "list",
            "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "test"}],
        })

    # Ollama -------------------------------------------------------------------------------
    def _ollama_message(self, content: str, done: bool) -> dict[str, Any]:
        message: dict[str, Any] = {
            "model": self.model,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "message": {"role": "assistant", "content": content},
            "done": done,
        }
        if done:
            message.update(done_reason="stop", total_duration=1_000_000, prompt_eval_count=10,
                           eval_count=5)
        return message

    async def _ollama_chat(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request, "ollama")
        scripted = self._next_reply(recorded)
        await self._pause(scripted.delay)
        if scripted.status >= 400 or scripted.body is not None:
            return self._plain(scripted, "ollama")
        if scripted.padding:
            piece = "x" * 65_536
            if recorded.streaming:
                line = (json.dumps(self._ollama_message(piece, False)) + "\n").encode()
                done = (json.dumps(self._ollama_message("", True)) + "\n").encode()
                return await self._huge(request, scripted, b"", line, done,
                                        "application/x-ndjson")
            head, _, tail = json.dumps(self._ollama_message("@@", True)).partition("@@")
            return await self._huge(request, scripted, head.encode(), piece.encode(),
                                    tail.encode(), "application/json")
        if not recorded.streaming:
            return web.json_response(
                self._ollama_message(scripted.text, True), headers=dict(scripted.headers)
            )
        response = web.StreamResponse(
            headers={"Content-Type": "application/x-ndjson", **scripted.headers}
        )
        await response.prepare(request)
        chunks = scripted.chunks if scripted.chunks is not None else _split(scripted.text)
        messages = [self._ollama_message(piece, False) for piece in chunks]
        messages.append(self._ollama_message("", True))
        lines = [(json.dumps(m) + "\n").encode() for m in messages]
        return await self._write_lines(response, lines, scripted.chunk_delay, first=1)

    async def _ollama_tags(self, request: web.Request) -> web.Response:
        await self._record(request, "ollama")
        return web.json_response({"models": [{
            "name": self.model, "model": self.model,
            "modified_at": "2025-01-01T00:00:00Z", "size": 1, "digest": "0" * 64,
            "details": {"format": "gguf", "family": "test", "parameter_size": "1B",
                        "quantization_level": "Q4_0"},
        }]})

    async def _ollama_show(self, request: web.Request) -> web.Response:
        await self._record(request, "ollama")
        return web.json_response({
            "modelfile": "", "parameters": "", "template": "",
            "details": {"format": "gguf", "family": "test"},
            "modelinfo": {"test.context_length": 8192},
        })

    async def _ollama_version(self, request: web.Request) -> web.Response:
        await self._record(request, "ollama")
        return web.json_response({"version": "0.0.0-test"})

    # shared -------------------------------------------------------------------------------
    async def _write_lines(
        self, response: web.StreamResponse, lines: list[bytes], delay: float, first: int
    ) -> web.StreamResponse:
        """Stream lines, `delay` apart after the first `first` of them (the opening event
        and the first content chunk go out together)."""
        try:
            for i, line in enumerate(lines):
                if i >= first:
                    await self._pause(delay)
                await response.write(line)
            await response.write_eof()
        except ConnectionError:
            pass  # the client gave up (its timeout): nothing left to send
        return response

    def _plain(self, scripted: Reply, api: Api) -> web.Response:
        headers = dict(scripted.headers)
        if scripted.body is not None:
            if isinstance(scripted.body, str):
                return web.Response(status=scripted.status, text=scripted.body,
                                    headers=headers)
            return web.json_response(scripted.body, status=scripted.status, headers=headers)
        if api == "ollama":
            payload: dict[str, Any] = {"error": scripted.text}
        else:
            payload = {"error": {"message": scripted.text, "type": "server_error",
                                 "param": None, "code": str(scripted.status)}}
        return web.json_response(payload, status=scripted.status, headers=headers)

    async def _not_found(self, request: web.Request) -> web.Response:
        await self._record(request, "other")
        return web.json_response(
            {"error": {"message": f"no route {request.method} {request.path}",
                       "type": "invalid_request_error"}},
            status=404,
        )
