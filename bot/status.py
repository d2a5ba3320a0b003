"""The running bot's gateway state, in a small file a health check can read.

A container health check runs in its own process and cannot ask the bot whether its
websocket is up; `talentbot doctor --gateway` reads this file instead. The bot rewrites
it every `INTERVAL_S` seconds and on connect, disconnect and resume, so a file that is
old means a bot that is stuck or dead, and `connected: false` one that lost Discord.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

from index.ops import Check

log = logging.getLogger(__name__)
INTERVAL_S = 20.0
MAX_AGE_S = 3 * INTERVAL_S  # two missed writes, then unhealthy


def status_path(bot_settings: Any, data_dir: Path) -> Path:
    return Path(bot_settings.status_file or data_dir / "bot-status.json")


def snapshot(bot: Any) -> dict[str, Any]:
    """What the file says: per shard, connected or not and the heartbeat latency."""
    shards: dict[str, dict[str, Any]] = {}
    if hasattr(bot, "shards"):  # AutoShardedBot
        for shard_id, shard in sorted(bot.shards.items()):
            shards[str(shard_id)] = {"connected": not shard.is_closed(),
                                     "latency_ms": _ms(shard.latency)}
    else:
        ws = bot.ws
        shards["0"] = {"connected": ws is not None and ws.open and not bot.is_closed(),
                       "latency_ms": _ms(bot.latency)}
    return {
        "pid": os.getpid(),
        "updated": time.time(),
        "ready": bot.is_ready(),
        "closed": bot.is_closed(),
        "connected": bot.is_ready() and not bot.is_closed()
        and all(s["connected"] for s in shards.values()),
        "shards": shards,
        # Answers and votes the bot could not record (a full disk, a read-only data dir):
        # the answers were sent all the same (bot.store).
        "failed_writes": getattr(getattr(bot, "store", None), "failed_writes", 0),
    }


def _ms(seconds: float) -> float | None:
    return round(seconds * 1000, 1) if math.isfinite(seconds) else None


def write(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a file
    except OSError as exc:
        log.warning("could not write the bot status to %s: %s", path, exc)


async def keep_writing(bot: Any, path: Path, stop: asyncio.Event) -> None:
    """Until `stop` is set: rewrite the file now and then, and whenever `bot` says so."""
    while not stop.is_set():
        bot.status_changed.clear()  # before the snapshot: a change during it is not lost
        _write_now(bot, path)
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(bot.status_changed.wait())]
        _, pending = await asyncio.wait(waits, timeout=INTERVAL_S,
                                        return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    _write_now(bot, path, {"connected": False, "closed": True})


def _write_now(bot: Any, path: Path, override: dict[str, Any] | None = None) -> None:
    try:
        write(path, {**snapshot(bot), **(override or {})})
    except Exception:  # the health report must never take the bot down
        log.exception("could not report the bot status")


def gateway_check(path: Path, max_age_s: float = MAX_AGE_S) -> Check:
    """A doctor check: the bot that writes `path` is alive and connected to Discord."""
    name = "discord gateway"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        age = time.time() - float(state["updated"])
        connected = bool(state["connected"])
        shards = dict(state.get("shards") or {})
    except FileNotFoundError:
        return Check(name, False, f"no status file at {path}: is the bot running?")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Check(name, False, f"unreadable status file {path} ({type(exc).__name__})")
    if age > max_age_s:
        return Check(name, False, f"status not updated for {age:.0f} s: the bot is stuck or "
                                  "stopped")
    down = sorted(k for k, s in shards.items() if not s.get("connected"))
    if not connected:
        detail = "not connected to Discord"
        if down:
            detail += f" (shard{'s' if len(down) > 1 else ''} {', '.join(down)} down)"
        return Check(name, False, detail)
    latencies = [s["latency_ms"] for s in shards.values() if s.get("latency_ms") is not None]
    worst = f", heartbeat latency up to {max(latencies):.0f} ms" if latencies else ""
    return Check(name, True, f"connected, {len(shards)} shard(s){worst}")
