"""The fake Discord server, proven against the real discord.py client (no network, no Discord)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from support.discord_server import DiscordTestServer
from support.discord_world import SEND_MESSAGES, shard_for

NO_MENTIONS = discord.AllowedMentions.none()


def bot_options(*, content: bool = True) -> dict[str, Any]:
    """Intents guilds + guild_messages (+ message_content); a short guild_ready_timeout."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = content
    return {
        "command_prefix": "!",
        "intents": intents,
        "guild_ready_timeout": 0.05,  # on_ready otherwise waits 2 s after the last GUILD_CREATE
        "allowed_mentions": NO_MENTIONS,
    }


def make_bot(*, content: bool = True) -> commands.Bot:
    return commands.Bot(**bot_options(content=content))


async def eventually(condition: Any, timeout: float = 2.0) -> None:
    """Poll a client-side condition (the server's wait_for only wakes on server changes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.005)


@pytest.mark.asyncio
async def test_login_ready_guild_create_and_rest_basics() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        ready: list[str] = []

        @bot.event
        async def on_ready() -> None:
            ready.append("ready")

        async with server.run_client(bot):
            assert ready == ["ready"]
            assert bot.user is not None and bot.user.id == server.bot_id
            guild = bot.get_guild(server.guild_id)
            assert guild is not None and guild.name == "Test Guild"
            channel = guild.get_channel(server.channel_id)
            assert isinstance(channel, discord.TextChannel) and channel.name == "general"
            assert guild.me is not None and guild.me.guild_permissions.send_messages
            assert server.identify_count == 1
            await server.wait_for(lambda: server.heartbeats, 1.0, "a heartbeat")
            conn = server.gateway_connections[0]
            assert conn.query["encoding"] == "json" and conn.query["v"] == "10"
            assert {r.route for r in server.requests} >= {
                "GET /users/@me",
                "GET /oauth2/applications/@me",
            }

            async with aiohttp.ClientSession() as http:
                headers = {"Authorization": f"Bot {server.token}"}
                async with http.get(f"{server.api_base}/users/@me", headers=headers) as resp:
                    assert resp.status == 200
                    assert resp.headers["Content-Type"] == "application/json"
                    assert resp.headers["X-RateLimit-Bucket"]
                async with http.get(f"{server.api_base}/users/@me") as resp:
                    assert resp.status == 401
                async with http.get(f"{server.api_base}/nope", headers=headers) as resp:
                    assert resp.status == 404 and (await resp.json())["code"] == 0
            assert [r.path for r in server.unknown_requests] == ["/nope"]
            assert server.status_counts[401] == 1


@pytest.mark.asyncio
async def test_message_create_reaches_on_message_and_reply_is_recorded() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()

        @bot.event
        async def on_message(message: discord.Message) -> None:
            if message.author.bot:
                return
            assert bot.user is not None and bot.user in message.mentions
            await message.reply(f"echo {message.content.split(maxsplit=1)[1]}")

        async with server.run_client(bot):
            sent = await server.user_message(
                server.channel_id, server.user_id, "hello", mentions_bot=True
            )
            assert sent["mentions"][0]["id"] == str(server.bot_id)
            reply = await server.wait_for_message(channel_id=server.channel_id)
            assert reply["content"] == "echo hello"
            assert reply["allowed_mentions"] == {"parse": []}
            assert reply["message_reference"]["message_id"] == sent["id"]
            assert reply["mentions"] == []  # replied_user not allowed: no ping
            assert reply["type"] == 19
            assert all(p.get("allowed_mentions") == {"parse": []}
                       for p in server.outgoing_payloads())


@pytest.mark.asyncio
async def test_discord_limits_are_enforced() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        async with server.run_client(bot):
            channel = bot.get_channel(server.channel_id)
            assert isinstance(channel, discord.TextChannel)
            with pytest.raises(discord.HTTPException) as info:
                await channel.send("x" * 2001)
            assert info.value.status == 400 and info.value.code == 50035
            assert "content" in info.value.text

            embed = discord.Embed(title="t" * 257, description="d" * 4000)
            for i in range(26):
                embed.add_field(name=f"f{i}", value="v" * 100)
            with pytest.raises(discord.HTTPException) as info:
                await channel.send(embed=embed)
            errors = server.requests[-1].response["errors"]["embeds"]
            assert set(errors["0"]) == {"title", "fields"}
            assert errors["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"

            route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
            button = {"type": 2, "style": 1, "label": "b", "custom_id": "c" * 101}
            rows: list[dict[str, Any]] = [
                {"type": 1, "components": [dict(button, custom_id=f"{r}-{i}") for i in range(6)]}
                for r in range(6)
            ]
            rows[0]["components"][0] = button
            with pytest.raises(discord.HTTPException) as info:
                await bot.http.request(route, json={"content": "x", "components": rows})
            errors = server.requests[-1].response["errors"]
            assert errors["components"]["_errors"][0]["message"].startswith("Must be between")
            assert "custom_id" in errors["components"]["0"]["components"]["0"]
            assert "_errors" in errors["components"]["1"]["components"]

            with pytest.raises(discord.HTTPException) as info:
                await bot.http.request(route, json={"content": "  "})
            assert info.value.code == 50006  # Discord's "Cannot send an empty message"
            assert server.bot_messages == []


@pytest.mark.asyncio
async def test_slash_command_deferred_and_answered_by_followup() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        guild = discord.Object(server.guild_id)

        @bot.tree.command(name="talent", description="Find people", guild=guild)
        async def talent(interaction: discord.Interaction, skill: str, years: int = 1) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await asyncio.sleep(0.01)
            await interaction.followup.send(f"{skill}:{years}", ephemeral=True)

        async def setup_hook() -> None:
            await bot.tree.sync(guild=guild)

        bot.setup_hook = setup_hook  # type: ignore[method-assign]
        async with server.run_client(bot):
            [registered] = server.commands[server.guild_id]
            assert registered["name"] == "talent"
            assert [o["type"] for o in registered["options"]] == [3, 4]
            handle = await server.slash_command("talent", {"skill": "rust", "years": 3})
            responses = await server.wait_for_interaction_response(handle)
            assert handle.acknowledged_in_time and handle.ack_latency is not None
            assert handle.ack_latency < 1.0
            assert handle.callback_type == 5 and handle.ephemeral
            assert [r.kind for r in responses] == ["callback", "followup"]
            message = responses[1].message
            assert message is not None and message["content"] == "rust:3"
            # Discord turns the first follow-up after a defer into the original response.
            assert message["id"] == str(handle.original_message_id)
            assert responses[1].ephemeral
            assert server.unknown_requests == []


@pytest.mark.asyncio
async def test_resolved_member_and_channel_options() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        guild = discord.Object(server.guild_id)

        @bot.tree.command(name="endorse", description="Endorse someone", guild=guild)
        async def endorse(
            interaction: discord.Interaction,
            member: discord.Member,
            channel: discord.TextChannel,
            note: str,
        ) -> None:
            await interaction.response.send_message(f"{member.name}|{channel.name}|{note}")

        async def setup_hook() -> None:
            await bot.tree.sync(guild=guild)

        bot.setup_hook = setup_hook  # type: ignore[method-assign]
        async with server.run_client(bot):
            handle = await server.slash_command(
                "endorse", {"member": server.user_id, "channel": server.channel_id, "note": "hi"}
            )
            [response] = await server.wait_for_interaction_response(handle)
            assert response.message is not None
            assert response.message["content"] == "alice|general|hi"
            assert response.message["interaction_metadata"]["user"]["id"] == str(server.user_id)
            with pytest.raises(ValueError, match="missing required"):
                await server.slash_command("endorse", {"note": "x"})


@pytest.mark.asyncio
async def test_late_acknowledgement_is_refused_and_recorded() -> None:
    async with DiscordTestServer(interaction_deadline=0.1) as server:
        bot = make_bot()
        guild = discord.Object(server.guild_id)
        codes: list[int] = []

        @bot.tree.command(name="slow", description="Too slow", guild=guild)
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.15)
            for attempt in (interaction.response.send_message, interaction.followup.send):
                try:
                    await attempt("late")
                except discord.NotFound as exc:
                    codes.append(exc.code)

        async def setup_hook() -> None:
            await bot.tree.sync(guild=guild)

        bot.setup_hook = setup_hook  # type: ignore[method-assign]
        async with server.run_client(bot):
            handle = await server.slash_command("slow")
            with pytest.raises(AssertionError, match="deadline"):
                await server.wait_for_interaction_response(handle, timeout=1.0)
            await eventually(lambda: len(codes) == 2)
            assert codes == [10062, 10015]  # Unknown interaction, then Unknown Webhook
            assert not handle.acknowledged and handle.late_callback_at is not None


@pytest.mark.asyncio
async def test_autocomplete_returns_choices() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        guild = discord.Object(server.guild_id)

        @bot.tree.command(name="skill", description="Look up a skill", guild=guild)
        async def skill(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(name)

        @skill.autocomplete("name")
        async def skill_names(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            names = ["python", "pytorch", "go"]
            return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

        async def setup_hook() -> None:
            await bot.tree.sync(guild=guild)

        bot.setup_hook = setup_hook  # type: ignore[method-assign]
        async with server.run_client(bot):
            handle = await server.autocomplete("skill", "name", "py")
            choices = await server.wait_for_autocomplete(handle)
            assert [c["value"] for c in choices] == ["python", "pytorch"]
            assert handle.acknowledged_in_time


class ApplyView(discord.ui.View):
    def __init__(self, clicks: list[int]) -> None:
        super().__init__(timeout=None)
        self.clicks = clicks

    @discord.ui.button(label="Apply", custom_id="talent:apply")
    async def apply(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.clicks.append(interaction.user.id)
        await interaction.response.send_message("applied", ephemeral=True)


@pytest.mark.asyncio
async def test_buttons_on_persistent_and_fresh_views() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        clicks: list[int] = []

        async def setup_hook() -> None:
            bot.add_view(ApplyView(clicks))

        bot.setup_hook = setup_hook  # type: ignore[method-assign]
        # A message the bot posted in a previous run: only the persistent view can answer it.
        components = ApplyView([]).to_components()
        old = server.seed_bot_message(content="Apply here", components=components)
        async with server.run_client(bot):
            handle = await server.click_button(old["id"], "talent:apply", server.user_id)
            responses = await server.wait_for_interaction_response(handle)
            assert clicks == [server.user_id]
            assert responses[0].ephemeral and responses[0].message is not None
            assert responses[0].message["content"] == "applied"

            fresh: list[int] = []
            channel = bot.get_channel(server.channel_id)
            assert isinstance(channel, discord.TextChannel)
            view = discord.ui.View(timeout=30)
            button: discord.ui.Button[discord.ui.View] = discord.ui.Button(label="Go")

            async def go(interaction: discord.Interaction) -> None:
                fresh.append(interaction.user.id)
                await interaction.response.edit_message(content="done", view=None)

            button.callback = go  # type: ignore[method-assign]
            view.add_item(button)
            sent = await channel.send("Pick", view=view)
            stored = server.messages[sent.id]
            custom_id = stored["components"][0]["components"][0]["custom_id"]
            handle = await server.click_button(sent.id, custom_id)
            await server.wait_for_interaction_response(handle)
            assert fresh == [server.user_id]
            assert handle.callback_type == 7
            assert stored["content"] == "done" and stored["components"] == []


@pytest.mark.asyncio
async def test_thread_from_message_dispatches_thread_create() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        created: list[discord.Thread] = []

        @bot.event
        async def on_thread_create(thread: discord.Thread) -> None:
            created.append(thread)

        async with server.run_client(bot):
            channel = bot.get_channel(server.channel_id)
            assert isinstance(channel, discord.TextChannel)
            post = await channel.send("New role: ML engineer")
            thread = await post.create_thread(name="Discussion")
            assert thread.id == post.id  # Discord reuses the message id
            await eventually(lambda: created)
            assert created[0].id == post.id and created[0].parent_id == channel.id
            assert [e.name for e in server.dispatched_events].count("THREAD_CREATE") == 1
            await thread.send("first!")
            msg = await server.wait_for_message(lambda m: m["content"] == "first!")
            assert msg["channel_id"] == str(post.id)


@pytest.mark.asyncio
async def test_reconnect_resumes_without_losing_events() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        seen: list[str] = []
        resumed: list[bool] = []

        @bot.event
        async def on_message(message: discord.Message) -> None:
            seen.append(message.content)

        @bot.event
        async def on_resumed() -> None:
            resumed.append(True)

        async with server.run_client(bot):
            await server.user_message(content="before")
            await server.send_reconnect()
            await server.user_message(content="during")  # buffered, replayed on RESUME
            await server.wait_for(lambda: server.resume_count == 1, 2.0, "RESUME")
            await server.user_message(content="after")
            await eventually(lambda: len(seen) == 3)
            assert seen == ["before", "during", "after"]
            assert resumed == [True]
            assert server.identify_count == 1
            assert server.gateway_connections[-1].path == "/resume-gateway"

            await server.drop_connections()  # abrupt TCP loss: also resumed
            await server.user_message(content="lost?")
            await server.wait_for(lambda: server.resume_count == 2, 2.0, "second RESUME")
            await eventually(lambda: len(seen) == 4)
            assert seen[-1] == "lost?"


@pytest.mark.asyncio
@pytest.mark.parametrize("deliver_missed", [False, True])
async def test_invalid_session_reidentifies_and_loses_missed_events(deliver_missed: bool) -> None:
    async with DiscordTestServer(deliver_missed_on_identify=deliver_missed) as server:
        bot = make_bot()
        seen: list[str] = []

        @bot.event
        async def on_message(message: discord.Message) -> None:
            seen.append(message.content)

        async with server.run_client(bot):
            await server.invalidate_session(resumable=False)
            await server.user_message(content="missed")
            await server.wait_for(lambda: server.identify_count == 2, 2.0, "re-IDENTIFY")
            await server.wait_for_sessions(1)
            await server.user_message(content="seen")
            if deliver_missed:
                await eventually(lambda: len(seen) == 2)
                assert seen == ["missed", "seen"]
                assert server.gateway.undelivered == []
            else:
                await eventually(lambda: seen)
                assert seen == ["seen"]
                assert [e.name for e in server.gateway.undelivered] == ["MESSAGE_CREATE"]


@pytest.mark.asyncio
async def test_message_content_needs_the_intent_unless_the_bot_is_mentioned() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot(content=False)
        seen: list[str] = []

        @bot.event
        async def on_message(message: discord.Message) -> None:
            seen.append(message.content)

        async with server.run_client(bot):
            await server.user_message(content="secret")
            await server.user_message(content="hey", mentions_bot=True)
            await eventually(lambda: len(seen) == 2)
            assert seen == ["", f"<@{server.bot_id}> hey"]


@pytest.mark.asyncio
@pytest.mark.parametrize("explicit", [False, True])
async def test_auto_sharded_bot_connects_every_shard(explicit: bool) -> None:
    async with DiscordTestServer(shard_count=2) as server:
        other_shard = 1 - shard_for(server.guild_id, 2)
        second = server.add_guild("Second", on_shard=(other_shard, 2))
        options = bot_options()
        if explicit:
            options["shard_count"] = 2
        bot = commands.AutoShardedBot(**options)
        async with server.run_client(bot):
            assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
            # Only a bot without a shard_count asks GET /gateway/bot.
            assert bool(server.requests_to("GET /gateway/bot")) is not explicit
            assert sorted(s.shard or (0, 1) for s in server.sessions.values()) == [(0, 2), (1, 2)]
            assert {g.id for g in bot.guilds} == {server.guild_id, second.id}
            assert bot.get_guild(second.id).shard_id == other_shard  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_rate_limit_is_retried_and_forbidden_is_not() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        async with server.run_client(bot):
            channel = bot.get_channel(server.channel_id)
            assert isinstance(channel, discord.TextChannel)
            limited = server.inject("POST /channels/{id}/messages", 429, retry_after=0.05)
            message = await channel.send("after a 429")
            assert limited.hits == 1
            assert len(server.requests_to("POST /channels/*/messages")) == 2
            assert server.messages[message.id]["content"] == "after a 429"

            forbidden = server.inject("POST /channels/*/messages", 403)
            with pytest.raises(discord.Forbidden) as info:
                await channel.send("nope")
            assert info.value.code == 50013 and forbidden.hits == 1
            assert len(server.requests_to("POST /channels/*/messages")) == 3
            assert server.status_counts[429] == 1 and server.invalid_request_count == 2

            server.set_overwrite(channel.id, server.guild_id, deny=SEND_MESSAGES)
            with pytest.raises(discord.Forbidden):
                await channel.send("still no")


@pytest.mark.asyncio
async def test_multipart_upload_records_attachments() -> None:
    async with DiscordTestServer() as server:
        bot = make_bot()
        async with server.run_client(bot):
            channel = bot.get_channel(server.channel_id)
            assert isinstance(channel, discord.TextChannel)
            blob = b"%PDF-1.4 not really a pdf"
            file = discord.File(io.BytesIO(blob), filename="cv.pdf")
            message = await channel.send("CV attached", file=file)
            stored = await server.wait_for_message()
            assert stored["content"] == "CV attached"
            [attachment] = stored["attachments"]
            assert attachment["filename"] == "cv.pdf" and attachment["size"] == len(blob)
            request = server.requests_to("POST /channels/*/messages")[-1]
            assert request.json["content"] == "CV attached"
            assert [(f.filename, f.size) for f in request.files] == [("cv.pdf", len(blob))]
            assert await message.attachments[0].read() == blob
