"""`talentbot sync-commands`, as a fresh process against the loopback Discord server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from support.discord_server import DiscordTestServer

from bot.client import EXTENSIONS

COMMANDS = {"ask", "company", "person", "moves", "sources", "about", "reindex"}


async def run_cli(server: DiscordTestServer, tmp: Path, *args: str) -> tuple[int, str, str]:
    """The installed `talentbot` command in its own process, in an empty folder (no .env),
    while this event loop keeps serving the loopback server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TALENTBOT_"))}
    env.update(
        DISCORD_TOKEN=server.token, DISCORD_API_BASE=server.api_base,
        DISCORD_GATEWAY_URL=server.gateway_url, TALENTBOT_DATA_DIR=str(tmp / "data"),
        TALENTBOT_CORPUS_DIR=str(tmp / "corpus"), TALENTBOT_MAX_QUESTION_CHARS="700",
    )
    exe = Path(sys.executable).with_name("talentbot")
    proc = await asyncio.create_subprocess_exec(
        str(exe), "sync-commands", *args, cwd=tmp, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return int(proc.returncode or 0), out.decode(), err.decode()


def by_name(body: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in body}


async def test_sync_commands_registers_every_command_globally(
    discord_server: DiscordTestServer, tmp_path: Path
) -> None:
    code, out, err = await run_cli(discord_server, tmp_path)
    assert code == 0, err
    puts = discord_server.requests_to("PUT /applications/*/commands")
    assert len(puts) == 1 and puts[0].status == 200
    scope, body = discord_server.command_syncs[-1]
    assert scope is None  # global, not a guild
    commands = by_name(body)
    assert set(commands) == COMMANDS
    assert len(EXTENSIONS) == 5
    question = commands["ask"]["options"][0]
    assert question["name"] == "question" and question["required"]
    assert question["max_length"] == 700  # the engine's limit, from the same setting
    assert commands["company"]["options"][0]["autocomplete"] is True
    assert [o["name"] for o in commands["moves"]["options"]] == ["from", "to", "since"]
    assert int(commands["reindex"]["default_member_permissions"]) == 1 << 5  # manage server
    assert "Synced 7 commands globally" in out
    # Nothing else: no gateway session, no status file, no index built for a sync.
    assert discord_server.identify_count == 0
    assert not (tmp_path / "data" / "bot-status.json").exists()
    assert not (tmp_path / "data" / "chroma").exists()


async def test_sync_commands_to_one_guild(
    discord_server: DiscordTestServer, tmp_path: Path
) -> None:
    guild = discord_server.guild_id
    code, out, err = await run_cli(discord_server, tmp_path, "--guild", str(guild))
    assert code == 0, err
    scope, body = discord_server.command_syncs[-1]
    assert scope == guild and set(by_name(body)) == COMMANDS
    assert f"in server {guild}" in out
    assert discord_server.commands.get(None) is None


async def test_sync_commands_to_an_unknown_guild_says_why(
    discord_server: DiscordTestServer, tmp_path: Path
) -> None:
    code, _, err = await run_cli(discord_server, tmp_path, "--guild", "1234567890")
    assert code == 2
    assert "applications.commands" in err and "Traceback" not in err
