"""Abuse and load: many questions from many users at once, mentions and /ask mixed, through
the loopback Discord server, against the real bot (in this process) and a slow scripted LLM.

Run by `make bench` (or `.venv/bin/python tools/bench_abuse.py [--questions 200 --users 20]`).
Prints one JSON object: how many questions were answered, refused as busy or refused by the
cooldown (and whether every accepted one was answered), the limiter's peaks against its
caps, interaction acknowledgement latencies against Discord's 3 s deadline, answer
latencies, and the growth of the process's resident memory (VmRSS) over the run.

The same scenario (`AbusePlan`, `slow_model`, `drive`) backs the reliability tests
(tests/reliability/test_bot_faults.py, rows 7 and 9).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))  # the test servers live with the tests

QUESTIONS = [
    "Where did Sebastien Bubeck teach before Microsoft?",
    "Why did Ruben Mayer leave Meta Superintelligence Labs?",
    "Quel poste occupait Mira Murati chez OpenAI ?",
    "Which Llama authors joined Mistral AI?",
    "Who left Microsoft for OpenAI?",
    "Qui a quitté OpenAI récemment ?",
    "Who is OpenAI's vice president of safety research?",
    "Did Yann LeCun leave Meta?",
]
BUSY = "busy"
COOLDOWN = "cooldown"
ANSWERED = "answered"
OTHER = "other"


@dataclass(frozen=True)
class AbusePlan:
    questions: int = 200
    users: int = 20
    wave_gap_s: float = 0.15  # a wave is one question from every user, all at once
    max_concurrent: int = 4
    max_waiting: int = 8
    cooldown_s: float = 1.0
    model_delay_s: tuple[float, float] = (0.05, 0.1)
    only_slash: bool = False  # else mentions and /ask alternate
    timeout_s: float = 25.0

    def bot_env(self) -> dict[str, Any]:
        """Bot settings for the scenario (threads off: replies point at their question)."""
        return {
            "DISCORD_MAX_CONCURRENT": self.max_concurrent,
            "DISCORD_MAX_WAITING": self.max_waiting,
            "DISCORD_USER_COOLDOWN_S": self.cooldown_s,
            "DISCORD_OPEN_THREADS": False,
        }

    def is_slash(self, i: int) -> bool:
        return self.only_slash or (i + i // self.users) % 2 == 0


def vm_rss_mb() -> float:
    """This process's resident set size, from /proc/self/status (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def slow_model(low: float, high: float, seed: int = 7) -> Callable[[Any], Any]:
    """An LLMTestServer responder: a valid cited answer after `low`..`high` seconds."""
    from support.llm_server import Reply

    rng = random.Random(seed)

    def respond(request: Any) -> Any:
        return Reply(text="Réponse du modèle, d'après la source [1].",
                     delay=rng.uniform(low, high))

    return respond


def refusal_kind(content: str) -> str:
    if "busy" in content:
        return BUSY
    if "asking quickly" in content:
        return COOLDOWN
    return OTHER


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)


async def drive(server: Any, bot: Any, plan: AbusePlan) -> dict[str, Any]:
    """Send the plan's questions through `server` to the running `bot`; wait until each one
    got its answer or its refusal; return the figures."""
    loop = asyncio.get_running_loop()
    users = [server.add_user(f"load{i}").id for i in range(plan.users)]
    handles: dict[int, Any] = {}  # question index -> interaction handle (/ask)
    messages: dict[int, str] = {}  # question index -> message id (mention)
    sent_at: dict[int, float] = {}
    outcomes: dict[int, tuple[str, bool]] = {}  # index -> (kind, ephemeral)
    resolved_at: dict[int, float] = {}

    async def send(i: int) -> None:
        question = QUESTIONS[i % len(QUESTIONS)]
        user = users[i % plan.users]
        sent_at[i] = loop.time()
        if plan.is_slash(i):
            handles[i] = await server.slash_command("ask", {"question": question}, user_id=user)
        else:
            message = await server.user_message(
                author_id=user, content=f"<@{server.bot_id}> {question}", mentions_bot=True
            )
            messages[i] = str(message["id"])

    def slash_outcome(handle: Any) -> tuple[str, bool] | None:
        if handle.callback_type is None:
            return None
        if handle.deferred:
            if not handle.followups:
                return None
            first = handle.followups[0]
            data = first.message or first.payload
            kind = ANSWERED if data.get("embeds") else refusal_kind(data.get("content") or "")
            return kind, first.ephemeral
        content = ((handle.callback or {}).get("data") or {}).get("content") or ""
        return refusal_kind(content), handle.ephemeral

    def replies_by_question() -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for mid in server.bot_messages:
            msg = server.messages.get(mid) or server.deleted_messages.get(mid)
            if msg is None:
                continue
            ref = (msg.get("message_reference") or {}).get("message_id")
            if ref is not None:
                found.setdefault(str(ref), []).append(msg)
        return found

    def all_resolved() -> bool:
        replies = replies_by_question()
        now = loop.time()
        for i, handle in handles.items():
            if i not in outcomes:
                outcome = slash_outcome(handle)
                if outcome is not None:
                    outcomes[i], resolved_at[i] = outcome, now
        for i, mid in messages.items():
            if i not in outcomes and mid in replies:
                msg = replies[mid][0]
                kind = ANSWERED if msg.get("embeds") else refusal_kind(msg.get("content") or "")
                outcomes[i], resolved_at[i] = (kind, False), now
        return len(outcomes) == plan.questions

    gc.collect()
    rss_start = vm_rss_mb()
    started = loop.time()
    # Watch while sending, so that each outcome is timed when it arrives.
    watcher = asyncio.create_task(server.wait_for(
        all_resolved, plan.timeout_s, "every question to be resolved", poll=0.05
    ))
    for first in range(0, plan.questions, plan.users):
        await asyncio.gather(*(send(i) for i in range(first, min(first + plan.users,
                                                                   plan.questions))))
        await asyncio.sleep(plan.wave_gap_s)
    sending_s = loop.time() - started
    timed_out = False
    try:
        await watcher
    except TimeoutError:
        timed_out = True
    elapsed = loop.time() - started
    for _ in range(200):  # let the last answers leave the limiter
        if bot.limiter.running == 0 and bot.limiter.waiting == 0:
            break
        await asyncio.sleep(0.02)
    gc.collect()
    rss_end = vm_rss_mb()

    kinds = [kind for kind, _ in outcomes.values()]
    slash_refusals = [
        ephemeral for i, (kind, ephemeral) in outcomes.items()
        if i in handles and kind in (BUSY, COOLDOWN)
    ]
    acks = [h.ack_latency for h in handles.values() if h.ack_latency is not None]
    answer_latencies = [
        resolved_at[i] - sent_at[i] for i, (kind, _) in outcomes.items() if kind == ANSWERED
    ]
    answered_by_followup = sum(
        1 for i, h in handles.items()
        if outcomes.get(i, ("", False))[0] == ANSWERED and h.deferred
    )
    refused = kinds.count(BUSY) + kinds.count(COOLDOWN)
    return {
        "questions": plan.questions,
        "users": plan.users,
        "slash_commands": len(handles),
        "mentions": len(messages),
        "answered": kinds.count(ANSWERED),
        "busy_replies": kinds.count(BUSY),
        "cooldown_replies": kinds.count(COOLDOWN),
        "other_replies": kinds.count(OTHER),
        "unresolved": plan.questions - len(outcomes),
        "accepted": plan.questions - refused,
        "accepted_unanswered": plan.questions - refused - kinds.count(ANSWERED),
        "timed_out": timed_out,
        "slash_refusals": len(slash_refusals),
        "slash_refusals_ephemeral": sum(slash_refusals),
        "slash_answered_by_followup": answered_by_followup,
        "peak_running": bot.limiter.peak_running,
        "max_concurrent": plan.max_concurrent,
        "peak_waiting": bot.limiter.peak_waiting,
        "max_waiting": plan.max_waiting,
        "interactions": len(handles),
        "interactions_acknowledged_in_time": sum(
            1 for h in handles.values() if h.acknowledged_in_time
        ),
        "ack_latency_max_s": round(max(acks), 4) if acks else None,
        "ack_latency_p95_s": _percentile(acks, 0.95),
        "answer_latency_p50_s": (
            round(statistics.median(answer_latencies), 4) if answer_latencies else None
        ),
        "answer_latency_p95_s": _percentile(answer_latencies, 0.95),
        "sending_s": round(sending_s, 3),
        "elapsed_s": round(elapsed, 3),
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_growth_mb": round(rss_end - rss_start, 1),
        "http_statuses": {str(k): v for k, v in sorted(server.status_counts.items())},
    }


async def run(plan: AbusePlan) -> dict[str, Any]:
    """Index the seed corpus in a temporary folder, start the scripted LLM, the Discord
    server and the bot, and drive the plan."""
    import discord
    from support.discord_server import DiscordTestServer
    from support.llm_server import LLMTestServer

    from bot.client import create_bot
    from bot.settings import BotSettings
    from bot.store import BotStore
    from index.engine import Engine
    from index.llm import LLMSettings, build_answerer
    from index.settings import EngineSettings

    work = Path(tempfile.mkdtemp(prefix="talentbot-bench-abuse-"))
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        shutil.copytree(ROOT / "corpus" / "articles", work / "corpus" / "articles")
        shutil.copy(ROOT / "corpus" / "organisations.yaml", work / "corpus")
        settings = EngineSettings(  # type: ignore[call-arg]
            TALENTBOT_CORPUS_DIR=work / "corpus" / "articles", TALENTBOT_DATA_DIR=work / "data",
            _env_file=None,
        )
        Engine(settings).ingest()
        with LLMTestServer(responder=slow_model(*plan.model_delay_s)) as llm_server:
            llm = build_answerer(LLMSettings(  # type: ignore[call-arg]
                _env_file=None, LLM_PROVIDER="openai", LLM_BASE_URL=llm_server.openai_url,
                LLM_MODEL="bench-model", LLM_TIMEOUT_S=5,
            ))
            engine = Engine(settings, llm=llm)
            async with DiscordTestServer(point_discord_py=False) as server:
                bot_settings = BotSettings(  # type: ignore[call-arg]
                    _env_file=None, DISCORD_TOKEN=server.token,
                    DISCORD_API_BASE=server.api_base, DISCORD_GATEWAY_URL=server.gateway_url,
                    DISCORD_DEV_GUILDS=str(server.guild_id),
                    TALENTBOT_FEEDBACK_DB=work / "bot.sqlite3", **plan.bot_env(),
                )
                store = BotStore(work / "bot.sqlite3")
                bot = create_bot(engine, bot_settings, store, guild_ready_timeout=0.05)
                try:
                    async with server.run_client(bot, ready_timeout=60):
                        figures = await drive(server, bot, plan)
                finally:
                    store.close()
            figures["llm_requests"] = len(llm_server.chat_requests)
            if llm is not None:
                figures["llm"] = llm.stats()
                llm.close()
        return {"plan": asdict(plan), **figures}
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--max-concurrent", type=int, default=4)
    parser.add_argument("--max-waiting", type=int, default=8)
    parser.add_argument("--cooldown", type=float, default=1.0)
    args = parser.parse_args()
    plan = AbusePlan(
        questions=args.questions, users=args.users, max_concurrent=args.max_concurrent,
        max_waiting=args.max_waiting, cooldown_s=args.cooldown,
    )
    print(json.dumps(asyncio.run(run(plan)), indent=2))


if __name__ == "__main__":
    main()
