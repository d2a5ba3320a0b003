"""The gateway status file and `doctor --gateway`: what a container health check sees of
the running bot, driven through the real discord.py client and the test server."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from support.discord_server import DiscordTestServer

from bot.status import gateway_check


async def wait_for_state(path: Path, want: Any, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if want(state):
                return state
        except (OSError, ValueError):
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"status never matched; last: {state}")


async def test_a_connected_bot_is_healthy_and_a_stopped_one_is_not(
    start_bot: Any, discord_server: DiscordTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "status.json"
    async with start_bot(TALENTBOT_BOT_STATUS_FILE=path):
        await wait_for_state(path, lambda s: s["connected"])
        check = gateway_check(path)
        assert check.ok and check.detail.startswith("connected, 1 shard(s)")

        # A dropped connection: the bot resumes and says so again.
        before = json.loads(path.read_text())["updated"]
        await discord_server.drop_connections()
        await wait_for_state(path, lambda s: s["connected"] and s["updated"] > before)
        assert gateway_check(path).ok
    state = json.loads(path.read_text())
    assert state["closed"] and not state["connected"]
    check = gateway_check(path)
    assert not check.ok and check.detail == "not connected to Discord"


def test_a_stuck_or_missing_bot_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    missing = gateway_check(path)
    assert not missing.ok and "is the bot running" in missing.detail
    path.write_text(json.dumps({"updated": time.time() - 600, "connected": True,
                                "shards": {"0": {"connected": True, "latency_ms": 40}}}))
    stale = gateway_check(path)
    assert not stale.ok and "not updated for" in stale.detail
    path.write_text("{not json")
    assert not gateway_check(path).ok
    path.write_text(json.dumps({"updated": time.time(), "connected": False,
                                "shards": {"0": {"connected": True}, "1": {"connected": False}}}))
    down = gateway_check(path)
    assert not down.ok and down.detail == "not connected to Discord (shard 1 down)"
