"""World model of the fake Discord: snowflakes, users, guilds, roles, members, channels.

Everything here is plain data plus the payload builders that produce the JSON shapes
discord.py 2.7 parses (GUILD_CREATE, members, channels, threads, users).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADD_REACTIONS = 1 << 6
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = DEFAULT_EVERYONE_PERMISSIONS | MANAGE_THREADS | CREATE_PRIVATE_THREADS

# Channel types.
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)


def iso(ts: float | None = None) -> str:
    moment = dt.datetime.fromtimestamp(time.time() if ts is None else ts, dt.UTC)
    return moment.isoformat()


def snowflake_time(snowflake: int) -> float:
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


def shard_for(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


class SnowflakeGenerator:
    """Strictly increasing, time-based snowflakes like Discord's."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, *, shard: tuple[int, int] | None = None) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        candidate = max(candidate, self._last + 1)
        if shard is not None:
            shard_id, count = shard
            while shard_for(candidate, count) != shard_id:
                candidate = ((candidate >> 22) + 1) << 22
        self._last = candidate
        return candidate


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0
    mentionable: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass
class Member:
    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso)


@dataclass
class Channel:
    id: int
    name: str
    type: int = GUILD_TEXT
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    owner_id: int | None = None
    recipients: list[int] = field(default_factory=list)
    # [{"id": target, "type": 0 role / 1 member, "allow": int, "deny": int}]
    permission_overwrites: list[dict[str, int]] = field(default_factory=list)
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    message_count: int = 0
    rate_limit_per_user: int = 0
    last_message_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)


class World:
    """Users, guilds, channels and the permission maths Discord applies to them."""

    def __init__(self, ids: SnowflakeGenerator, bot_user: User) -> None:
        self.ids = ids
        self.bot = bot_user
        self.users: dict[int, User] = {bot_user.id: bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.dm_closed: set[int] = set()  # users whose DMs reject the bot (403 50007)

    # building -------------------------------------------------------------------------------

    def add_user(self, username: str, *, bot: bool = False, user_id: int | None = None) -> User:
        user = User(id=user_id or self.ids.next(), username=username, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner_id: int,
        guild_id: int | None = None,
        on_shard: tuple[int, int] | None = None,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
    ) -> Guild:
        gid = guild_id or self.ids.next(shard=on_shard)
        guild = Guild(id=gid, name=name, owner_id=owner_id)
        guild.roles[gid] = Role(id=gid, name="@everyone", permissions=everyone_permissions)
        self.guilds[gid] = guild
        bot_role = self.add_role(gid, self.bot.username, permissions=bot_permissions)
        self.add_member(gid, self.bot.id, roles=[bot_role.id])
        self.add_member(gid, owner_id)
        return guild

    def add_role(
        self, guild_id: int, name: str, *, permissions: int = 0, mentionable: bool = False
    ) -> Role:
        guild = self.guilds[guild_id]
        role = Role(
            id=self.ids.next(),
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        return role

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: list[int] | None = None,
        nick: str | None = None,
    ) -> Member:
        member = Member(user_id=user_id, roles=list(roles or []), nick=nick)
        self.guilds[guild_id].members[user_id] = member
        return member

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = GUILD_TEXT,
        parent_id: int | None = None,
        owner_id: int | None = None,
        channel_id: int | None = None,
    ) -> Channel:
        guild = self.guilds[guild_id]
        channel = Channel(
            id=channel_id or self.ids.next(),
            name=name,
            type=type,
            guild_id=guild_id,
            parent_id=parent_id,
            owner_id=owner_id,
            position=len(guild.channel_ids),
        )
        self.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        return channel

    def dm_channel(self, user_id: int) -> Channel:
        for channel in self.channels.values():
            if channel.type == DM and channel.recipients == [user_id]:
                return channel
        channel = Channel(id=self.ids.next(), name="", type=DM, recipients=[user_id])
        self.channels[channel.id] = channel
        return channel

    def set_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        channel = self.channels[channel_id]
        guild = self.guilds[channel.guild_id or 0]
        kind = 0 if target_id in guild.roles else 1
        channel.permission_overwrites = [
            o for o in channel.permission_overwrites if o["id"] != target_id
        ] + [{"id": target_id, "type": kind, "allow": allow, "deny": deny}]

    # permissions ----------------------------------------------------------------------------

    def base_permissions(self, guild_id: int, user_id: int) -> int:
        guild = self.guilds[guild_id]
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        perms = guild.roles[guild_id].permissions
        for role_id in member.roles if member else []:
            if role_id in guild.roles:
                perms |= guild.roles[role_id].permissions
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def permissions_for(self, channel_id: int, user_id: int) -> int:
        channel = self.channels[channel_id]
        if channel.guild_id is None:
            return ALL_PERMISSIONS & ~(MANAGE_MESSAGES | MANAGE_THREADS)
        if channel.is_thread and channel.parent_id in self.channels:
            channel = self.channels[channel.parent_id]
        guild = self.guilds[channel.guild_id or 0]
        perms = self.base_permissions(guild.id, user_id)
        if perms == ALL_PERMISSIONS:
            return perms
        member = guild.members.get(user_id)
        member_roles = set(member.roles if member else [])
        overwrites = {o["id"]: o for o in channel.permission_overwrites}
        if guild.id in overwrites:
            perms = (perms & ~overwrites[guild.id]["deny"]) | overwrites[guild.id]["allow"]
        allow = deny = 0
        for target, o in overwrites.items():
            if o["type"] == 0 and target in member_roles:
                allow |= o["allow"]
                deny |= o["deny"]
        perms = (perms & ~deny) | allow
        if user_id in overwrites:
            perms = (perms & ~overwrites[user_id]["deny"]) | overwrites[user_id]["allow"]
        return perms if perms & VIEW_CHANNEL else 0

    # payloads -------------------------------------------------------------------------------

    def user_payload(self, user_id: int) -> dict[str, Any]:
        return self.users[user_id].payload()

    def member_payload(
        self, guild_id: int, user_id: int, *, with_user: bool = True, with_permissions: bool = False
    ) -> dict[str, Any]:
        member = self.guilds[guild_id].members[user_id]
        data: dict[str, Any] = {
            "roles": [str(r) for r in member.roles],
            "nick": member.nick,
            "avatar": None,
            "joined_at": member.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user_payload(user_id)
        if with_permissions:
            data["permissions"] = str(self.base_permissions(guild_id, user_id))
        return data

    def channel_payload(self, channel: Channel) -> dict[str, Any]:
        if channel.type == DM:
            return {
                "id": str(channel.id),
                "type": DM,
                "last_message_id": _opt_str(channel.last_message_id),
                "recipients": [self.user_payload(u) for u in channel.recipients],
                "flags": 0,
            }
        data: dict[str, Any] = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "parent_id": _opt_str(channel.parent_id),
            "last_message_id": _opt_str(channel.last_message_id),
            "rate_limit_per_user": channel.rate_limit_per_user,
            "flags": 0,
        }
        if channel.is_thread:
            data.update(
                owner_id=str(channel.owner_id),
                message_count=channel.message_count,
                total_message_sent=channel.message_count,
                member_count=1,
                thread_metadata={
                    "archived": channel.archived,
                    "locked": channel.locked,
                    "auto_archive_duration": channel.auto_archive_duration,
                    "archive_timestamp": iso(snowflake_time(channel.id)),
                    "create_timestamp": iso(snowflake_time(channel.id)),
                    "invitable": True,
                },
            )
        else:
            data.update(
                position=channel.position,
                topic=channel.topic,
                nsfw=False,
                permission_overwrites=[
                    {**o, "id": str(o["id"]), "allow": str(o["allow"]), "deny": str(o["deny"])}
                    for o in channel.permission_overwrites
                ],
            )
        return data

    def guild_create_payload(self, guild_id: int, *, all_members: bool) -> dict[str, Any]:
        guild = self.guilds[guild_id]
        member_ids = list(guild.members) if all_members else [self.bot.id]
        channels = [self.channels[c] for c in guild.channel_ids]
        threads = [c for c in channels if c.is_thread and not c.archived]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(guild.owner_id),
            "unavailable": False,
            "large": False,
            "member_count": len(guild.members),
            "joined_at": guild.members[self.bot.id].joined_at,
            "roles": [r.payload() for r in guild.roles.values()],
            "members": [self.member_payload(guild.id, m) for m in member_ids],
            "channels": [self.channel_payload(c) for c in channels if not c.is_thread],
            "threads": [self.channel_payload(c) for c in threads],
            "emojis": [],
            "stickers": [],
            "features": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "afk_timeout": 300,
        }


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)
