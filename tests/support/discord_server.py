"""A Discord-compatible HTTP + gateway server for driving the real discord.py client in tests.

Usage::

    async with DiscordTestServer() as server:          # starts on 127.0.0.1, points discord.py
        bot = commands.Bot(..., guild_ready_timeout=0.05)
        async with server.run_client(bot):              # start(), wait for on_ready, close()
            msg = await server.user_message(server.channel_id, server.user_id, "!ping")
            reply = await server.wait_for_message(channel_id=server.channel_id)

Only one server can be pointed at discord.py at a time (``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY`` are class attributes).  The rest of the fake lives in
``discord_world`` (ids, guilds, permissions), ``discord_limits`` (what Discord rejects),
``discord_gateway`` (sessions, resume, faults), ``discord_rest`` (routing, recording, messages)
and ``discord_interactions`` (commands, interaction payloads, callbacks, follow-ups).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, TypeVar

import discord
import yarl
from aiohttp import web

from .discord_gateway import (
    PRIVILEGED_INTENTS,
    Gateway,
    GatewayConnection,
    GatewayEvent,
    GatewaySession,
)
from .discord_interactions import InteractionApi, InteractionHandle, ResponseRecord
from .discord_limits import LOADING, ApiError
from .discord_openapi import OpenApiJudge, load_judge
from .discord_rest import RecordedRequest, RestApi, UploadedFile, public
from .discord_world import (
    DEFAULT_BOT_PERMISSIONS,
    Channel,
    Guild,
    Role,
    SnowflakeGenerator,
    User,
    World,
)

__all__ = [
    "PRIVILEGED_INTENTS",
    "DiscordTestServer",
    "Injection",
    "InteractionHandle",
    "RecordedRequest",
    "ResponseRecord",
    "fast_identify",
    "route_matches",
]

T = TypeVar("T")
MESSAGE_KINDS = ("message_create", "message_edit", "interaction_callback", "webhook_create",
                 "webhook_edit")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_DEFAULT_ERRORS: dict[int, tuple[int, str]] = {
    400: (50035, "Invalid Form Body"),
    401: (0, "401: Unauthorized"),
    403: (50013, "Missing Permissions"),
    404: (0, "404: Not Found"),
    500: (0, "500: Internal Server Error"),
    502: (0, "502: Bad Gateway"),
    503: (0, "503: Service Unavailable"),
    504: (0, "504: Gateway Timeout"),
}


def route_matches(pattern: str | re.Pattern[str], method: str, path: str) -> bool:
    """``"POST /channels/*/messages"`` / ``"/channels/{id}/typing"`` (any method) / a regex."""
    if isinstance(pattern, re.Pattern):
        return bool(pattern.search(f"{method} {path}"))
    glob = re.sub(r"\{[^}]*\}", "*", pattern)
    if glob.split(" ", 1)[0] in _METHODS:
        return fnmatchcase(f"{method} {path}", glob)
    return fnmatchcase(path, glob)


@dataclass
class Injection:
    """A REST fault: the next ``times`` matching requests get ``status`` instead."""

    pattern: str | re.Pattern[str]
    status: int
    times: int | None = 1  # None: forever
    retry_after: float | None = None
    global_: bool = False
    code: int | None = None
    message: str | None = None
    scope: str = "user"  # X-RateLimit-Scope of a 429: user | global | shared
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def error(self, bucket: str) -> ApiError:
        if self.status != 429:
            code, message = _DEFAULT_ERRORS.get(self.status, (0, f"{self.status}: Error"))
            return ApiError(self.status, self.code if self.code is not None else code,
                            self.message or message)
        retry = 1.0 if self.retry_after is None else self.retry_after
        message = self.message or "You are being rate limited."
        body: dict[str, Any] = {"message": message, "retry_after": retry, "global": self.global_}
        if self.code is not None:
            body["code"] = self.code
        headers = {
            "Retry-After": str(max(1, math.ceil(retry))),
            "X-RateLimit-Scope": "global" if self.global_ else self.scope,
        }
        if self.global_:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update({
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": bucket,
            })
        return ApiError(429, 0, message, headers=headers, raw_body=body)


def fast_identify(client: discord.Client) -> None:
    """Drop discord.py's 5 s sleep before every non-initial IDENTIFY (shards, re-identify)."""

    async def before_identify_hook(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    client.before_identify_hook = before_identify_hook  # type: ignore[method-assign]


class DiscordTestServer:
    def __init__(
        self,
        *,
        token: str = "test-token",
        application_id: int | None = None,
        bot_name: str = "talentbot",
        guild_name: str = "Test Guild",
        shard_count: int = 1,
        heartbeat_interval: int = 41250,
        interaction_deadline: float = 3.0,
        deliver_missed_on_identify: bool = False,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        point_discord_py: bool = True,
        host: str = "127.0.0.1",
        judge: bool = True,
        interaction_token_lifetime: float = 15 * 60,
    ) -> None:
        self.token = token
        self.host = host
        self.port = 0
        self.shard_count = shard_count  # what GET /gateway/bot recommends
        self.interaction_deadline = interaction_deadline
        self.interaction_token_lifetime = interaction_token_lifetime  # Discord's 15 minutes
        # Discord's published API description judges every request (None: not on this
        # machine; the documented limits in discord_limits still apply).
        self.judge: OpenApiJudge | None = load_judge() if judge else None
        self.violations: list[str] = []  # requests that broke a rule: the test must fail
        self.attachment_size_limit = 10 * 1024 * 1024
        self.session_start_remaining = 1000
        self._point = point_discord_py
        self.ids = SnowflakeGenerator()
        self.application_id = application_id or self.ids.next()
        self.world = World(self.ids, User(id=self.application_id, username=bot_name, bot=True))
        self.owner_id = self.world.add_user("owner").id
        self.user_id = self.world.add_user("alice").id
        self.guild_id = self.world.add_guild(
            guild_name, owner_id=self.owner_id, bot_permissions=bot_permissions).id
        self.world.add_member(self.guild_id, self.user_id)
        self.channel_id = self.world.add_channel(self.guild_id, "general").id
        self.gateway = Gateway(self, heartbeat_interval=heartbeat_interval)
        self.gateway.deliver_missed_on_identify = deliver_missed_on_identify
        self.interaction_api = InteractionApi(self)  # before RestApi: it routes to it
        self.rest = RestApi(self)
        # records
        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        self.status_counts: Counter[int] = Counter()
        self.invalid_request_count = 0  # 401/403/429 (not shared): Discord's 10k/10min budget
        self.injections: list[Injection] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.deleted_messages: dict[int, dict[str, Any]] = {}
        self.bot_messages: list[int] = []  # ids of messages the bot created, in order
        self.attachment_data: dict[int, bytes] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.command_syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.interactions: list[InteractionHandle] = []
        self.interactions_by_id: dict[int, InteractionHandle] = {}
        self.interactions_by_token: dict[str, InteractionHandle] = {}
        self.typing: list[int] = []
        self.reactions: list[tuple[int, int, str]] = []
        self._consumed: set[int] = set()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._saved_discord: tuple[str, yarl.URL] | None = None

    # lifecycle --------------------------------------------------------------------------------

    async def __aenter__(self) -> DiscordTestServer:
        await self.start()
        if self._point:
            self.point_discord_py_here()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.restore_discord_py()
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume-gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}",
                           self._serve_attachment)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/resume-gateway"

    def point_discord_py_here(self) -> None:
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        if self._saved_discord is None:
            self._saved_discord = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def restore_discord_py(self) -> None:
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        if self._saved_discord is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_discord
            self._saved_discord = None

    @contextlib.asynccontextmanager
    async def run_client(
        self,
        client: discord.Client,
        *,
        ready_timeout: float = 5.0,
        fast: bool = True,
        token: str | None = None,
    ) -> AsyncIterator[discord.Client]:
        """Start ``client`` against this server, wait for on_ready, close it on exit.

        ``fast`` removes discord.py's 5 s pause before every non-initial IDENTIFY.
        """
        if fast:
            fast_identify(client)
        task = asyncio.create_task(client.start(token or self.token), name="discord-test-client")
        try:
            await self.wait_for(lambda: task.done() or client.is_ready(), ready_timeout,
                                "the client to become ready", poll=0.01)
            if task.done():
                task.result()
                raise RuntimeError("client.start() returned before the client was ready")
            for _ in range(3):  # let the on_ready handlers discord.py just scheduled run
                await asyncio.sleep(0)
            yield client
        finally:
            await client.close()
            await asyncio.wait_for(task, 5.0)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.attachment_data.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, headers={"Content-Type": "application/octet-stream"})

    # shared state helpers ---------------------------------------------------------------------

    def loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    def notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_for(
        self,
        condition: Callable[[], T],
        timeout: float = 5.0,
        what: str = "condition",
        *,
        poll: float | None = None,
    ) -> T:
        """Wait until ``condition()`` is truthy (re-checked whenever server state changes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = condition()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, poll or remaining))

    @property
    def application_flags(self) -> int:
        allowed = self.gateway.allowed_privileged_intents
        flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        for intent, flag in ((1 << 8, 1 << 13), (1 << 1, 1 << 15), (1 << 15, 1 << 19)):
            if allowed & intent:
                flags |= flag
        return flags

    def bot_user_payload(self) -> dict[str, Any]:
        return {**self.world.user_payload(self.world.bot.id), "bot": True, "verified": True,
                "mfa_enabled": False, "flags": 0, "locale": "en-US", "email": None}

    # world ------------------------------------------------------------------------------------

    @property
    def bot_id(self) -> int:
        return self.world.bot.id

    def add_user(self, username: str, *, bot: bool = False, guild_id: int | None = None,
                 roles: list[int] | None = None) -> User:
        """A user, by default also a member of the default guild."""
        user = self.world.add_user(username, bot=bot)
        self.world.add_member(guild_id or self.guild_id, user.id, roles=roles)
        return user

    def add_guild(self, name: str, *, on_shard: tuple[int, int] | None = None) -> Guild:
        guild = self.world.add_guild(name, owner_id=self.owner_id, on_shard=on_shard)
        self.world.add_member(guild.id, self.user_id)
        return guild

    def add_channel(self, name: str, *, guild_id: int | None = None) -> Channel:
        return self.world.add_channel(guild_id or self.guild_id, name)

    def add_role(self, name: str, *, permissions: int = 0, guild_id: int | None = None) -> Role:
        return self.world.add_role(guild_id or self.guild_id, name, permissions=permissions)

    def set_overwrite(self, channel_id: int, target_id: int, *, allow: int = 0,
                      deny: int = 0) -> None:
        self.world.set_overwrite(channel_id, target_id, allow=allow, deny=deny)

    # gateway ----------------------------------------------------------------------------------

    @property
    def heartbeat_interval(self) -> int:
        return self.gateway.heartbeat_interval

    @heartbeat_interval.setter
    def heartbeat_interval(self, value: int) -> None:
        self.gateway.heartbeat_interval = value

    @property
    def identify_count(self) -> int:
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    @property
    def heartbeats(self) -> list[tuple[int, int | None]]:
        return self.gateway.heartbeats

    @property
    def gateway_connections(self) -> list[GatewayConnection]:
        return self.gateway.connections

    @property
    def sessions(self) -> dict[str, GatewaySession]:
        return self.gateway.sessions

    @property
    def dispatched_events(self) -> list[GatewayEvent]:
        return self.gateway.dispatched

    async def dispatch(self, name: str, data: dict[str, Any], *, guild_id: int | None = None,
                       intent: int | None = None) -> int:
        """Dispatch a raw gateway event; returns the number of sessions it was queued in."""
        return await self.gateway.dispatch(GatewayEvent(name, data, guild_id, intent))

    async def send_reconnect(self, shard_id: int | None = None) -> None:
        await self.gateway.send_reconnect(shard_id)

    async def drop_connections(self, shard_id: int | None = None, *,
                               code: int | None = None) -> None:
        """Abort the TCP connection(s) (code None) or close with ``code`` (4007/4009 kill it)."""
        await self.gateway.drop_connections(shard_id=shard_id, code=code)

    async def invalidate_session(self, resumable: bool = False,
                                 shard_id: int | None = None) -> None:
        await self.gateway.invalidate_session(resumable=resumable, shard_id=shard_id)

    async def request_heartbeat(self) -> None:
        await self.gateway.request_heartbeat()

    async def wait_for_sessions(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``count`` sessions are connected and have flushed their events."""
        def ready() -> bool:
            live = [s for s in self.gateway.active.values()
                    if s.conn is not None and s.next_unsent == len(s.frames)]
            return len(live) >= count
        await self.wait_for(ready, timeout, f"{count} connected gateway session(s)")

    # faults -----------------------------------------------------------------------------------

    def inject(
        self,
        route_pattern: str | re.Pattern[str],
        status: int,
        times: int | None = 1,
        retry_after: float | None = None,
        global_: bool = False,
        *,
        code: int | None = None,
        message: str | None = None,
        scope: str = "user",
    ) -> Injection:
        """Make the next ``times`` requests matching ``route_pattern`` fail with ``status``."""
        injection = Injection(route_pattern, status, times, retry_after, global_, code, message,
                              scope)
        self.injections.append(injection)
        return injection

    def take_injection(self, method: str, path: str, bucket: str) -> ApiError | None:
        for injection in self.injections:
            if not injection.exhausted and route_matches(injection.pattern, method, path):
                injection.hits += 1
                return injection.error(bucket)
        return None

    # records ----------------------------------------------------------------------------------

    def violation(self, rec: RecordedRequest, problem: str) -> None:
        self.violations.append(f"{rec.method} {rec.path}: {problem}")

    def take_violations(self) -> list[str]:
        """The violations so far, forgotten (for tests that provoke them on purpose)."""
        found, self.violations = self.violations, []
        return found

    def assert_no_violations(self) -> None:
        """Fail when any request broke Discord's API description or documented limits."""
        found = self.take_violations()
        assert not found, "requests Discord would reject or that break a house rule:\n" + \
            "\n".join(found[:20])

    def outgoing_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests
                if r.kind in MESSAGE_KINDS and r.message_payload is not None]

    def outgoing_payloads(self) -> list[dict[str, Any]]:
        """Every message payload the bot sent (creates, edits, callbacks 4/7, follow-ups)."""
        return [r.message_payload for r in self.outgoing_requests() if r.message_payload]

    def requests_to(self, pattern: str | re.Pattern[str]) -> list[RecordedRequest]:
        return [r for r in self.requests if route_matches(pattern, r.method, r.path)]

    async def wait_for_request(self, pattern: str | re.Pattern[str],
                               timeout: float = 5.0) -> RecordedRequest:
        found = await self.wait_for(lambda: self.requests_to(pattern), timeout,
                                    f"a request matching {pattern!r}")
        return found[0]

    async def wait_for_message(
        self,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        channel_id: int | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """The oldest not-yet-returned bot message matching (completed, i.e. not loading)."""
        def find() -> dict[str, Any] | None:
            for mid in self.bot_messages:
                msg = self.messages.get(mid) or self.deleted_messages.get(mid)
                if mid in self._consumed or msg is None or int(msg["flags"]) & LOADING:
                    continue
                if channel_id is not None and msg["channel_id"] != str(channel_id):
                    continue
                if predicate is None or predicate(msg):
                    return msg
            return None

        try:
            found = await self.wait_for(find, timeout, "a bot message")
        except TimeoutError:
            seen = [(m["channel_id"], m["content"][:60]) for m in
                    (self.messages.get(i) or self.deleted_messages.get(i) for i in
                     self.bot_messages) if m]
            raise TimeoutError(f"no matching bot message within {timeout}s; seen: {seen}"
                               ) from None
        assert found is not None
        self._consumed.add(int(found["id"]))
        return found

    async def wait_for_interaction_response(
        self, handle: InteractionHandle, timeout: float = 5.0
    ) -> list[ResponseRecord]:
        """Wait for the callback and, after a defer (5/6), the first follow-up or edit."""
        def done() -> bool:
            if handle.late_callback_at is not None:
                raise AssertionError(
                    f"interaction {handle.id} was answered after the {handle.deadline}s deadline "
                    f"({handle.late_callback_at - handle.dispatched_at:.2f}s)")
            if handle.callback_type is None:
                return False
            if handle.callback_type in (5, 6):
                return any(r.kind != "callback" for r in handle.responses)
            return True

        await self.wait_for(done, timeout, f"the response to interaction {handle.id}")
        return list(handle.responses)

    async def wait_for_autocomplete(self, handle: InteractionHandle,
                                    timeout: float = 5.0) -> list[dict[str, Any]]:
        await self.wait_for_interaction_response(handle, timeout)
        return handle.choices or []

    # scenario helpers -------------------------------------------------------------------------

    def _channel(self, channel_id: int | None) -> Channel:
        channel = self.world.channels.get(channel_id or self.channel_id)
        if channel is None:
            raise ValueError(f"unknown channel {channel_id}")
        return channel

    async def user_message(
        self,
        channel_id: int | None = None,
        author_id: int | None = None,
        content: str = "",
        mentions_bot: bool = False,
        *,
        reply_to: int | None = None,
        attachments: list[tuple[str, bytes]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A user posts a message: MESSAGE_CREATE with mentions parsed from ``<@id>``."""
        channel = self._channel(channel_id)
        author = author_id or self.user_id
        guild = self.world.guilds.get(channel.guild_id or 0)
        if guild is not None and author not in guild.members:
            raise ValueError(f"user {author} is not a member of guild {guild.id}")
        bot = self.bot_id
        if mentions_bot and f"<@{bot}>" not in content and f"<@!{bot}>" not in content:
            content = f"<@{bot}> {content}".rstrip()
        payload: dict[str, Any] = {"content": content}
        if reply_to is not None:
            payload["message_reference"] = {"message_id": str(reply_to),
                                            "channel_id": str(channel.id)}
        files = [UploadedFile(f"files[{i}]", name, None, data)
                 for i, (name, data) in enumerate(attachments or [])]
        msg = self.rest.build_message(channel, author, payload, files)
        msg.update(extra)
        self.rest.store(msg, by_bot=False)
        await self.rest.dispatch_message("MESSAGE_CREATE", msg)
        return msg

    def seed_bot_message(
        self,
        channel_id: int | None = None,
        content: str = "",
        *,
        components: list[dict[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A message the bot sent "in a previous run" (stored, not dispatched, not awaited)."""
        payload = {"content": content, "components": components or [], "embeds": embeds or []}
        msg = self.rest.build_message(self._channel(channel_id), self.bot_id, payload, [])
        self.rest.store(msg, by_bot=False)
        return msg

    async def slash_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        user_id: int | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
    ) -> InteractionHandle:
        """Invoke a registered chat-input command; ``name`` may be "group sub"."""
        channel = self._channel(channel_id)
        self.interaction_api.check_guild(channel, guild_id)
        user = user_id or self.user_id
        data = self.interaction_api.command_data(name, options or {}, channel, user, focused=None)
        return await self.interaction_api.interact(2, data, user, channel)

    async def autocomplete(
        self,
        name: str,
        focused_option: str,
        value: str,
        options: dict[str, Any] | None = None,
        user_id: int | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
    ) -> InteractionHandle:
        channel = self._channel(channel_id)
        self.interaction_api.check_guild(channel, guild_id)
        user = user_id or self.user_id
        values = {**(options or {}), focused_option: value}
        api = self.interaction_api
        data = api.command_data(name, values, channel, user, focused=focused_option)
        return await api.interact(4, data, user, channel)

    async def click_button(self, message_id: int | str, custom_id: str,
                           user_id: int | None = None) -> InteractionHandle:
        msg, component = self.interaction_api.component(message_id, custom_id)
        if component.get("type") != 2:
            raise ValueError(f"{custom_id!r} is not a button (use select_menu)")
        return await self.interaction_api.interact(3, {"custom_id": custom_id, "component_type": 2},
                                    user_id or self.user_id, self._channel(int(msg["channel_id"])),
                                    message=public(msg))

    async def select_menu(self, message_id: int | str, custom_id: str, values: list[Any],
                          user_id: int | None = None) -> InteractionHandle:
        msg, component = self.interaction_api.component(message_id, custom_id)
        ctype = int(component.get("type") or 0)
        if ctype not in (3, 5, 6, 7, 8):
            raise ValueError(f"{custom_id!r} is not a select menu")
        channel = self._channel(int(msg["channel_id"]))
        user = user_id or self.user_id
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype,
                                "values": [str(v) for v in values]}
        if ctype == 3:
            allowed = {o["value"] for o in component.get("options") or []}
            if not set(data["values"]) <= allowed:
                raise ValueError(f"values {values} not among options {sorted(allowed)}")
        else:
            resolved: dict[str, Any] = {}
            kinds = {5: (6,), 6: (8,), 7: (6, 8), 8: (7,)}[ctype]
            for v in values:
                self.interaction_api.resolve(int(v), kinds, channel, user, resolved)
            data["resolved"] = resolved
        return await self.interaction_api.interact(3, data, user, channel, message=public(msg))

    async def announce_guild(self, guild_id: int) -> None:
        """GUILD_CREATE for a guild added after the client connected (the bot "joins" it)."""
        data = self.world.guild_create_payload(guild_id, all_members=False)
        await self.gateway.dispatch(GatewayEvent("GUILD_CREATE", data, guild_id=guild_id))

