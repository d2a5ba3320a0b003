"""The bot under load: N questions from U users at once, through the loopback Discord server.

Run by `make bench` (or `.venv/bin/python tools/bench_bot.py [--questions 50 --users 10]`).
It drives the real bot process objects and the real engine on the seed corpus, and prints
one JSON object: every question answered?, latency p50/p95 from MESSAGE_CREATE to the
reply, and heartbeat warnings logged by discord.py (a blocked event loop shows there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test server lives with the tests

QUESTIONS = [
    "Who left Microsoft for OpenAI?",
    "Qui a quitté OpenAI récemment ?",
    "Who did Meta hire from OpenAI?",
    "When did Baptiste Rozière leave Meta?",
    "Quel poste occupait Mira Murati chez OpenAI ?",
    "Which Llama authors joined Mistral AI?",
    "Why did Ruben Mayer leave Meta Superintelligence Labs?",
    "Combien d'auteurs de Llama ont quitté Meta ?",
    "Who is OpenAI's vice president of safety research?",
    "Did Yann LeCun leave Meta?",
]


async def run(questions: int, users: int) -> dict[str, object]:
    """The bot runs as its own process (`python -m bot`), as in production; this process
    plays Discord and the users."""
    from support.discord_server import DiscordTestServer

    from index.engine import Engine
    from index.settings import EngineSettings

    work = Path(tempfile.mkdtemp(prefix="talentbot-bench-bot-"))
    bot: asyncio.subprocess.Process | None = None
    try:
        shutil.copytree(ROOT / "corpus" / "articles", work / "articles")
        Engine(EngineSettings(  # type: ignore[call-arg]
            TALENTBOT_CORPUS_DIR=work / "articles", TALENTBOT_DATA_DIR=work / "data",
            _env_file=None,
        )).ingest()
        async with DiscordTestServer(point_discord_py=False) as server:
            user_ids = [server.add_user(f"user{i}").id for i in range(users)]
            env = {
                k: v for k, v in os.environ.items()
                if not k.startswith(("DISCORD_", "TALENTBOT_", "LLM_", "CHROMA_"))
            }
            env.update(
                DISCORD_TOKEN=server.token, DISCORD_API_BASE=server.api_base,
                DISCORD_GATEWAY_URL=server.gateway_url, DISCORD_USER_COOLDOWN_S="0",
                DISCORD_MAX_WAITING=str(questions), TALENTBOT_DATA_DIR=str(work / "data"),
                TALENTBOT_CORPUS_DIR=str(work / "articles"), TALENTBOT_LOG_LEVEL="WARNING",
            )
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=work, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )
            await server.wait_for(lambda: server.identify_count >= 1, 60, "the bot to connect")
            await asyncio.sleep(3)  # discord.py waits ~2 s for guilds before it is ready
            sent: dict[str, float] = {}
            started = time.perf_counter()
            for i in range(questions):
                text = f"<@{server.bot_id}> {QUESTIONS[i % len(QUESTIONS)]}"
                sent_at = server.loop_time()
                message = await server.user_message(
                    content=text, author_id=user_ids[i % users], mentions_bot=True
                )
                sent[str(message["id"])] = sent_at

            def replies() -> dict[str, float]:
                got: dict[str, float] = {}
                for r in server.requests_to("POST /channels/{channel_id}/messages"):
                    channel = r.path.split("/")[2]
                    if channel in sent and r.status == 200 and channel not in got:
                        got[channel] = r.time
                return got

            await server.wait_for(lambda: len(replies()) >= questions, 120, "all replies")
            wall = time.perf_counter() - started
            got = replies()
            bot.terminate()
            _, stderr = await bot.communicate()
        log_lines = stderr.decode(errors="replace").splitlines()
        warnings = [
            line for line in log_lines
            if "heartbeat blocked" in line.lower() or "can't keep up" in line.lower()
        ]
        latencies = sorted((got[q] - sent[q]) * 1000 for q in got)
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        return {
            "questions": questions,
            "users": users,
            "answered": len(got),
            "wall_s": round(wall, 2),
            "latency_ms": {
                "p50": round(statistics.median(latencies), 1), "p95": round(p95, 1),
                "max": round(latencies[-1], 1),
            },
            "heartbeat_warnings": len(warnings),
            "targets": {"all_answered": len(got) == questions, "p95_le_1000ms": p95 <= 1000,
                        "no_heartbeat_warnings": not warnings},
        }
    finally:
        if bot is not None and bot.returncode is None:
            bot.kill()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.questions, args.users)), indent=2))


if __name__ == "__main__":
    main()
