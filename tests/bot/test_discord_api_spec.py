"""The loopback Discord server judges every request by Discord's published API description
and documented limits, and behaves like Discord on the interaction protocol."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from support.discord_openapi import SPEC_ENV, load_judge, spec_location
from support.discord_server import DiscordTestServer

NO_PARSE = {"parse": []}


def _spec_or_skip() -> None:
    if load_judge() is None:
        pytest.skip(
            f"Discord's OpenAPI description not found at {spec_location()} (set {SPEC_ENV}): "
            "requests are judged by the documented limits only, not by the schema"
        )


async def call(server: DiscordTestServer, method: str, path: str, body: Any = None,
               *, auth: bool = True) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {server.token}"} if auth else {}
    async with aiohttp.ClientSession() as http, http.request(
        method, server.api_base + path, json=body, headers=headers
    ) as resp:
        data = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, data


async def test_the_description_is_read_in_place() -> None:
    _spec_or_skip()
    judge = load_judge()
    assert judge is not None and judge.source is not None
    assert judge.operation("POST", "/channels/1/messages") is not None
    op = judge.operation("PATCH", "/webhooks/1/tok/messages/@original")
    assert op is not None and op.template.endswith("/messages/@original")


async def test_a_body_the_schema_refuses_is_a_400_and_a_violation() -> None:
    _spec_or_skip()
    async with DiscordTestServer(point_discord_py=False) as server:
        path = f"/channels/{server.channel_id}/messages"
        status, body = await call(server, "POST", path,
                                  {"content": 5, "allowed_mentions": NO_PARSE})
        assert status == 400 and body["code"] == 50035
        assert "content" in body["errors"]
        status, _ = await call(server, "POST", path, {"content": "ok", "tts": "yes",
                                                      "allowed_mentions": NO_PARSE})
        assert status == 400
        status, _ = await call(server, "GET", f"/channels/{server.channel_id}/messages?bogus=1")
        assert status == 400
        found = server.take_violations()
        assert len(found) == 3 and "unknown query parameter 'bogus'" in found[2]
        assert server.messages == {}


async def test_documented_limits_and_allowed_mentions_are_violations() -> None:
    async with DiscordTestServer(point_discord_py=False) as server:
        path = f"/channels/{server.channel_id}/messages"
        cases: list[dict[str, Any]] = [
            {"content": "x" * 2001},
            {"embeds": [{"title": "t", "description": "d" * 4097}]},
            {"embeds": [{"title": "t", "fields": [{"name": "n", "value": "v" * 1025}]}]},
            {"embeds": [{"title": "t", "footer": {"text": "f" * 2049}}]},
            {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
            {"embeds": [{"title": str(i)} for i in range(11)]},
            {"content": "x", "components": [{"type": 1, "components": [
                {"type": 2, "style": 1, "label": "l" * 81, "custom_id": "a"}]}]},
            {"content": "x", "components": [{"type": 1, "components": [
                {"type": 2, "style": 1, "label": "l", "custom_id": "c" * 101}]}]},
            {"content": "x", "components": [{"type": 1, "components": [
                {"type": 2, "style": 1, "label": "l", "custom_id": f"{r}{i}"}
                for i in range(5)]} for r in range(6)]},
        ]
        for payload in cases:
            status, _ = await call(server, "POST", path, {**payload, "allowed_mentions": NO_PARSE})
            assert status == 400, payload
        assert len(server.take_violations()) >= len(cases)
        status, _ = await call(server, "POST", path, {"content": "no allowed_mentions"})
        assert status == 200  # Discord accepts it; the house rule does not
        found = server.take_violations()
        assert found == [f"POST {path}: a message sent without allowed_mentions"]
        with pytest.raises(AssertionError, match="allowed_mentions"):
            await call(server, "POST", path, {"content": "again"})
            server.assert_no_violations()


async def test_interaction_protocol_like_discord() -> None:
    """Callbacks 204, one response per interaction, follow-ups only after it and only while
    the token lives, the 3-second deadline, message deletes 204."""
    async with DiscordTestServer(point_discord_py=False, interaction_deadline=0.3) as server:
        server.commands[None] = [{"id": "1", "type": 1, "name": "ping", "description": "p",
                                  "options": []}]
        app = server.application_id
        handle = await server.slash_command("ping")
        early = await call(server, "POST", f"/webhooks/{app}/{handle.token}",
                           {"content": "too early", "allowed_mentions": NO_PARSE}, auth=False)
        assert early[0] == 404 and early[1]["code"] == 10015
        assert any("before the first response" in v for v in server.take_violations())
        callback = f"/interactions/{handle.id}/{handle.token}/callback"
        first = await call(server, "POST", callback, {"type": 4, "data": {
            "content": "pong", "allowed_mentions": NO_PARSE}}, auth=False)
        assert first == (204, None)
        second = await call(server, "POST", callback, {"type": 4, "data": {
            "content": "again", "allowed_mentions": NO_PARSE}}, auth=False)
        assert second[0] == 400 and second[1]["code"] == 40060
        assert len(server.take_violations()) == 1  # the second response
        status, message = await call(server, "POST", f"/webhooks/{app}/{handle.token}?wait=true",
                                     {"content": "more", "allowed_mentions": NO_PARSE},
                                     auth=False)
        assert status == 200
        deleted = await call(server, "DELETE",
                             f"/webhooks/{app}/{handle.token}/messages/{message['id']}",
                             auth=False)
        assert deleted == (204, None)
        server.interaction_token_lifetime = 0.0  # fifteen minutes later
        expired = await call(server, "POST", f"/webhooks/{app}/{handle.token}",
                             {"content": "late", "allowed_mentions": NO_PARSE}, auth=False)
        assert expired[0] == 401 and expired[1]["code"] == 50027

        late = await server.slash_command("ping")
        await asyncio.sleep(0.4)
        status, body = await call(server, "POST", f"/interactions/{late.id}/{late.token}/callback",
                                  {"type": 5}, auth=False)
        assert status == 404 and body["code"] == 10062 and late.late_callback_at is not None

        mine = server.seed_bot_message(content="bye")
        status, _ = await call(server, "DELETE",
                               f"/channels/{server.channel_id}/messages/{mine['id']}")
        assert status == 204
        server.assert_no_violations()
