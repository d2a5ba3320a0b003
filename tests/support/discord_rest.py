"""REST half of the fake Discord API (``/api/v10``): routing, recording, message store logic.

Handlers receive the :class:`RecordedRequest` plus the path parameters, return a JSON-able
body (status 200) or a :class:`Reply`, or raise :class:`ApiError`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .discord_gateway import (
    DIRECT_MESSAGE_REACTIONS,
    DIRECT_MESSAGES,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGES,
    GUILDS,
    GatewayEvent,
)
from .discord_limits import (
    EPHEMERAL,
    IS_COMPONENTS_V2,
    LOADING,
    MAX_FILES,
    SETTABLE_FLAGS,
    SUPPRESS_EMBEDS,
    ApiError,
    FormErrors,
    empty_message_error,
    is_empty_message,
    validate_message,
)
from .discord_world import (
    ADD_REACTIONS,
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    DM,
    MANAGE_MESSAGES,
    MENTION_EVERYONE,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    Channel,
    iso,
)

if TYPE_CHECKING:
    from .discord_interactions import InteractionHandle
    from .discord_server import DiscordTestServer

HAS_THREAD = 1 << 5
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_FILE_FIELD = re.compile(r"files\[(\d+)\]")
Handler = Callable[..., Awaitable[Any]]
_NO_AUTH_PREFIXES = ("/webhooks/", "/interactions/")
# Error codes that mean the request itself broke a rule (bad body, a limit, an empty message,
# a second response to one interaction): the test that caused them fails (see
# DiscordTestServer.violation). State errors (unknown message, missing permission) do not.
VIOLATION_CODES = frozenset({50035, 50006, 50109, 40005, 40060})
_MESSAGE_ROUTES = frozenset({
    "POST /channels/{channel_id}/messages",
    "PATCH /channels/{channel_id}/messages/{message_id}",
    "POST /webhooks/{application_id}/{token}",
    "PATCH /webhooks/{application_id}/{token}/messages/{message_id}",
})
_MESSAGE_KINDS = ("message_create", "message_edit", "interaction_callback", "webhook_create",
                  "webhook_edit")


@dataclass
class UploadedFile:
    field: str
    filename: str
    content_type: str | None
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class RecordedRequest:
    method: str
    path: str  # below /api/v10, e.g. "/channels/1/messages"
    query: dict[str, str]
    json: Any  # the JSON body, or payload_json of a multipart body
    files: list[UploadedFile]
    headers: dict[str, str]
    time: float  # loop time when received
    route: str | None = None  # matched template, e.g. "POST /channels/{channel_id}/messages"
    status: int = 0
    response: Any = None
    kind: str | None = None  # message_create | message_edit | interaction_callback | webhook_*
    message_payload: dict[str, Any] | None = None  # the message part of the payload, if any


@dataclass
class Reply:
    status: int = 204
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Discord would return it (without the test-only extras)."""
    return {k: v for k, v in message.items() if k != "allowed_mentions"}


def bucket_for(route: str) -> str:
    return hashlib.sha1(route.encode()).hexdigest()[:32]


class RestApi:
    def __init__(self, server: DiscordTestServer) -> None:
        self.server = server
        self.routes: list[tuple[str, str, re.Pattern[str], Handler]] = []
        s, i = self, server.interaction_api
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", s.get_me),
            ("POST", "/users/@me/channels", s.create_dm),
            ("GET", "/users/{user_id}", s.get_user),
            ("GET", "/oauth2/applications/@me", s.get_application),
            ("GET", "/applications/@me", s.get_application),
            ("GET", "/gateway", s.get_gateway),
            ("GET", "/gateway/bot", s.get_gateway_bot),
            ("GET", "/guilds/{guild_id}", s.get_guild),
            ("GET", "/guilds/{guild_id}/channels", s.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", s.get_guild_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", s.get_member),
            ("GET", "/channels/{channel_id}", s.get_channel),
            ("GET", "/channels/{channel_id}/messages", s.list_messages),
            ("POST", "/channels/{channel_id}/messages", s.post_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", s.get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", s.patch_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", s.delete_message),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", s.thread_from_message),
            ("POST", "/channels/{channel_id}/threads", s.thread_without_message),
            ("POST", "/channels/{channel_id}/typing", s.typing),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
             s.add_reaction),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
             s.remove_reaction),
            ("GET", "/applications/{application_id}/commands", i.get_commands),
            ("PUT", "/applications/{application_id}/commands", i.put_commands),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", i.get_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", i.put_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", i.interaction_callback),
            ("POST", "/webhooks/{application_id}/{token}", i.webhook_execute),
            ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", i.webhook_get),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", i.webhook_edit),
            ("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}",
             i.webhook_delete),
        ]
        for method, template, handler in table:
            pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
            self.routes.append((method, template, pattern, handler))

    # plumbing -------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        server = self.server
        path = "/" + request.match_info["tail"]
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=None,
            files=[],
            headers=dict(request.headers),
            time=server.loop_time(),
        )
        server.requests.append(rec)
        route = f"{rec.method} {path}"
        injected: ApiError | None = None
        try:
            await _read_body(request, rec)
            match = self._match(rec.method, path)
            if match is not None:
                route = rec.route = f"{rec.method} {match[0]}"
            injected = server.take_injection(rec.method, path, bucket_for(route))
            if injected is not None:
                raise injected
            if match is None:
                server.unknown_requests.append(rec)
                raise ApiError(404, 0, "404: Not Found")
            self._judge(rec)
            template, handler, params = match
            needs_auth = not template.startswith(_NO_AUTH_PREFIXES)
            if needs_auth and request.headers.get("Authorization") != f"Bot {server.token}":
                raise ApiError(401, 0, "401: Unauthorized")
            result = await handler(rec, **params)
            reply = result if isinstance(result, Reply) else Reply(200, result)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body(), exc.headers)
            if injected is None and not exc.judged and exc.code in VIOLATION_CODES:
                server.violation(rec, f"{exc.status} {exc.code} {exc.message}: "
                                 f"{json.dumps(exc.errors or {})[:600]}")
        if (reply.status < 300 and rec.kind in _MESSAGE_KINDS and rec.message_payload is not None
                and "allowed_mentions" not in rec.message_payload):
            server.violation(rec, "a message sent without allowed_mentions")
        rec.status, rec.response = reply.status, reply.body
        server.status_counts[reply.status] += 1
        if reply.status == 429 and reply.headers.get("X-RateLimit-Scope") == "shared":
            pass
        elif reply.status in (401, 403, 429):
            server.invalid_request_count += 1
        base = {} if reply.status == 429 else _ratelimit_headers(route)
        headers = {"Via": "1.1 google", **base, **reply.headers}
        server.notify()
        if reply.body is None:
            return web.Response(status=reply.status, headers=headers)
        headers["Content-Type"] = "application/json"  # exactly: discord.py compares verbatim
        return web.Response(status=reply.status, body=json.dumps(reply.body).encode(),
                            headers=headers)

    def _judge(self, rec: RecordedRequest) -> None:
        """Discord's published API description decides: unknown route 404, bad body 400."""
        judge = self.server.judge
        if judge is None:
            return
        has_body = rec.json is not None or bool(rec.files)
        problems = judge.problems(rec.method, rec.path, rec.query, rec.json, has_body)
        if not problems:
            return
        for problem in problems:
            self.server.violation(rec, problem.text)
        if judge.operation(rec.method, rec.path) is None:
            raise ApiError(404, 0, "404: Not Found", judged=True)
        errs = FormErrors()
        for problem in problems:
            errs.add(problem.path, "SCHEMA_INVALID", problem.text)
        # Discord reports every broken rule at once: the documented limits too.
        body = rec.json if isinstance(rec.json, dict) else {}
        if (rec.route or "").endswith("/callback") and isinstance(body.get("data"), dict):
            validate_message(body["data"], errs, ("data",))
        elif rec.route in _MESSAGE_ROUTES:
            validate_message(body, errs)
        raise ApiError(400, 50035, "Invalid Form Body", errs.errors, judged=True)

    def _match(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        for route_method, template, pattern, handler in self.routes:
            found = pattern.match(path)
            if found and route_method == method:
                return template, handler, found.groupdict()
        return None

    # lookups & checks -----------------------------------------------------------------------

    def channel(self, channel_id: str | int) -> Channel:
        channel = self.server.world.channels.get(_int(channel_id))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def message(self, channel: Channel, message_id: str | int) -> dict[str, Any]:
        msg = self.server.messages.get(_int(message_id))
        if msg is None or msg["channel_id"] != str(channel.id):
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def require(self, channel: Channel, perms: int) -> None:
        world = self.server.world
        if channel.type == DM:
            if channel.recipients[0] in world.dm_closed and perms & SEND_MESSAGES:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        have = world.permissions_for(channel.id, world.bot.id)
        if not have & VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if have & perms != perms:
            raise ApiError(403, 50013, "Missing Permissions")

    # message building -----------------------------------------------------------------------

    def build_message(
        self,
        channel: Channel,
        author_id: int,
        payload: dict[str, Any],
        files: list[UploadedFile],
        *,
        msg_type: int = 0,
        extra_flags: int = 0,
        allow_ephemeral: bool = False,
        interaction: InteractionHandle | None = None,
    ) -> dict[str, Any]:
        """Validate and build (not store) a message the way Discord would."""
        server, world = self.server, self.server.world
        errs = FormErrors()
        validate_message(payload, errs)
        errs.max_len(("files",), files, MAX_FILES)
        errs.raise_if_any()
        if sum(f.size for f in files) > server.attachment_size_limit:
            raise ApiError(413, 40005, "Request entity too large")
        flags = int(payload.get("flags") or 0) & SETTABLE_FLAGS
        if not allow_ephemeral:
            flags &= ~EPHEMERAL
        reference = self._reference(channel, payload.get("message_reference"))
        embeds = payload.get("embeds")
        if embeds is None and payload.get("embed") is not None:
            embeds = [payload["embed"]]
        mid = server.ids.next()
        msg: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": world.user_payload(author_id),
            "content": payload.get("content") or "",
            "timestamp": iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(payload, files, channel, []),
            "embeds": list(embeds or []),
            "components": list(payload.get("components") or []),
            "pinned": False,
            "type": 19 if reference and msg_type == 0 else msg_type,
            "flags": flags | extra_flags,
            "allowed_mentions": payload.get("allowed_mentions"),
        }
        if channel.guild_id is not None:
            msg["guild_id"] = str(channel.guild_id)
        if payload.get("nonce") is not None:
            msg["nonce"] = payload["nonce"]
        if reference is not None:
            ref_msg, ref_payload = reference
            msg["message_reference"] = ref_payload
            if ref_msg is not None:
                msg["referenced_message"] = {
                    k: v for k, v in public(ref_msg).items() if k != "referenced_message"
                }
        if interaction is not None:
            msg["webhook_id"] = str(server.application_id)
            msg["application_id"] = str(server.application_id)
            user = interaction.user_payload
            msg["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}),
            }
            if interaction.type == 2:
                msg["interaction"] = {"id": str(interaction.id), "type": 2, "user": user,
                                      "name": interaction.payload["data"]["name"]}
        self._set_mentions(msg, channel, author_id)
        return msg

    def _reference(
        self, channel: Channel, ref: dict[str, Any] | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any]] | None:
        if not ref or ref.get("type", 0) != 0:
            return None
        ref_channel_id = _int(ref.get("channel_id") or channel.id)
        ref_msg = self.server.messages.get(_int(ref.get("message_id") or 0))
        if ref_msg is None or ref_msg["channel_id"] != str(ref_channel_id):
            if ref.get("fail_if_not_exists", True):
                errs = FormErrors()
                errs.add(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                         "Unknown message")
                errs.raise_if_any()
            return None
        payload = {"type": 0, "message_id": ref_msg["id"], "channel_id": ref_msg["channel_id"]}
        if ref_msg.get("guild_id"):
            payload["guild_id"] = ref_msg["guild_id"]
        return ref_msg, payload

    def _set_mentions(self, msg: dict[str, Any], channel: Channel, author_id: int) -> None:
        world = self.server.world
        content = msg["content"]
        users = list(dict.fromkeys(int(u) for u in _USER_MENTION.findall(content)))
        roles = list(dict.fromkeys(int(r) for r in _ROLE_MENTION.findall(content)))
        everyone = "@everyone" in content or "@here" in content
        am = msg.get("allowed_mentions")
        replied = True
        if am is not None:
            parse = am.get("parse") or []
            if "users" not in parse:
                users = [u for u in users if str(u) in {str(x) for x in am.get("users") or []}]
            if "roles" not in parse:
                roles = [r for r in roles if str(r) in {str(x) for x in am.get("roles") or []}]
            everyone = everyone and "everyone" in parse
            replied = bool(am.get("replied_user", False))
        ref = msg.get("referenced_message")
        if ref is not None and replied and int(ref["author"]["id"]) not in users:
            users.append(int(ref["author"]["id"]))
        guild = world.guilds.get(channel.guild_id or 0)
        mentions = []
        for uid in users:
            if uid not in world.users:
                continue
            entry = world.user_payload(uid)
            if guild is not None and uid in guild.members:
                entry["member"] = world.member_payload(guild.id, uid, with_user=False)
            mentions.append(entry)
        msg["mentions"] = mentions
        msg["mention_roles"] = [str(r) for r in roles if guild is not None and r in guild.roles]
        if guild is not None and everyone:
            everyone = bool(world.permissions_for(channel.id, author_id) & MENTION_EVERYONE)
        msg["mention_everyone"] = everyone

    def _attachments(
        self,
        payload: dict[str, Any],
        files: list[UploadedFile],
        channel: Channel,
        existing: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        by_index: dict[int, UploadedFile] = {}
        for position, item in enumerate(files):
            found = _FILE_FIELD.fullmatch(item.field)
            by_index[int(found.group(1)) if found else position] = item
        listed = payload.get("attachments")
        if listed is None:
            listed = list(existing) + [{"id": i} for i in by_index]
        old = {a["id"]: a for a in existing}
        result: list[dict[str, Any]] = []
        used: set[int] = set()
        for entry in listed:
            aid = entry.get("id")
            if str(aid) in old:
                result.append(old[str(aid)])
                continue
            index = _int(aid) if aid is not None else -1
            upload = by_index.get(index)
            if upload is None:
                continue
            used.add(index)
            result.append(self._attachment(upload, channel, entry))
        for index, upload in by_index.items():
            if index not in used:
                result.append(self._attachment(upload, channel, {}))
        return result

    def _attachment(
        self, upload: UploadedFile, channel: Channel, entry: dict[str, Any]
    ) -> dict[str, Any]:
        server = self.server
        aid = server.ids.next()
        filename = entry.get("filename") or upload.filename
        server.attachment_data[aid] = upload.data
        url = f"{server.url}/attachments/{channel.id}/{aid}/{filename}"
        data: dict[str, Any] = {
            "id": str(aid),
            "filename": filename,
            "size": upload.size,
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type,
        }
        if entry.get("description"):
            data["description"] = entry["description"]
        return data

    def store(self, msg: dict[str, Any], *, by_bot: bool = True) -> None:
        server = self.server
        mid = int(msg["id"])
        server.messages[mid] = msg
        if by_bot:
            server.bot_messages.append(mid)
        channel = server.world.channels.get(int(msg["channel_id"]))
        if channel is not None:
            channel.last_message_id = mid
            if channel.is_thread:
                channel.message_count += 1

    def apply_edit(
        self,
        msg: dict[str, Any],
        payload: dict[str, Any],
        files: list[UploadedFile],
        *,
        finish_loading: bool = False,
    ) -> None:
        """Apply a PATCH-style edit in place (same dict object) after validating it."""
        errs = FormErrors()
        validate_message(payload, errs)
        errs.raise_if_any()
        channel = self.channel(msg["channel_id"])
        new = dict(msg)
        for key in ("content", "embeds", "components"):
            if key in payload:
                new[key] = payload[key] or ("" if key == "content" else [])
        if payload.get("flags") is not None:
            keep = int(msg["flags"]) & ~SUPPRESS_EMBEDS
            new["flags"] = keep | (int(payload["flags"]) & (SUPPRESS_EMBEDS | IS_COMPONENTS_V2))
        if "attachments" in payload or files:
            new["attachments"] = self._attachments(payload, files, channel, msg["attachments"])
        if "allowed_mentions" in payload:
            new["allowed_mentions"] = payload["allowed_mentions"]
        loading = bool(int(new["flags"]) & LOADING)
        if loading and finish_loading:
            new["flags"] = int(new["flags"]) & ~LOADING
        elif not loading:
            new["edited_timestamp"] = iso()
        if is_empty_message(new) and not int(new["flags"]) & LOADING:
            raise empty_message_error()
        self._set_mentions(new, channel, int(msg["author"]["id"]))
        msg.clear()
        msg.update(new)

    async def dispatch_message(self, name: str, msg: dict[str, Any]) -> None:
        """MESSAGE_CREATE / MESSAGE_UPDATE to the gateway (never for ephemeral messages)."""
        if int(msg.get("flags") or 0) & EPHEMERAL:
            return
        world = self.server.world
        channel = world.channels[int(msg["channel_id"])]
        data = public(msg)
        author_id = int(msg["author"]["id"])
        guild = world.guilds.get(channel.guild_id or 0)
        if guild is not None and author_id in guild.members and "webhook_id" not in msg:
            data["member"] = world.member_payload(guild.id, author_id, with_user=False)
        bot_id = str(world.bot.id)
        exempt = (
            guild is None
            or author_id == world.bot.id
            or any(m["id"] == bot_id for m in msg["mentions"])
        )
        await self.server.gateway.dispatch(GatewayEvent(
            name,
            data,
            guild_id=channel.guild_id,
            intent=GUILD_MESSAGES if guild is not None else DIRECT_MESSAGES,
            content_exempt=exempt,
        ))

    async def dispatch_delete(self, msg: dict[str, Any]) -> None:
        server = self.server
        mid = int(msg["id"])
        server.messages.pop(mid, None)
        server.deleted_messages[mid] = msg
        if int(msg.get("flags") or 0) & EPHEMERAL:
            return
        data = {"id": msg["id"], "channel_id": msg["channel_id"]}
        gid = msg.get("guild_id")
        if gid:
            data["guild_id"] = gid
        await server.gateway.dispatch(GatewayEvent(
            "MESSAGE_DELETE", data, guild_id=_int(gid) if gid else None,
            intent=GUILD_MESSAGES if gid else DIRECT_MESSAGES,
        ))

    # users / application / gateway -----------------------------------------------------------

    async def get_me(self, rec: RecordedRequest) -> Any:
        return self.server.bot_user_payload()

    async def get_user(self, rec: RecordedRequest, user_id: str) -> Any:
        if _int(user_id) not in self.server.world.users:
            raise ApiError(404, 10013, "Unknown User")
        return self.server.world.user_payload(_int(user_id))

    async def create_dm(self, rec: RecordedRequest) -> Any:
        world = self.server.world
        recipient = _int((rec.json or {}).get("recipient_id") or 0)
        if recipient not in world.users:
            raise ApiError(404, 10013, "Unknown User")
        return world.channel_payload(world.dm_channel(recipient))

    async def get_application(self, rec: RecordedRequest) -> Any:
        server = self.server
        return {
            "id": str(server.application_id),
            "name": server.world.bot.username,
            "icon": None,
            "description": "",
            "summary": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": server.world.user_payload(server.owner_id),
            "team": None,
            "flags": server.application_flags,
            "bot": server.world.user_payload(server.world.bot.id),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "approximate_guild_count": len(server.world.guilds),
        }

    async def get_gateway(self, rec: RecordedRequest) -> Any:
        return {"url": self.server.gateway_url}

    async def get_gateway_bot(self, rec: RecordedRequest) -> Any:
        server = self.server
        return {
            "url": server.gateway_url,
            "shards": server.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": server.session_start_remaining,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }

    # guilds -----------------------------------------------------------------------------------

    def _guild(self, guild_id: str) -> int:
        gid = _int(guild_id)
        if gid not in self.server.world.guilds:
            raise ApiError(404, 10004, "Unknown Guild")
        return gid

    async def get_guild(self, rec: RecordedRequest, guild_id: str) -> Any:
        data = self.server.world.guild_create_payload(self._guild(guild_id), all_members=False)
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at"):
            data.pop(key, None)
        return data

    async def get_guild_channels(self, rec: RecordedRequest, guild_id: str) -> Any:
        world = self.server.world
        guild = world.guilds[self._guild(guild_id)]
        return [world.channel_payload(world.channels[c]) for c in guild.channel_ids
                if not world.channels[c].is_thread]

    async def get_guild_roles(self, rec: RecordedRequest, guild_id: str) -> Any:
        guild = self.server.world.guilds[self._guild(guild_id)]
        return [r.payload() for r in guild.roles.values()]

    async def get_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> Any:
        gid = self._guild(guild_id)
        if _int(user_id) not in self.server.world.guilds[gid].members:
            raise ApiError(404, 10007, "Unknown Member")
        return self.server.world.member_payload(gid, _int(user_id))

    # channels & messages ----------------------------------------------------------------------

    async def get_channel(self, rec: RecordedRequest, channel_id: str) -> Any:
        channel = self.channel(channel_id)
        self.require(channel, 0)
        return self.server.world.channel_payload(channel)

    async def list_messages(self, rec: RecordedRequest, channel_id: str) -> Any:
        channel = self.channel(channel_id)
        self.require(channel, READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(rec.query.get("limit", 50))))
        before = int(rec.query.get("before", 1 << 63))
        after = int(rec.query.get("after", 0))
        found = [m for mid, m in sorted(self.server.messages.items(), reverse=True)
                 if m["channel_id"] == str(channel.id) and after < mid < before
                 and not int(m["flags"]) & EPHEMERAL]
        return [public(m) for m in found[:limit]]

    async def post_message(self, rec: RecordedRequest, channel_id: str) -> Any:
        rec.kind, rec.message_payload = "message_create", rec.json
        channel = self.channel(channel_id)
        self.require(channel, SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES)
        if rec.files:
            self.require(channel, ATTACH_FILES)
        msg = self.build_message(channel, self.server.world.bot.id, rec.json or {}, rec.files)
        if is_empty_message(msg):
            raise empty_message_error()
        self.store(msg)
        await self.dispatch_message("MESSAGE_CREATE", msg)
        return public(msg)

    async def get_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> Any:
        channel = self.channel(channel_id)
        self.require(channel, READ_MESSAGE_HISTORY)
        return public(self.message(channel, message_id))

    async def patch_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> Any:
        rec.kind, rec.message_payload = "message_edit", rec.json
        channel = self.channel(channel_id)
        msg = self.message(channel, message_id)
        payload = rec.json or {}
        if int(msg["author"]["id"]) != self.server.world.bot.id:
            if set(payload) - {"flags"}:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
            self.require(channel, MANAGE_MESSAGES)
        self.apply_edit(msg, payload, rec.files)
        await self.dispatch_message("MESSAGE_UPDATE", msg)
        return public(msg)

    async def delete_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> Any:
        channel = self.channel(channel_id)
        msg = self.message(channel, message_id)
        if int(msg["author"]["id"]) != self.server.world.bot.id:
            self.require(channel, MANAGE_MESSAGES)
        await self.dispatch_delete(msg)
        return Reply(204)

    async def typing(self, rec: RecordedRequest, channel_id: str) -> Any:
        channel = self.channel(channel_id)
        self.require(channel, SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES)
        self.server.typing.append(channel.id)
        return Reply(204)

    async def _reaction(self, channel_id: str, message_id: str, emoji: str, add: bool) -> Any:
        server = self.server
        channel = self.channel(channel_id)
        msg = self.message(channel, message_id)
        self.require(channel, READ_MESSAGE_HISTORY | (ADD_REACTIONS if add else 0))
        name, _, eid = emoji.partition(":")
        key = (channel.id, int(msg["id"]), emoji)
        if add and key not in server.reactions:
            server.reactions.append(key)
        elif not add and key in server.reactions:
            server.reactions.remove(key)
        else:
            return Reply(204)
        data: dict[str, Any] = {
            "user_id": str(server.world.bot.id),
            "channel_id": str(channel.id),
            "message_id": msg["id"],
            "emoji": {"id": eid or None, "name": name},
            "burst": False,
            "type": 0,
        }
        if channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
        await server.gateway.dispatch(GatewayEvent(
            "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE",
            data,
            guild_id=channel.guild_id,
            intent=GUILD_MESSAGE_REACTIONS if channel.guild_id else DIRECT_MESSAGE_REACTIONS,
        ))
        return Reply(204)

    async def add_reaction(self, rec: RecordedRequest, channel_id: str, message_id: str,
                           emoji: str) -> Any:
        return await self._reaction(channel_id, message_id, emoji, True)

    async def remove_reaction(self, rec: RecordedRequest, channel_id: str, message_id: str,
                              emoji: str) -> Any:
        return await self._reaction(channel_id, message_id, emoji, False)

    # threads ----------------------------------------------------------------------------------

    async def _create_thread(
        self, parent: Channel, payload: dict[str, Any], thread_type: int, thread_id: int | None
    ) -> dict[str, Any]:
        world = self.server.world
        if parent.is_thread or parent.type == DM or parent.guild_id is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(parent, CREATE_PRIVATE_THREADS if thread_type == PRIVATE_THREAD
                     else CREATE_PUBLIC_THREADS)
        name = payload.get("name") or ""
        if not 1 <= len(name) <= 100:
            errs = FormErrors()
            errs.add(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            errs.raise_if_any()
        thread = world.add_channel(parent.guild_id, name, type=thread_type, parent_id=parent.id,
                                   owner_id=world.bot.id, channel_id=thread_id)
        thread.auto_archive_duration = int(payload.get("auto_archive_duration") or 4320)
        thread.rate_limit_per_user = int(payload.get("rate_limit_per_user") or 0)
        data = world.channel_payload(thread)
        data["member"] = {"id": str(thread.id), "user_id": str(world.bot.id),
                          "join_timestamp": iso(), "flags": 0}
        await self.server.gateway.dispatch(GatewayEvent(
            "THREAD_CREATE", {**data, "newly_created": True}, guild_id=parent.guild_id,
            intent=GUILDS,
        ))
        return data

    async def thread_from_message(self, rec: RecordedRequest, channel_id: str,
                                  message_id: str) -> Any:
        channel = self.channel(channel_id)
        msg = self.message(channel, message_id)
        if _int(message_id) in self.server.world.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        data = await self._create_thread(channel, rec.json or {}, PUBLIC_THREAD, int(msg["id"]))
        msg["thread"] = {k: v for k, v in data.items() if k != "member"}
        msg["flags"] = int(msg["flags"]) | HAS_THREAD
        return data

    async def thread_without_message(self, rec: RecordedRequest, channel_id: str) -> Any:
        payload = rec.json or {}
        thread_type = int(payload.get("type") or PRIVATE_THREAD)
        return await self._create_thread(self.channel(channel_id), payload, thread_type, None)


async def _read_body(request: web.Request, rec: RecordedRequest) -> None:
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            name = getattr(part, "name", None) or ""
            if name == "payload_json":
                rec.json = json.loads(await part.text())  # type: ignore[union-attr]
            elif getattr(part, "filename", None) is not None or name.startswith("files["):
                data = await part.read(decode=True)  # type: ignore[union-attr]
                rec.files.append(UploadedFile(
                    field=name,
                    filename=part.filename or name,  # type: ignore[union-attr]
                    content_type=part.headers.get("Content-Type"),
                    data=bytes(data),
                ))
        return
    raw = await request.read()
    if raw:
        try:
            rec.json = json.loads(raw)
        except ValueError:
            raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


def _ratelimit_headers(route: str) -> dict[str, str]:
    # A roomy bucket so discord.py never pre-emptively sleeps; injected 429s are separate.
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": bucket_for(route),
    }


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
