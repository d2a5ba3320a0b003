"""LLM path overhead: answers through a scripted OpenAI-compatible endpoint with a fixed
delay, and the fallback latency while the circuit breaker is open.

Run by `make bench` (or `.venv/bin/python tools/bench_llm.py [--delay-ms 100]`); prints
one JSON object. The engine is the real one on the seed corpus; the endpoint is the
tests' scripted server on 127.0.0.1, reached through the real openai client.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the scripted server lives with the tests

QUESTIONS = [
    "Where did Sebastien Bubeck teach before Microsoft?",
    "Quel poste occupait Mira Murati chez OpenAI ?",
    "Which news outlet first reported that Meta hired Trapit Bansal?",
    "Why did Ruben Mayer leave?",
]


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
    }


def run(delay_ms: float, rounds: int) -> dict[str, object]:
    from support.llm_server import LLMTestServer, error, reply

    from index.engine import Engine
    from index.llm import LLMSettings, build_answerer
    from index.settings import EngineSettings

    work = Path(tempfile.mkdtemp(prefix="talentbot-bench-llm-"))
    try:
        shutil.copytree(ROOT / "corpus" / "articles", work / "articles")
        settings = EngineSettings(  # type: ignore[call-arg]
            TALENTBOT_CORPUS_DIR=work / "articles", TALENTBOT_DATA_DIR=work / "data",
            _env_file=None,
        )
        Engine(settings, llm=False).ingest()
        with LLMTestServer() as server:
            llm = build_answerer(LLMSettings(  # type: ignore[call-arg]
                _env_file=None, LLM_PROVIDER="openai", LLM_BASE_URL=server.openai_url,
                LLM_MODEL="bench", LLM_TIMEOUT_S=10, LLM_MAX_RETRIES=0,
                LLM_BREAKER_FAILURES=1, LLM_BREAKER_COOLDOWN_S=3600,
            ))
            engine = Engine(settings, llm=llm)
            offline = Engine(settings, llm=False)
            for q in QUESTIONS:  # warm both
                offline.ask(q)
            extractive, answered, modes = [], [], []
            for _ in range(rounds):
                for q in QUESTIONS:
                    started = time.perf_counter()
                    offline.ask(q)
                    extractive.append((time.perf_counter() - started) * 1000)
                    server.script(reply("Réponse de test [1].", delay=delay_ms / 1000))
                    started = time.perf_counter()
                    modes.append(engine.ask(q).mode)
                    answered.append((time.perf_counter() - started) * 1000)
            server.script(error(503))
            engine.ask(QUESTIONS[0])  # one failure opens the breaker
            fallback = []
            for _ in range(rounds):
                for q in QUESTIONS:
                    started = time.perf_counter()
                    mode = engine.ask(q).mode
                    fallback.append((time.perf_counter() - started) * 1000)
                    assert mode == "extractive"
            assert llm is not None
            breaker = llm.breaker_state
        # What the LLM path adds around the model call, beyond the extractive work it
        # also does (retrieval and sentence ranking feed the prompt).
        overhead = [a - delay_ms - e for a, e in zip(answered, extractive, strict=True)]
        return {
            "endpoint_delay_ms": delay_ms,
            "llm_answers": modes.count("llm"),
            "questions": len(modes),
            "extractive_ms": percentiles(extractive),
            "llm_answer_ms": percentiles(answered),
            "llm_path_overhead_ms": percentiles(overhead),
            "fallback_with_breaker_open_ms": percentiles(fallback),
            "breaker_state": breaker,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(run(args.delay_ms, args.rounds), indent=2))


if __name__ == "__main__":
    main()
