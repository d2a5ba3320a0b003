"""Interactions: registered commands, INTERACTION_CREATE payloads, callbacks and follow-ups.

The server builds slash-command / autocomplete / component interactions in exactly the shape
discord.py 2.7 parses, times the callback against Discord's 3 s deadline, and implements the
interaction webhook (follow-ups, ``@original`` edits) that only works after the callback.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .discord_gateway import GatewayEvent
from .discord_limits import (
    EPHEMERAL,
    LOADING,
    ApiError,
    FormErrors,
    empty_message_error,
    is_empty_message,
    validate_choices,
    validate_commands,
    validate_modal,
    walk_components,
)
from .discord_rest import RecordedRequest, Reply, RestApi, UploadedFile, public
from .discord_world import Channel

if TYPE_CHECKING:
    from .discord_server import DiscordTestServer


@dataclass
class ResponseRecord:
    """One thing the bot did with an interaction token."""

    kind: str  # callback | followup | edit_original | edit_message | delete_original | ...
    payload: dict[str, Any]  # the request JSON (for callbacks: {"type": .., "data": ..})
    at: float
    callback_type: int | None = None
    message: dict[str, Any] | None = None  # the stored message it created/edited, if any

    @property
    def ephemeral(self) -> bool:
        if self.message is not None:
            return bool(int(self.message.get("flags") or 0) & EPHEMERAL)
        data = self.payload.get("data") or {}
        return bool(int(data.get("flags") or 0) & EPHEMERAL)


@dataclass
class InteractionHandle:
    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete, 5 modal submit
    payload: dict[str, Any]  # the INTERACTION_CREATE data as dispatched
    channel_id: int
    dispatched_at: float
    deadline: float = 3.0
    callback: dict[str, Any] | None = None
    callback_type: int | None = None
    callback_at: float | None = None
    late_callback_at: float | None = None  # a callback refused because the deadline passed
    original_message_id: int | None = None
    message_ids: list[int] = field(default_factory=list)
    responses: list[ResponseRecord] = field(default_factory=list)

    @property
    def user_payload(self) -> dict[str, Any]:
        member = self.payload.get("member")
        return member["user"] if member else self.payload["user"]

    @property
    def acknowledged(self) -> bool:
        return self.callback_at is not None

    @property
    def ack_latency(self) -> float | None:
        return None if self.callback_at is None else self.callback_at - self.dispatched_at

    @property
    def acknowledged_in_time(self) -> bool:
        latency = self.ack_latency
        return latency is not None and latency <= self.deadline

    @property
    def deferred(self) -> bool:
        return self.callback_type in (5, 6)

    @property
    def ephemeral(self) -> bool:
        """Whether the (first) response message is ephemeral."""
        if self.callback is None:
            return False
        return bool(int((self.callback.get("data") or {}).get("flags") or 0) & EPHEMERAL)

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        if self.callback_type != 8 or self.callback is None:
            return None
        return list((self.callback.get("data") or {}).get("choices") or [])

    @property
    def followups(self) -> list[ResponseRecord]:
        return [r for r in self.responses if r.kind == "followup"]


class InteractionApi:
    """Owned by DiscordTestServer; its REST handlers are routed by RestApi."""

    def __init__(self, server: DiscordTestServer) -> None:
        self.server = server

    @property
    def rest(self) -> RestApi:
        return self.server.rest

    def record_response(
        self,
        handle: InteractionHandle,
        kind: str,
        payload: dict[str, Any],
        message: dict[str, Any] | None,
        *,
        callback_type: int | None = None,
    ) -> None:
        handle.responses.append(ResponseRecord(kind, payload, self.server.loop_time(),
                                               callback_type, message))
        self.server.notify()

    # application commands ---------------------------------------------------------------------

    def _command_scope(self, application_id: str, guild_id: str | None) -> int | None:
        if _int(application_id) != self.server.application_id:
            raise ApiError(403, 50001, "Missing Access")
        if guild_id is None:
            return None
        gid = _int(guild_id)
        if gid not in self.server.world.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return gid

    async def get_commands(self, rec: RecordedRequest, application_id: str,
                           guild_id: str | None = None) -> Any:
        return self.server.commands.get(self._command_scope(application_id, guild_id), [])

    async def put_commands(self, rec: RecordedRequest, application_id: str,
                           guild_id: str | None = None) -> Any:
        server = self.server
        scope = self._command_scope(application_id, guild_id)
        body = rec.json if isinstance(rec.json, list) else []
        errs = FormErrors()
        validate_commands(body, errs)
        errs.raise_if_any()
        previous = {(c["type"], c["name"]): c for c in server.commands.get(scope, [])}
        stored = []
        for command in body:
            ctype = int(command.get("type") or 1)
            prev = previous.get((ctype, command["name"]))
            entry = {
                "id": prev["id"] if prev else str(server.ids.next()),
                "application_id": str(server.application_id),
                "version": str(server.ids.next()),
                "type": ctype,
                "name": command["name"],
                "description": command.get("description") or "",
                "options": command.get("options") or [],
                "default_member_permissions": command.get("default_member_permissions"),
                "nsfw": bool(command.get("nsfw", False)),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
                "name_localizations": command.get("name_localizations"),
                "description_localizations": command.get("description_localizations"),
            }
            if scope is not None:
                entry["guild_id"] = str(scope)
            stored.append(entry)
        server.commands[scope] = stored
        server.command_syncs.append((scope, body))
        return stored

    # interactions -----------------------------------------------------------------------------

    async def interaction_callback(self, rec: RecordedRequest, interaction_id: str,
                                   token: str) -> Any:
        server = self.server
        body = rec.json if isinstance(rec.json, dict) else {}
        ctype, data = body.get("type"), body.get("data") or {}
        rec.kind = "interaction_callback"
        if ctype in (4, 7):
            rec.message_payload = data
        handle = server.interactions_by_id.get(_int(interaction_id))
        if handle is None or handle.token != token:
            raise ApiError(404, 10062, "Unknown interaction")
        now = server.loop_time()
        if handle.callback_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if now - handle.dispatched_at > handle.deadline:
            handle.late_callback_at = now
            raise ApiError(404, 10062, "Unknown interaction")
        allowed = {2: (4, 5, 9), 3: (4, 5, 6, 7, 9), 4: (8,), 5: (4, 5, 6, 7)}[handle.type]
        errs = FormErrors()
        if ctype not in allowed:
            errs.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID",
                     f"Callback type {ctype} is not valid for interaction type {handle.type}")
        errs.raise_if_any()
        channel = self.rest.channel(handle.channel_id)
        msg: dict[str, Any] | None = None
        prefix_errors = _prefixed("data")
        if ctype == 4:
            with prefix_errors:
                msg = self.rest.build_message(channel, server.world.bot.id, data, rec.files,
                                         msg_type=20 if handle.type == 2 else 0,
                                         allow_ephemeral=True, interaction=handle)
            if is_empty_message(msg):
                raise empty_message_error()
        elif ctype == 5:
            loading = {"flags": int(data.get("flags") or 0) & EPHEMERAL}
            msg = self.rest.build_message(channel, server.world.bot.id, loading, [],
                                     msg_type=20 if handle.type == 2 else 0, extra_flags=LOADING,
                                     allow_ephemeral=True, interaction=handle)
        elif ctype == 7:
            msg = server.messages.get(int(handle.payload["message"]["id"]))
            if msg is None:
                raise ApiError(404, 10008, "Unknown Message")
            with prefix_errors:
                self.rest.apply_edit(msg, data, rec.files)
        elif ctype in (8, 9):
            (validate_choices if ctype == 8 else validate_modal)(data, errs)
            errs.raise_if_any()
        handle.callback, handle.callback_type, handle.callback_at = body, ctype, now
        if ctype in (4, 5):
            assert msg is not None
            self.rest.store(msg)
            handle.original_message_id = int(msg["id"])
            handle.message_ids.append(int(msg["id"]))
            await self.rest.dispatch_message("MESSAGE_CREATE", msg)
        elif ctype in (6, 7) and "message" in handle.payload:
            handle.original_message_id = int(handle.payload["message"]["id"])
            if msg is not None:
                await self.rest.dispatch_message("MESSAGE_UPDATE", msg)
        self.record_response(handle, "callback", body, msg, callback_type=ctype)
        if rec.query.get("with_response", "").lower() not in ("1", "true"):
            return Reply(204)
        info: dict[str, Any] = {"id": str(handle.id), "type": handle.type}
        result: dict[str, Any] = {"interaction": info}
        if msg is not None:
            flags = int(msg["flags"])
            info.update(response_message_id=msg["id"],
                        response_message_loading=bool(flags & LOADING),
                        response_message_ephemeral=bool(flags & EPHEMERAL))
            result["resource"] = {"type": ctype, "message": public(msg)}
        return result

    def _webhook_handle(self, application_id: str, token: str) -> InteractionHandle:
        handle = self.server.interactions_by_token.get(token)
        if handle is None or _int(application_id) != self.server.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        if self.server.loop_time() - handle.dispatched_at > self.server.interaction_token_lifetime:
            raise ApiError(401, 50027, "Invalid Webhook Token")  # the token lives 15 minutes
        if handle.callback_type is None:  # follow-ups only after the first response
            if handle.late_callback_at is None:  # not just the echo of a missed deadline
                self.server.violations.append(
                    f"interaction {handle.id}: a follow-up or edit before the first response")
            raise ApiError(404, 10015, "Unknown Webhook")
        return handle

    def _webhook_message(self, handle: InteractionHandle, message_id: str) -> dict[str, Any]:
        mid = handle.original_message_id if message_id == "@original" else _int(message_id)
        if mid is None or (message_id != "@original" and mid not in handle.message_ids):
            raise ApiError(404, 10008, "Unknown Message")
        msg = self.server.messages.get(mid)
        if msg is None:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def webhook_execute(self, rec: RecordedRequest, application_id: str, token: str) -> Any:
        server = self.server
        rec.kind, rec.message_payload = "webhook_create", rec.json
        handle = self._webhook_handle(application_id, token)
        payload = rec.json or {}
        original = server.messages.get(handle.original_message_id or 0)
        if handle.callback_type == 5 and original is not None and int(original["flags"]) & LOADING:
            # Discord turns the first follow-up after a deferred reply into the original
            # response: it keeps the defer's ephemerality, whatever flags the follow-up has.
            self.rest.apply_edit(original, payload, rec.files, finish_loading=True)
            msg = original
            await self.rest.dispatch_message("MESSAGE_UPDATE", msg)
        else:
            msg = self.rest.build_message(self.rest.channel(handle.channel_id), server.world.bot.id,
                                     payload, rec.files, allow_ephemeral=True, interaction=handle)
            if is_empty_message(msg):
                raise empty_message_error()
            self.rest.store(msg)
            handle.message_ids.append(int(msg["id"]))
            await self.rest.dispatch_message("MESSAGE_CREATE", msg)
        self.record_response(handle, "followup", payload, msg)
        if rec.query.get("wait", "").lower() in ("1", "true"):
            return public(msg)
        return Reply(204)

    async def webhook_get(self, rec: RecordedRequest, application_id: str, token: str,
                          message_id: str) -> Any:
        handle = self._webhook_handle(application_id, token)
        return public(self._webhook_message(handle, message_id))

    async def webhook_edit(self, rec: RecordedRequest, application_id: str, token: str,
                           message_id: str) -> Any:
        rec.kind, rec.message_payload = "webhook_edit", rec.json
        handle = self._webhook_handle(application_id, token)
        msg = self._webhook_message(handle, message_id)
        self.rest.apply_edit(msg, rec.json or {}, rec.files, finish_loading=True)
        await self.rest.dispatch_message("MESSAGE_UPDATE", msg)
        kind = "edit_original" if message_id == "@original" else "edit_message"
        self.record_response(handle, kind, rec.json or {}, msg)
        return public(msg)

    async def webhook_delete(self, rec: RecordedRequest, application_id: str, token: str,
                             message_id: str) -> Any:
        handle = self._webhook_handle(application_id, token)
        msg = self._webhook_message(handle, message_id)
        await self.rest.dispatch_delete(msg)
        kind = "delete_original" if message_id == "@original" else "delete_message"
        self.record_response(handle, kind, {}, msg)
        return Reply(204)

    # building interactions -------------------------------------------------------------

    def component(self, message_id: int | str,
                   custom_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        msg = self.server.messages.get(int(message_id))
        if msg is None:
            raise ValueError(f"unknown message {message_id}")
        components = list(walk_components(msg.get("components") or []))
        for component in components:
            if component.get("custom_id") == custom_id:
                if component.get("disabled"):
                    raise ValueError(f"component {custom_id!r} is disabled")
                return msg, component
        ids = [c.get("custom_id") for c in components if c.get("custom_id")]
        raise ValueError(f"message {message_id} has no component {custom_id!r}; has {ids}")

    def check_guild(self, channel: Channel, guild_id: int | None) -> None:
        if guild_id is not None and channel.guild_id != guild_id:
            raise ValueError(f"channel {channel.id} is not in guild {guild_id}")

    def find_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        scopes = ([guild_id] if guild_id else []) + [None]
        for scope in scopes:
            for command in self.server.commands.get(scope, []):
                if command["name"] == name and command["type"] == 1:
                    return command
        known = sorted(c["name"] for s in scopes for c in self.server.commands.get(s, []))
        raise ValueError(f"command {name!r} is not registered (registered: {known})")

    def command_data(self, name: str, options: dict[str, Any], channel: Channel, user_id: int,
                      *, focused: str | None) -> dict[str, Any]:
        root, *path = name.split()
        command = self.find_command(root, channel.guild_id)
        data: dict[str, Any] = {"id": command["id"], "name": root, "type": 1}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        schema: list[dict[str, Any]] = command.get("options") or []
        container = data
        for sub in path:
            spec = next((o for o in schema if o["name"] == sub and o["type"] in (1, 2)), None)
            if spec is None:
                raise ValueError(f"{name!r}: no subcommand/group {sub!r}")
            node: dict[str, Any] = {"name": sub, "type": spec["type"]}
            container["options"] = [node]
            container, schema = node, spec.get("options") or []
        if any(o["type"] in (1, 2) for o in schema):
            raise ValueError(f"{name!r} needs a subcommand: {[o['name'] for o in schema]}")
        resolved: dict[str, Any] = {}
        values = []
        for key, value in options.items():
            spec = next((o for o in schema if o["name"] == key), None)
            if spec is None:
                raise ValueError(f"{name!r} has no option {key!r}: {[o['name'] for o in schema]}")
            values.append(self.option(spec, value, channel, user_id, resolved,
                                       focused=key == focused))
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in options]
        if missing and focused is None:
            raise ValueError(f"{name!r}: missing required options {missing}")
        container["options"] = values
        if resolved:
            data["resolved"] = resolved
        return data

    def option(self, spec: dict[str, Any], value: Any, channel: Channel, user_id: int,
                resolved: dict[str, Any], *, focused: bool) -> dict[str, Any]:
        otype, name = int(spec["type"]), spec["name"]
        if focused:
            return {"name": name, "type": otype, "value": str(value), "focused": True}
        if otype == 3:
            value = str(value)
            if not spec.get("min_length", 0) <= len(value) <= spec.get("max_length", 6000):
                raise ValueError(f"option {name!r}: length out of range")
        elif otype == 4 or otype == 10:
            value = int(value) if otype == 4 else float(value)
            if value < spec.get("min_value", -math.inf) or value > spec.get("max_value", math.inf):
                raise ValueError(f"option {name!r}: {value} out of range")
        elif otype == 5:
            value = bool(value)
        elif otype in (6, 7, 8, 9):
            kinds = {6: (6,), 7: (7,), 8: (8,), 9: (6, 8)}[otype]
            value = self.resolve(int(getattr(value, "id", value)), kinds, channel, user_id,
                                  resolved)
        elif otype == 11:
            filename, blob = value
            upload = UploadedFile("files[0]", filename, None, blob)
            attachment = self.server.rest._attachment(upload, channel, {})
            resolved.setdefault("attachments", {})[attachment["id"]] = attachment
            value = attachment["id"]
        choices = [c["value"] for c in spec.get("choices") or []]
        if choices and value not in choices:
            raise ValueError(f"option {name!r}: {value!r} is not one of {choices}")
        return {"name": name, "type": otype, "value": value}

    def resolve(self, target: int, kinds: tuple[int, ...], channel: Channel, user_id: int,
                 resolved: dict[str, Any]) -> str:
        world, gid = self.server.world, channel.guild_id
        guild = world.guilds.get(gid or 0)
        if 6 in kinds and target in world.users:
            resolved.setdefault("users", {})[str(target)] = world.user_payload(target)
            if guild is not None and target in guild.members:
                resolved.setdefault("members", {})[str(target)] = world.member_payload(
                    guild.id, target, with_user=False, with_permissions=True)
        elif 8 in kinds and guild is not None and target in guild.roles:
            resolved.setdefault("roles", {})[str(target)] = guild.roles[target].payload()
        elif 7 in kinds and target in world.channels:
            data = world.channel_payload(world.channels[target])
            data["permissions"] = str(world.permissions_for(target, user_id))
            resolved.setdefault("channels", {})[str(target)] = data
        else:
            raise ValueError(f"cannot resolve {target} as option type(s) {kinds}")
        return str(target)

    async def interact(self, itype: int, data: dict[str, Any], user_id: int, channel: Channel,
                        *, message: dict[str, Any] | None = None) -> InteractionHandle:
        world = self.server.world
        iid, token = self.server.ids.next(), "itok_" + secrets.token_urlsafe(32)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.server.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": world.channel_payload(channel),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": self.server.attachment_size_limit,
            "app_permissions": str(world.permissions_for(channel.id, world.bot.id)),
        }
        if channel.guild_id is not None:
            guild = world.guilds[channel.guild_id]
            if user_id not in guild.members:
                raise ValueError(f"user {user_id} is not a member of guild {guild.id}")
            member = world.member_payload(guild.id, user_id)
            member["permissions"] = str(world.permissions_for(channel.id, user_id))
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                member=member,
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(user=world.user_payload(user_id), context=1,
                           authorizing_integration_owners={"1": str(user_id)})
        if message is not None:
            payload["message"] = message
        handle = InteractionHandle(id=iid, token=token, type=itype, payload=payload,
                                   channel_id=channel.id, dispatched_at=self.server.loop_time(),
                                   deadline=self.server.interaction_deadline)
        self.server.interactions.append(handle)
        self.server.interactions_by_id[iid] = handle
        self.server.interactions_by_token[token] = handle
        await self.server.gateway.dispatch(GatewayEvent("INTERACTION_CREATE", payload,
                                                 guild_id=channel.guild_id))
        return handle


class _prefixed:
    """Re-root the ``errors`` of a 50035 raised inside the block under ``key``."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, ApiError) and exc.errors:
            exc.errors = {self.key: exc.errors}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
