"""One access policy for every path: each command, autocomplete and button is refused in a
server the bot does not serve and in DMs (while DMs are off), ephemerally and before any
engine work; managers-only commands are refused to other members."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from support.bot import BotFactory
from support.discord_server import DiscordTestServer, InteractionHandle
from support.settings import make_settings

from bot.access import MANAGERS_ONLY, NO_DMS, NOT_HERE
from index.engine import Engine

# What the bot may call on the engine to serve a user (warm_up at start is not one).
ENTRY_POINTS = frozenset({
    "ask", "evidence", "company", "person", "moves", "articles", "info", "companies",
    "people", "organisation", "ingest", "clean_question",
})
COMMANDS: dict[str, dict[str, Any]] = {
    "ask": {"question": "Who left OpenAI?"},
    "company": {"name": "Meta"},
    "person": {"name": "Baptiste Rozière"},
    "moves": {"from": "OpenAI"},
    "sources": {},
    "about": {},
    "reindex": {},
}
AUTOCOMPLETE = [("company", "name"), ("person", "name"), ("moves", "from")]
BUTTONS = ["tb:fb:u:0123456789abcdef", "tb:src:0123456789abcdef"]
FOREIGN_GUILD = "1234567890"


class CountingEngine(Engine):
    """The real engine, noting which entry points the bot called."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []

    def __getattribute__(self, name: str) -> Any:
        if name in ENTRY_POINTS:
            object.__getattribute__(self, "calls").append(name)
        return super().__getattribute__(name)


@pytest.fixture
def engine(seed_workdir: Path) -> CountingEngine:
    return CountingEngine(make_settings(seed_workdir, seed_workdir / "corpus" / "articles"))


def register_globally(server: DiscordTestServer) -> None:
    """The bot syncs to its development guild; a deployment syncs globally (DMs too)."""
    server.commands[None] = [
        {k: v for k, v in c.items() if k != "guild_id"} for c in server.commands[server.guild_id]
    ]


def refusal(handle: InteractionHandle) -> str:
    assert handle.callback_type == 4 and handle.ephemeral and not handle.deferred
    return str(((handle.callback or {}).get("data") or {}).get("content"))


async def every_interaction(server: DiscordTestServer, channel_id: int) -> dict[str, Any]:
    handles: dict[str, InteractionHandle] = {}
    for name, options in COMMANDS.items():
        handles[f"/{name}"] = await server.slash_command(name, options, channel_id=channel_id)
    for name, option in AUTOCOMPLETE:
        handles[f"/{name} {option} (autocomplete)"] = await server.autocomplete(
            name, option, "me", channel_id=channel_id)
    for custom_id in BUTTONS:
        seeded = server.seed_bot_message(channel_id, "an answer", components=[
            {"type": 1, "components": [{"type": 2, "style": 2, "label": "b",
                                        "custom_id": custom_id}]}])
        handles[custom_id] = await server.click_button(seeded["id"], custom_id)
    for handle in handles.values():
        await server.wait_for_interaction_response(handle)
    return handles


def check_refused(handles: dict[str, InteractionHandle], why: str) -> None:
    for what, handle in handles.items():
        if handle.type == 4:  # autocomplete cannot carry a message: no choices at all
            assert handle.choices == [], what
        else:
            assert refusal(handle) == why, what


async def test_everything_is_refused_in_a_server_the_bot_does_not_serve(
    discord_server: DiscordTestServer, start_bot: BotFactory, engine: CountingEngine
) -> None:
    async with start_bot(engine=engine, DISCORD_ALLOWED_GUILDS=FOREIGN_GUILD):
        engine.calls.clear()
        handles = await every_interaction(discord_server, discord_server.channel_id)
        await discord_server.user_message(content=f"<@{discord_server.bot_id}> Who left Meta?",
                                          mentions_bot=True)
        await asyncio.sleep(0.3)  # room for a reply that must not come
    check_refused(handles, NOT_HERE)
    assert len(handles) == len(COMMANDS) + len(AUTOCOMPLETE) + len(BUTTONS)
    assert engine.calls == []
    assert discord_server.bot_messages == [h.original_message_id for h in handles.values()
                                           if h.original_message_id]  # no public reply


async def test_everything_is_refused_in_dms_while_they_are_off(
    discord_server: DiscordTestServer, start_bot: BotFactory, engine: CountingEngine
) -> None:
    dm = discord_server.world.dm_channel(discord_server.user_id)
    async with start_bot(engine=engine):
        register_globally(discord_server)
        engine.calls.clear()
        handles = await every_interaction(discord_server, dm.id)
    check_refused(handles, NO_DMS)
    assert engine.calls == []


async def test_managers_only_commands_and_the_pager(
    discord_server: DiscordTestServer, start_bot: BotFactory, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    for i in range(12):  # more than one page of /sources
        (settings.corpus_dir / f"note-{i}.md").write_text(
            f"---\ntitle: Quillwork AI note {i}\noutlet: Lumenfeld\ndate: 2024-03-{i + 1:02d}\n"
            f"---\nMaëlle Ardent{i} a rejoint Quillwork AI en mars 2024.\n", encoding="utf-8")
    engine = CountingEngine(settings)
    engine.ingest()
    async with start_bot(engine=engine) as bot:
        engine.calls.clear()
        reindex = await discord_server.slash_command("reindex")
        await discord_server.wait_for_interaction_response(reindex)
        assert engine.calls == []
        sources = await discord_server.slash_command("sources")
        await discord_server.wait_for_interaction_response(sources)
        page = sources.followups[0].message
        assert page is not None
        next_id = next(c["custom_id"] for row in page["components"] for c in row["components"]
                       if c["label"] == "Next")
        bot.settings.allowed_guilds = frozenset({int(FOREIGN_GUILD)})  # the server is dropped
        click = await discord_server.click_button(page["id"], next_id)
        await discord_server.wait_for_interaction_response(click)
    assert refusal(reindex) == MANAGERS_ONLY.format(name="reindex")
    assert refusal(click) == NOT_HERE


async def test_a_command_error_is_logged_with_its_name_and_the_id_the_user_saw(
    discord_server: DiscordTestServer, start_bot: BotFactory, engine: CountingEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(CountingEngine):
        def articles(self) -> Any:
            raise RuntimeError("the disk is on fire")

    broken = Broken(engine.settings)
    caplog.set_level(logging.ERROR, logger="talentbot.bot")
    async with start_bot(engine=broken):
        handle = await discord_server.slash_command("sources")
        await discord_server.wait_for_interaction_response(handle)
    said = str(handle.followups[0].payload.get("content"))
    error_id = said.split("(error ")[1].split(")")[0]
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert f"error {error_id} in /sources" in logged
    assert "disk is on fire" not in said


async def test_a_manager_reindexes_through_the_limiter(
    discord_server: DiscordTestServer, start_bot: BotFactory, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    engine = CountingEngine(settings)
    for name, who in (("quillwork", "Maëlle Ardent"), ("lumen", "Corentin Quillon")):
        (settings.corpus_dir / f"{name}.md").write_text(
            "---\ntitle: Quillwork AI recrute\noutlet: Lumenfeld\ndate: 2024-04-02\n---\n"
            f"{who} a rejoint Quillwork AI en avril 2024.\n", encoding="utf-8")
        if name == "quillwork":
            engine.ingest()  # the bot starts on an index; the second article is new
    manage_guild = 1 << 5
    role = discord_server.add_role("mods", permissions=manage_guild)
    manager = discord_server.add_user("mod", roles=[role.id]).id
    async with start_bot(engine=engine, DISCORD_USER_COOLDOWN_S=60) as bot:
        handle = await discord_server.slash_command("reindex", user_id=manager)
        await discord_server.wait_for(
            lambda: "Done in" in str(discord_server.messages.get(
                handle.original_message_id or 0, {}).get("content")), 30, "the reindex")
        again = await discord_server.slash_command("reindex", user_id=manager)
        await discord_server.wait_for_interaction_response(again)
        running = bot.limiter.running
    done = str(discord_server.messages[handle.original_message_id or 0]["content"])
    assert handle.deferred and handle.ephemeral and "1 added" in done
    assert "try again in" in refusal(again)  # the same cooldown as every command
    assert running == 0 and engine.calls.count("ingest") == 2  # the first one above
