"""Fake Discord gateway (v10, JSON encoding, uncompressed TEXT frames).

Sessions outlive connections: every dispatch gets a sequence number in its session and is
buffered there, so a RESUME on a new connection replays everything after the client's ``seq``
(then RESUMED).  A new IDENTIFY starts a fresh session; undelivered events of the old one are
lost, as on Discord, unless ``deliver_missed_on_identify`` is set.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .discord_world import shard_for

if TYPE_CHECKING:
    from .discord_server import DiscordTestServer

# Gateway opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE = 0, 1, 2, 3
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

# Intents.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

ShardKey = tuple[int, int] | None
_SESSION_EVENTS = ("READY", "GUILD_CREATE", "RESUMED", "GUILD_MEMBERS_CHUNK")


@dataclass
class GatewayEvent:
    name: str
    data: dict[str, Any]
    guild_id: int | None = None
    intent: int | None = None
    content_exempt: bool = True  # False: strip content unless the session has MESSAGE_CONTENT


@dataclass
class GatewayConnection:
    id: int
    ws: web.WebSocketResponse
    request: web.Request
    path: str
    query: dict[str, str]
    opened_at: float = field(default_factory=time.monotonic)
    session: GatewaySession | None = None
    closed: bool = False
    close_code: int | None = None
    heartbeats: list[int | None] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, frame: dict[str, Any]) -> bool:
        if self.closed or self.ws.closed:
            return False
        try:
            await self.ws.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def send_op(self, op: int, data: Any) -> bool:
        async with self.lock:
            return await self.send({"op": op, "d": data, "s": None, "t": None})

    async def close(self, code: int, reason: bytes) -> None:
        """Server-initiated close with ``code`` (recorded: aiohttp reports 1000 afterwards)."""
        self.close_code = code
        await self.ws.close(code=code, message=reason)

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (the client sees 1006)."""
        self.close_code = 1006
        transport = self.request.transport
        if transport is not None:
            transport.abort()


@dataclass
class GatewaySession:
    session_id: str
    shard: ShardKey
    intents: int
    frames: list[dict[str, Any]] = field(default_factory=list)  # frames[i] has s == i + 1
    events: list[GatewayEvent] = field(default_factory=list)
    next_unsent: int = 0
    conn: GatewayConnection | None = None
    valid: bool = True

    @property
    def seq(self) -> int:
        return len(self.frames)

    def covers(self, guild_id: int | None) -> bool:
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return shard_id == 0 if guild_id is None else shard_for(guild_id, count) == shard_id

    def wants(self, event: GatewayEvent) -> bool:
        return event.intent is None or bool(self.intents & event.intent)

    def append(self, event: GatewayEvent) -> None:
        data = event.data
        if not event.content_exempt and not self.intents & MESSAGE_CONTENT:
            data = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
            data.pop("poll", None)
        self.events.append(event)
        self.frames.append({"op": DISPATCH, "d": data, "s": self.seq + 1, "t": event.name})

    async def flush(self) -> None:
        conn = self.conn
        if conn is None:
            return
        async with conn.lock:
            while self.next_unsent < len(self.frames) and self.conn is conn:
                if not await conn.send(self.frames[self.next_unsent]):
                    return
                self.next_unsent += 1


class Gateway:
    """Gateway state + the aiohttp websocket handler. Owned by DiscordTestServer."""

    def __init__(self, server: DiscordTestServer, *, heartbeat_interval: int) -> None:
        self.server = server
        self.heartbeat_interval = heartbeat_interval
        self.ack_heartbeats = True
        self.deliver_missed_on_identify = False
        self.allowed_privileged_intents = PRIVILEGED_INTENTS
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.active: dict[ShardKey, GatewaySession] = {}
        self.identify_count = 0
        self.resume_count = 0
        self.heartbeats: list[tuple[int, int | None]] = []  # (connection id, seq sent)
        self.dispatched: list[GatewayEvent] = []
        self.undelivered: list[GatewayEvent] = []  # dispatched while no session covered them
        self.presence_updates: list[Any] = []

    # dispatching ----------------------------------------------------------------------------

    async def dispatch(self, event: GatewayEvent) -> int:
        """Queue an event in every session that should see it; returns how many did."""
        self.dispatched.append(event)
        targets = [s for s in self.active.values() if s.covers(event.guild_id)]
        if not targets:
            self.undelivered.append(event)
            return 0
        wanted = [s for s in targets if s.wants(event)]
        for session in wanted:
            session.append(event)
        for session in wanted:
            await session.flush()
        self.server.notify()
        return len(wanted)

    def open_connections(self, shard_id: int | None = None) -> list[GatewayConnection]:
        return [
            c for c in self.connections
            if not c.closed and (shard_id is None or _shard_id(c.session) == shard_id)
        ]

    # fault injection ------------------------------------------------------------------------

    async def send_reconnect(self, shard_id: int | None = None) -> None:
        for conn in self.open_connections(shard_id):
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None  # Discord stops dispatching on this socket
            await conn.send_op(RECONNECT, None)

    async def invalidate_session(self, *, resumable: bool, shard_id: int | None = None) -> None:
        for conn in self.open_connections(shard_id):
            session = conn.session
            if session is not None:
                if session.conn is conn:
                    session.conn = None
                if not resumable:
                    self._kill(session)
            await conn.send_op(INVALID_SESSION, resumable)

    async def drop_connections(
        self, *, shard_id: int | None = None, code: int | None = None
    ) -> None:
        for conn in self.open_connections(shard_id):
            if conn.session is not None:
                if conn.session.conn is conn:
                    conn.session.conn = None
                if code in (4007, 4009):
                    self._kill(conn.session)
            conn.closed = True
            if code is None:
                conn.abort()
            else:
                await conn.close(code, b"closed by the test server")
        await asyncio.sleep(0)

    async def request_heartbeat(self) -> None:
        for conn in self.open_connections():
            await conn.send_op(HEARTBEAT, None)

    def _kill(self, session: GatewaySession) -> None:
        """End a session; what it never sent goes to ``undelivered`` (lost unless opted in)."""
        if not session.valid:
            return
        session.valid = False
        if self.active.get(session.shard) is session:
            del self.active[session.shard]
        self.undelivered.extend(
            e for e in session.events[session.next_unsent:] if e.name not in _SESSION_EVENTS
        )

    async def close_all(self) -> None:
        for conn in self.open_connections():
            conn.closed = True
            conn.abort()

    # websocket handler ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(
            id=len(self.connections) + 1,
            ws=ws,
            request=request,
            path=request.path,
            query=dict(request.query),
        )
        self.connections.append(conn)
        self.server.notify()
        client_code: int | None = None  # from the client's close frame, if it sent one
        try:
            if request.query.get("encoding", "json") != "json":
                await conn.close(4002, b"only json encoding is supported")
                return ws
            if request.query.get("v", "10") != "10":
                await conn.close(4012, b"Invalid API version")
                return ws
            await conn.send_op(HELLO, {"heartbeat_interval": self.heartbeat_interval,
                                       "_trace": ["fake-gateway"]})
            while True:
                msg = await ws.receive()
                if msg.type is WSMsgType.CLOSE:
                    client_code = int(msg.data)
                    break
                if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                if msg.type is not WSMsgType.TEXT:
                    await conn.close(4002, b"Error while decoding payload.")
                    break
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    await conn.close(4002, b"Error while decoding payload.")
                    break
                conn.received.append(frame)
                if not await self._on_frame(conn, frame):
                    break
        finally:
            conn.closed = True
            if conn.close_code is None:
                conn.close_code = 1006 if client_code is None else client_code
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if client_code in (1000, 1001):  # the client closing cleanly ends the session
                    self._kill(session)
            self.server.notify()
        return ws

    async def _on_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> bool:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            conn.heartbeats.append(data)
            self.heartbeats.append((conn.id, data))
            self.server.notify()
            if self.ack_heartbeats:
                await conn.send_op(HEARTBEAT_ACK, None)
            return True
        if op == IDENTIFY:
            return await self._identify(conn, data or {})
        if op == RESUME:
            return await self._resume(conn, data or {})
        if conn.session is None:
            await conn.close(4003, b"Not authenticated.")
            return False
        if op == PRESENCE_UPDATE:
            self.presence_updates.append(data)
            return True
        if op == REQUEST_GUILD_MEMBERS:
            await self._members_chunk(conn.session, data or {})
            return True
        if op == 4:  # voice state update: accepted and ignored
            return True
        await conn.close(4001, b"Unknown opcode.")
        return False

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> bool:
        server = self.server
        if conn.session is not None:
            await conn.close(4005, b"Already authenticated.")
            return False
        if data.get("token") != server.token:
            await conn.close(4004, b"Authentication failed.")
            return False
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await conn.close(4013, b"Invalid intent(s).")
            return False
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await conn.close(4014, b"Disallowed intent(s).")
            return False
        shard: ShardKey = None
        if data.get("shard") is not None:
            shard_id, count = (int(x) for x in data["shard"])
            if count < 1 or not 0 <= shard_id < count:
                await conn.close(4010, b"Invalid shard.")
                return False
            shard = (shard_id, count)
        self.identify_count += 1
        server.session_start_remaining -= 1
        session = GatewaySession(session_id=secrets.token_hex(16), shard=shard, intents=intents)
        old = self.active.get(shard)
        if old is not None:
            self._kill(old)
        guild_ids = [g for g in server.world.guilds if session.covers(g)]
        ready: dict[str, Any] = {
            "v": 10,
            "user": server.bot_user_payload(),
            "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
            "session_id": session.session_id,
            "resume_gateway_url": server.resume_gateway_url,
            "session_type": "normal",
            "application": {"id": str(server.application_id), "flags": server.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": ["local"],
            "_trace": ["fake-gateway"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        session.append(GatewayEvent("READY", ready))
        all_members = bool(intents & GUILD_PRESENCES)
        for gid in guild_ids:
            payload = server.world.guild_create_payload(gid, all_members=all_members)
            session.append(GatewayEvent("GUILD_CREATE", payload, guild_id=gid))
        if self.deliver_missed_on_identify:
            for event in [e for e in self.undelivered if session.covers(e.guild_id)]:
                self.undelivered.remove(event)
                if session.wants(event):
                    session.append(event)
        self.sessions[session.session_id] = session
        self.active[shard] = session
        conn.session = session
        session.conn = conn
        await session.flush()
        self.server.notify()
        return True

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> bool:
        if data.get("token") != self.server.token:
            await conn.close(4004, b"Authentication failed.")
            return False
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        if session is None or not session.valid or seq > session.seq:
            await conn.send_op(INVALID_SESSION, False)
            return True
        if session.conn is not None and session.conn is not conn:
            session.conn.closed = True
            session.conn.abort()
        self.resume_count += 1
        conn.session = session
        session.next_unsent = seq
        session.conn = conn
        await session.flush()
        session.append(GatewayEvent("RESUMED", {"_trace": ["fake-gateway"]}))
        await session.flush()
        self.server.notify()
        return True

    async def _members_chunk(self, session: GatewaySession, data: dict[str, Any]) -> None:
        world = self.server.world
        gid = int(data.get("guild_id") or 0)
        if gid not in world.guilds:
            return
        guild = world.guilds[gid]
        wanted = [int(u) for u in data.get("user_ids") or []]
        query = (data.get("query") or "").lower()
        members = [
            uid for uid in guild.members
            if (uid in wanted if wanted else world.users[uid].username.lower().startswith(query))
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(gid),
            "members": [world.member_payload(gid, uid) for uid in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted if u not in guild.members],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.append(GatewayEvent("GUILD_MEMBERS_CHUNK", chunk, guild_id=gid))
        await session.flush()


def _shard_id(session: GatewaySession | None) -> int | None:
    if session is None:
        return None
    return 0 if session.shard is None else session.shard[0]
