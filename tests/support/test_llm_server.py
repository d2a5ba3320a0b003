"""The scripted LLM server, checked with plain httpx and the real openai / ollama clients."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from support.llm_server import LLMTestServer, Reply, error, hang, reply


@pytest.fixture
def server() -> Iterator[LLMTestServer]:
    with LLMTestServer() as s:
        yield s


def test_openai_chat_replies_in_script_order_then_default(server: LLMTestServer) -> None:
    server.default = reply("default [1]")
    server.script(reply("first [1]"), error(503, "busy", retry_after=2))
    body = {"model": "m", "messages": [{"role": "system", "content": "rules"},
                                       {"role": "user", "content": "q"}]}
    url = f"{server.openai_url}/chat/completions"
    first = httpx.post(url, json=body)
    assert first.status_code == 200
    assert first.json()["choices"][0]["message"]["content"] == "first [1]"
    second = httpx.post(url, json=body)
    assert second.status_code == 503
    assert second.headers["retry-after"] == "2"
    assert second.json()["error"]["message"] == "busy"
    assert httpx.post(url, json=body).json()["choices"][0]["message"]["content"] == "default [1]"
    assert server.pending == 0
    recorded = server.chat_requests
    assert len(recorded) == 3
    assert recorded[0].system == "rules" and recorded[0].user == "q"


def test_openai_streaming_through_the_openai_client(server: LLMTestServer) -> None:
    import openai

    server.script(Reply(text="unused", chunks=["Hel", "lo [1]"]))
    client = openai.OpenAI(base_url=server.openai_url, api_key="k", max_retries=0)
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello [1]"
    assert server.chat_requests[0].streaming
    assert server.chat_requests[0].headers["authorization"] == "Bearer k"
    assert [m.id for m in client.models.list()] == ["test-model"]


def test_ollama_shapes_through_the_ollama_client(server: LLMTestServer) -> None:
    import ollama

    server.script(reply("bonjour [1]"), Reply(text="x", chunks=["a", "b"]), error(500, "boom"))
    client = ollama.Client(host=server.url)
    answer = client.chat(model="m", messages=[{"role": "user", "content": "q"}], stream=False)
    assert answer.message.content == "bonjour [1]"
    parts = [p.message.content or "" for p in client.chat(model="m", messages=[], stream=True)]
    assert "".join(parts) == "ab"
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="m", messages=[], stream=False)
    assert info.value.status_code == 500 and info.value.error == "boom"
    assert [m.model for m in client.list().models] == ["test-model"]


def test_delay_holds_the_response_and_stop_releases_hangs() -> None:
    server = LLMTestServer()
    server.start()
    server.script(Reply(text="slow", delay=0.2))
    url = f"{server.openai_url}/chat/completions"
    started = time.monotonic()
    httpx.post(url, json={"messages": []})
    assert time.monotonic() - started >= 0.2
    server.script(hang(30))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(url, json={"messages": []}, timeout=0.1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0


def test_raw_bodies_and_unknown_routes_are_recorded(server: LLMTestServer) -> None:
    server.script(Reply(status=200, body="not json"), Reply(status=400, body={"x": 1}))
    url = f"{server.openai_url}/chat/completions"
    assert httpx.post(url, content=b"{bad").text == "not json"
    assert httpx.post(url, json={}).json() == {"x": 1}
    assert httpx.get(f"{server.url}/v1/completions").status_code == 404
    paths = [r.path for r in server.requests]
    assert paths == ["/v1/chat/completions", "/v1/chat/completions", "/v1/completions"]
    assert server.requests[0].json is None and server.requests[0].body == "{bad"


def test_responder_sees_the_request(server: LLMTestServer) -> None:
    server.responder = lambda r: reply(json.dumps(r.messages))
    out = httpx.post(f"{server.openai_url}/chat/completions",
                     json={"messages": [{"role": "user", "content": "echo"}]})
    assert json.loads(out.json()["choices"][0]["message"]["content"]) == [
        {"role": "user", "content": "echo"}
    ]
