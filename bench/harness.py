"""`talentbot bench`: ingest speed, re-ingest, warm latency, cold start and memory.

Everything that is "cold" or has its own memory peak runs in a fresh subprocess
(`python -m bench.harness worker TASK ARGS`, one JSON line on stdout), so one measurement
never warms up or inflates the next. The peer baseline (llama-index + sentence-transformers
on PyTorch, tools/baseline_bench.py) runs with the python in $TALENTBOT_BASELINE_PYTHON, in
its own environment, on the same article folders and questions.

Data lives in a temporary folder; the only thing written in the repository is
bench-results/ (by the Makefile, from stdout). Progress goes to stderr.

Rates are per second of wall time from process start to "index written", the time a user
waits for `talentbot ingest`: interpreter start, imports, model load, reading, splitting,
embedding, Chroma writes and the keyword index all count.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus" / "articles"
ORGANISATIONS = ROOT / "corpus" / "organisations.yaml"
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.yaml"
BASELINE_SCRIPT = ROOT / "tools" / "baseline_bench.py"
BASELINE_ENV = "TALENTBOT_BASELINE_PYTHON"

QUICK_ARTICLES = 50
ROUNDS = 5  # question rounds per serving process; the first is warm-up and discarded
COLD_RUNS = 3
# The raw-encoder rate comes from an evenly spaced sample of the ingest's own chunk texts:
# a rate per word piece needs no more, and embedding all 12k chunks twice would add minutes.
RAW_SAMPLE = 3_000
WORKER_TIMEOUT_S = 3_600

TARGETS = {
    "share_truncated": 0.0,
    "wp_per_s_vs_baseline": 2.5,
    "pipeline_vs_raw": 0.8,
    "reingest_seconds": 3.0,
    "warm_p50_ms_seed": 15.0,
    "warm_p50_ms_generated": 40.0,
    "cold_start_seconds": 2.5,
    "peak_rss_mb_seed": 350.0,
    "peak_rss_mb_generated": 500.0,
}

# Used when ../shared/eval/dev.yaml is not there: the same kind of questions.
FALLBACK_QUESTIONS = (
    "Who are the co-founders of Mistral AI that came from Meta?",
    "Où sont partis les auteurs de Llama qui n'ont pas rejoint Mistral ?",
    "Which news outlet first reported that Meta hired Trapit Bansal?",
    "Quel média a révélé les noms des quatre nouvelles recrues de Meta ?",
    "What share of Meta's LLM researchers left according to the WSJ?",
    "Which Meta chatbots were criticized before ChatGPT became popular?",
    "Where did Sebastien Bubeck teach before Microsoft?",
    "Quel poste occupait Mira Murati chez OpenAI ?",
    "Who is OpenAI's vice president of safety research?",
    "Which company did Meta acquire to improve its training data?",
    "Quand Meta prévoit-il de lancer un nouveau modèle ?",
    "When were Marie-Anne Lachaux and Thibaut Lavril hired by Mistral?",
    "Who announced she was leaving her job as head of FAIR?",
    "Which researchers did Amazon hire from Google in 2024?",
    "Combien gagne un ingénieur chez Nvidia ?",
)


# -- the orchestrating side ------------------------------------------------------------------
def run_bench(quick: bool = False, articles: int = 2_000) -> dict[str, Any]:
    """Run every measurement; return one JSON-ready dict ending with `ratios` and `targets`."""
    n_generated = min(articles, QUICK_ARTICLES) if quick else articles
    questions, source = load_questions()
    results: dict[str, Any] = {
        "machine": machine_info(),
        "config": {
            "quick": quick,
            "generated_articles": n_generated,
            "questions": len(questions),
            "questions_source": source,
            "rounds": ROUNDS,
            "rounds_discarded": 1,
            "cold_runs": COLD_RUNS,
            "raw_sample_limit": RAW_SAMPLE,
            "rate_basis": "wall seconds from process start to index written",
            "rss_unit": "MiB (ru_maxrss / 1024)",
        },
        "notes": [],
    }
    notes: list[str] = results["notes"]
    work = Path(tempfile.mkdtemp(prefix="talentbot-bench-"))
    try:
        qfile = work / "questions.json"
        qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
        seed_corpus = _corpus_folder(work / "seed")
        shutil.copytree(SEED_CORPUS, seed_corpus)
        gen_corpus = _corpus_folder(work / "generated")
        _say(f"generating {n_generated} articles in {gen_corpus}")
        from bench.synthetic import DEFAULT_SEED, generate_corpus

        generate_corpus(gen_corpus, n_generated)
        # The dev questions are about the seed articles: with them among the generated ones,
        # latency at size is that of questions finding their answers among many distractors,
        # not of an index that abstains on every name it does not know.
        for path in sorted(SEED_CORPUS.iterdir()):
            if path.is_file():
                shutil.copy(path, gen_corpus / path.name)
        results["config"]["generator_seed"] = DEFAULT_SEED
        corpora = {"seed": seed_corpus, "generated": gen_corpus}

        ours: dict[str, Any] = {}
        for label, corpus in corpora.items():
            ours[label] = _measure_ours(label, corpus, work / label / "data", qfile)
        results["ours"] = ours

        baseline_python = _baseline_python()
        if quick:
            results["baseline"] = {"skipped": "--quick runs without the baseline"}
        elif not baseline_python:
            results["baseline"] = {
                "skipped": f"${BASELINE_ENV} is not set or not an executable "
                "(make bench sets it to .venv-bench/bin/python)"
            }
        else:
            results["baseline"] = {
                label: _measure_baseline(
                    baseline_python, label, corpus, work / label / "baseline", qfile
                )
                for label, corpus in corpora.items()
            }
        results["machine"]["load_average_end"] = _load_average()
        notes.extend(_notes(results))
        results["ratios"] = ratios(results)
        results["targets"] = targets(results)
    finally:
        if os.environ.get("TALENTBOT_BENCH_KEEP"):
            _say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return results


def _baseline_python() -> str | None:
    value = os.environ.get(BASELINE_ENV, "").strip()
    if not value:
        return None
    # Workers run in temporary folders, so a relative path (the Makefile's) must become
    # absolute here; abspath, not resolve(): a venv's python is a symlink that must stay one.
    found = shutil.which(value) if os.sep not in value else value
    if not found or not os.access(found, os.X_OK):
        return None
    return os.path.abspath(found)


def _corpus_folder(base: Path) -> Path:
    # The engine looks for organisations.yaml next to the articles folder.
    folder = base / "corpus" / "articles"
    folder.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ORGANISATIONS, folder.parent / "organisations.yaml")
    return folder


def _measure_ours(label: str, corpus: Path, data: Path, qfile: Path) -> dict[str, Any]:
    common = {"corpus": str(corpus), "data": str(data)}
    texts = data.parent / "embedded_texts.json"
    out: dict[str, Any] = {"articles_in_folder": _count_files(corpus)}

    _say(f"[ours/{label}] cold ingest")
    ingest = _worker("ingest", {**common, "texts_out": str(texts)})
    out["ingest"] = _with_rates(ingest)

    _say(f"[ours/{label}] raw encoder rate on the same chunk texts")
    raw = _worker("raw", {"texts": str(texts), "limit": RAW_SAMPLE})
    out["raw_embedding"] = raw
    ingest_rate = out["ingest"].get("embedded_wp_per_s")
    raw_rate = raw.get("wp_per_s")
    if ingest_rate and raw_rate:
        out["pipeline_vs_raw"] = round(ingest_rate / raw_rate, 3)

    _say(f"[ours/{label}] warm latency and serving RSS")
    out["serve"] = _worker("serve", {**common, "questions": str(qfile), "rounds": ROUNDS})

    _say(f"[ours/{label}] cold start of `talentbot ask`")
    out["cold_start"] = _cold_start(corpus, data, _first_question(qfile))

    _say(f"[ours/{label}] re-ingest of the unchanged corpus")
    out["reingest"] = _worker("reingest", common)
    return out


def _measure_baseline(
    python: str, label: str, corpus: Path, work: Path, qfile: Path
) -> dict[str, Any]:
    _say(f"[baseline/{label}] llama-index + sentence-transformers (PyTorch) with {python}")
    cmd = [
        python, str(BASELINE_SCRIPT), "run", "--corpus", str(corpus), "--work", str(work),
        "--questions", str(qfile), "--rounds", str(ROUNDS), "--cold-runs", str(COLD_RUNS),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    try:
        return _run_json(cmd, env=env, cwd=work.parent)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.is_file())


def _first_question(qfile: Path) -> str:
    questions: list[str] = json.loads(qfile.read_text(encoding="utf-8"))
    return questions[0]


def _with_rates(ingest: dict[str, Any]) -> dict[str, Any]:
    wall = ingest.get("wall_seconds")
    if not wall:
        return ingest
    ingest["articles_per_s"] = round(ingest["articles"] / wall, 2)
    ingest["chunks_per_s"] = round(ingest["chunks"] / wall, 2)
    ingest["embedded_wp_per_s"] = round(ingest["embedded_word_pieces"] / wall, 1)
    return ingest


def _cold_start(corpus: Path, data: Path, question: str) -> dict[str, Any]:
    """Process start to printed answer for `python -m bot.cli ask`, COLD_RUNS times."""
    env = {
        **os.environ,
        "TALENTBOT_CORPUS_DIR": str(corpus),
        "TALENTBOT_DATA_DIR": str(data),
        "TALENTBOT_LOG_LEVEL": "WARNING",
    }
    first_output: list[float] = []
    exits: list[float] = []
    for _ in range(COLD_RUNS):
        with tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            # Run outside the repository so a developer's .env there cannot change settings.
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "bot.cli", "ask", question],
                stdout=subprocess.PIPE, stderr=err, cwd=data.parent, env=env,
            )
            assert proc.stdout is not None
            line = proc.stdout.readline()
            printed = time.perf_counter() - started
            rest = proc.stdout.read()
            code = proc.wait()
            exited = time.perf_counter() - started
            if code != 0 or not (line + rest).strip():
                err.seek(0)
                tail = err.read().decode(errors="replace")[-500:]
                return {"error": f"ask exited with {code}: {tail}"}
        first_output.append(printed)
        exits.append(exited)
    return {
        "runs": [round(s, 3) for s in first_output],
        "median_s": round(statistics.median(first_output), 3),
        "to_exit_median_s": round(statistics.median(exits), 3),
        "question": question,
    }


def _worker(task: str, args: dict[str, Any]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.harness", "worker", task, json.dumps(args)]
    spawned = time.time()
    try:
        result = _run_json(cmd, cwd=Path(tempfile.gettempdir()), env=_checkout_env())
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        _say(f"  failed: {exc}")
        return {"error": str(exc)}
    if "done_at" in result:
        # Same clock on both sides: from spawn (interpreter start) to the task's end.
        result["wall_seconds"] = round(result.pop("done_at") - spawned, 3)
    return result


def _checkout_env() -> dict[str, str]:
    """The environment for a worker: `bench` is not installed, so the checkout goes first on
    the worker's import path (it runs in a temporary folder)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _run_json(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command that prints one JSON object as its last stdout line."""
    cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
        cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=WORKER_TIMEOUT_S,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-1500:]
        raise RuntimeError(f"{' '.join(cmd[1:4])} exited with {proc.returncode}: {tail}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- questions and machine -------------------------------------------------------------------
def load_questions(path: Path = DEV_QUESTIONS) -> tuple[list[str], str]:
    """The dev set's questions and unanswerable questions, else the built-in list."""
    if path.is_file():
        from index.safeyaml import safe_load

        spec = safe_load(path.read_text(encoding="utf-8")) or {}
        found = [
            str(item["q"])
            for key in ("questions", "unanswerable")
            for item in spec.get(key) or []
            if isinstance(item, dict) and item.get("q")
        ]
        if found:
            return found, str(path.resolve())
    return list(FALLBACK_QUESTIONS), "built-in list"


def machine_info() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": _meminfo_gb(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other work on the machine skews every timing: recorded at start and end.
        "load_average_start": _load_average(),
    }
    packages: dict[str, str | None] = {}
    for name in ("onnxruntime", "chromadb", "llama-index-core", "tokenizers", "bm25s", "numpy"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    info["packages"] = packages
    return info


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _meminfo_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# -- ratios, targets, notes ------------------------------------------------------------------
def lookup(data: Any, *path: str) -> Any:
    """data[path[0]][path[1]]..., or None where the path stops."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ratio(ours: Any, theirs: Any) -> float | None:
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float) or not theirs:
        return None
    return round(ours / theirs, 3)


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """This project over the baseline (for speed rates higher is better, else lower)."""
    o, b = results.get("ours", {}), results.get("baseline", {})
    out: dict[str, Any] = {}
    for label, suffix in (("generated", ""), ("seed", "_seed")):
        out[f"embedded_wp_per_s{suffix}"] = _ratio(
            lookup(o, label, "ingest", "embedded_wp_per_s"),
            lookup(b, label, "ingest", "embedded_wp_per_s"),
        )
        out[f"ingest_wall_seconds{suffix}"] = _ratio(
            lookup(o, label, "ingest", "wall_seconds"), lookup(b, label, "ingest", "wall_seconds")
        )
    out["cold_start_seconds"] = _ratio(
        lookup(o, "seed", "cold_start", "median_s"), lookup(b, "seed", "cold_start", "median_s")
    )
    for label in ("seed", "generated"):
        out[f"warm_p50_{label}"] = _ratio(
            lookup(o, label, "serve", "p50_ms"), lookup(b, label, "serve", "p50_ms")
        )
        out[f"peak_rss_{label}"] = _ratio(
            lookup(o, label, "serve", "peak_rss_mb"), lookup(b, label, "serve", "peak_rss_mb")
        )
    return out


def _le(value: Any, limit: float) -> bool | None:
    return None if not isinstance(value, int | float) else bool(value <= limit)


def _ge(value: Any, limit: Any) -> bool | None:
    if not isinstance(value, int | float) or not isinstance(limit, int | float):
        return None
    return bool(value >= limit)


def targets(results: dict[str, Any]) -> dict[str, bool | None]:
    """Each target as True/False; None where it was not measured (e.g. no baseline)."""
    o, b = results.get("ours", {}), results.get("baseline", {})
    t = TARGETS
    shares = [lookup(o, label, "ingest", "share_truncated") for label in ("seed", "generated")]
    reingest_s = lookup(o, "generated", "reingest", "seconds")
    reingest_calls = lookup(o, "generated", "reingest", "embedding_calls")
    baseline_rate = lookup(b, "generated", "ingest", "embedded_wp_per_s")
    return {
        "every_word_piece_embedded": (
            None if None in shares else all(s <= t["share_truncated"] for s in shares)
        ),
        "embedded_wp_per_s_2_5x_baseline": _ge(
            lookup(o, "generated", "ingest", "embedded_wp_per_s"),
            None if baseline_rate is None else t["wp_per_s_vs_baseline"] * baseline_rate,
        ),
        "ingest_wall_time_le_baseline": _ge(
            lookup(b, "generated", "ingest", "wall_seconds"),
            lookup(o, "generated", "ingest", "wall_seconds"),
        ),
        "pipeline_within_20pct_of_raw": _ge(
            lookup(o, "generated", "pipeline_vs_raw"), t["pipeline_vs_raw"]
        ),
        "reingest_le_3s_zero_embedding_calls": (
            None if reingest_s is None or reingest_calls is None
            else reingest_s <= t["reingest_seconds"] and reingest_calls == 0
        ),
        "warm_p50_seed_le_15ms": _le(lookup(o, "seed", "serve", "p50_ms"), t["warm_p50_ms_seed"]),
        "warm_p50_generated_le_40ms": _le(
            lookup(o, "generated", "serve", "p50_ms"), t["warm_p50_ms_generated"]
        ),
        "cold_start_le_2_5s": _le(
            lookup(o, "seed", "cold_start", "median_s"), t["cold_start_seconds"]
        ),
        "peak_rss_seed_le_350mb": _le(
            lookup(o, "seed", "serve", "peak_rss_mb"), t["peak_rss_mb_seed"]
        ),
        "peak_rss_generated_le_500mb": _le(
            lookup(o, "generated", "serve", "peak_rss_mb"), t["peak_rss_mb_generated"]
        ),
    }


def _notes(results: dict[str, Any]) -> list[str]:
    n = results["config"]["generated_articles"]
    notes = [
        f"'generated' is {n} articles from bench.synthetic (fixed seed), about 600 words each, "
        "French with some English, plus the 5 seed articles (so the dev questions have their "
        "answers in it); 'seed' is corpus/articles alone. Both sides ingest the same folders.",
        "Targets on throughput, pipeline overhead, re-ingest and ingest time are judged on the "
        "generated corpus; the seed corpus is too small for rates to mean more than start-up.",
        "Warm latency: ours is Engine.ask (hybrid retrieval + extractive answer); the baseline "
        "is retrieval only (no LLM), so it does strictly less work per question.",
        "Re-ingest seconds are in-process (Engine.ingest on the unchanged corpus); "
        "wall_seconds adds interpreter start and imports.",
    ]
    cores = results["machine"].get("usable_cores") or results["machine"].get("cores") or 1
    loads = [results["machine"].get(k) for k in ("load_average_start", "load_average_end")]
    busiest = max((x[0] for x in loads if x), default=0.0)
    if busiest > cores + 0.5:
        notes.append(
            f"The machine was busy (1-min load average up to {busiest} on {cores} cores, "
            "counting this bench's own ~2): timings are pessimistic for both sides; compare "
            "cpu_seconds with wall_seconds to see how much CPU each step actually got."
        )
    for label in ("seed", "generated"):
        for key, value in (lookup(results, "ours", label) or {}).items():
            if isinstance(value, dict) and "error" in value:
                notes.append(f"ours/{label}/{key} failed: {value['error'][:300]}")
        baseline = lookup(results, "baseline", label)
        if isinstance(baseline, dict) and "error" in baseline:
            notes.append(f"baseline/{label} failed: {baseline['error'][:300]}")
    return notes


# -- the Markdown table ----------------------------------------------------------------------
def _fmt(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text}{unit}"


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("✅ pass" if ok else "❌ fail")


def format_table(results: dict[str, Any]) -> str:
    """A Markdown report: ours vs baseline vs target, pass/fail, for the README."""
    o, b = results.get("ours", {}), results.get("baseline", {})
    tg = results.get("targets", {})
    n = lookup(results, "config", "generated_articles")
    m = results.get("machine", {})
    gen = f"{n:,} generated + 5 seed" if isinstance(n, int) else "generated"
    rows: list[tuple[str, str, str, str, str, str]] = []

    def row(metric: str, corpus: str, ours: str, theirs: str, target: str = "",
            ok: bool | None = None) -> None:
        rows.append((metric, corpus, ours, theirs, target, _mark(ok) if target else ""))

    for label, name in (("seed", "seed (5)"), ("generated", gen)):
        row("ingest, articles/s", name, _fmt(lookup(o, label, "ingest", "articles_per_s"), 2),
            _fmt(lookup(b, label, "ingest", "articles_per_s"), 2))
        row("ingest, chunks/s", name, _fmt(lookup(o, label, "ingest", "chunks_per_s")),
            _fmt(lookup(b, label, "ingest", "chunks_per_s")))
        row("chunks", name, _fmt(lookup(o, label, "ingest", "chunks")),
            _fmt(lookup(b, label, "ingest", "chunks")))
    row("embedded word pieces/s", gen,
        _fmt(lookup(o, "generated", "ingest", "embedded_wp_per_s"), 0),
        _fmt(lookup(b, "generated", "ingest", "embedded_wp_per_s"), 0), "≥ 2.5× baseline",
        tg.get("embedded_wp_per_s_2_5x_baseline"))
    for label, name in (("seed", "seed (5)"), ("generated", gen)):
        share_o = lookup(o, label, "ingest", "share_truncated")
        share_b = lookup(b, label, "ingest", "share_truncated")
        row("share of text truncated", name,
            _fmt(None if share_o is None else 100 * share_o, 1, " %"),
            _fmt(None if share_b is None else 100 * share_b, 1, " %"), "0 %",
            tg.get("every_word_piece_embedded"))
    row("ingest wall time", gen, _fmt(lookup(o, "generated", "ingest", "wall_seconds"), 1, " s"),
        _fmt(lookup(b, "generated", "ingest", "wall_seconds"), 1, " s"), "≤ baseline",
        tg.get("ingest_wall_time_le_baseline"))
    row("raw encoder, word pieces/s", gen,
        _fmt(lookup(o, "generated", "raw_embedding", "wp_per_s"), 0), "")
    row("ingest rate / raw encoder rate", gen, _fmt(lookup(o, "generated", "pipeline_vs_raw"), 2),
        "", "≥ 0.80", tg.get("pipeline_within_20pct_of_raw"))
    re_s = lookup(o, "generated", "reingest", "seconds")
    re_calls = lookup(o, "generated", "reingest", "embedding_calls")
    row("re-ingest unchanged: seconds / embedding calls", gen,
        f"{_fmt(re_s, 2, ' s')} / {_fmt(re_calls)}",
        f"{_fmt(lookup(b, 'generated', 'reingest', 'seconds'), 1, ' s')} / "
        f"{_fmt(lookup(b, 'generated', 'reingest', 'embedding_calls'))}",
        "≤ 3 s / 0", tg.get("reingest_le_3s_zero_embedding_calls"))
    for label, name, limit, key in (
        ("seed", "seed (5)", "≤ 15 ms", "warm_p50_seed_le_15ms"),
        ("generated", gen, "≤ 40 ms", "warm_p50_generated_le_40ms"),
    ):
        row("warm latency p50 / p95", name,
            f"{_fmt(lookup(o, label, 'serve', 'p50_ms'))} / "
            f"{_fmt(lookup(o, label, 'serve', 'p95_ms'))} ms",
            f"{_fmt(lookup(b, label, 'serve', 'p50_ms'))} / "
            f"{_fmt(lookup(b, label, 'serve', 'p95_ms'))} ms",
            f"p50 {limit}", tg.get(key))
    row("cold start to printed answer (median of 3)", "seed (5)",
        _fmt(lookup(o, "seed", "cold_start", "median_s"), 2, " s"),
        _fmt(lookup(b, "seed", "cold_start", "median_s"), 2, " s"), "≤ 2.5 s",
        tg.get("cold_start_le_2_5s"))
    for label, name, limit, key in (
        ("seed", "seed (5)", "≤ 350 MiB", "peak_rss_seed_le_350mb"),
        ("generated", gen, "≤ 500 MiB", "peak_rss_generated_le_500mb"),
    ):
        row("peak RSS, serving process", name,
            _fmt(lookup(o, label, "serve", "peak_rss_mb"), 0, " MiB"),
            _fmt(lookup(b, label, "serve", "peak_rss_mb"), 0, " MiB"), limit, tg.get(key))

    head = ("Metric", "Corpus", "talentbot", "llama-index baseline", "Target", "")
    lines = [
        f"Machine: {m.get('cpu_model', '?')}, {m.get('cores', '?')} cores, "
        f"{m.get('memory_gb', '?')} GB, Python {m.get('python', '?')}.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] * len(head)) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    skipped = lookup(b, "skipped")
    if skipped:
        lines += ["", f"Baseline not run: {skipped}."]
    phases = lookup(o, "generated", "ingest", "phases")
    if isinstance(phases, dict) and phases:
        lines += ["", f"Where our cold ingest time goes ({gen}):", "",
                  "| Phase | Seconds | Share |", "|---|---|---|"]
        for name, p in sorted(phases.items(), key=lambda kv: -kv[1]["seconds"]):
            lines.append(f"| {name} | {p['seconds']:.1f} | {100 * p['share']:.0f} % |")
    notes = results.get("notes") or []
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines)


# -- the worker side (runs in a fresh `python -m bench.harness worker ...`) ----------------------
class PhaseClock:
    """Exclusive ("self") time per wrapped function: nested wrapped calls are not counted
    twice, so the phases add up to the time spent inside them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[Any]] = []
        self._thread = threading.get_ident()

    def enter(self, name: str) -> None:
        self._stack.append([name, time.perf_counter(), 0.0])

    def leave(self) -> None:
        name, started, children = self._stack.pop()
        total = time.perf_counter() - started
        self.seconds[name] = self.seconds.get(name, 0.0) + total - children
        self.calls[name] = self.calls.get(name, 0) + 1
        if self._stack:
            self._stack[-1][2] += total

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """One step the ingest reports through its `phases` callback (index/ingest.py)."""
        if threading.get_ident() != self._thread:
            yield
            return
        self.enter(name)
        try:
            yield
        finally:
            self.leave()

    def wrap(self, owner: Any, attr: str, name: str,
             before: Callable[..., None] | None = None) -> bool:
        """Time `owner.attr` as phase `name`; False (and no change) if it does not exist."""
        original = getattr(owner, attr, None)
        if original is None or not callable(original):
            return False
        clock = self

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != clock._thread:
                return original(*args, **kwargs)
            if before is not None:
                before(*args, **kwargs)
            clock.enter(name)
            try:
                return original(*args, **kwargs)
            finally:
                clock.leave()

        setattr(owner, attr, timed)
        return True

    def wrap_generator(self, owner: Any, attr: str, name: str) -> bool:
        original = getattr(owner, attr, None)
        if original is None:
            return False
        clock = self

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            items = original(*args, **kwargs)
            while True:
                clock.enter(name)
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    clock.leave()
                yield item

        setattr(owner, attr, timed)
        return True

    def report(self, total: float) -> dict[str, dict[str, float]]:
        out = {
            name: {"seconds": round(s, 3), "calls": self.calls[name],
                   "share": round(s / total, 4) if total else 0.0}
            for name, s in self.seconds.items()
        }
        rest = total - sum(self.seconds.values())
        out["other"] = {"seconds": round(rest, 3), "calls": 1,
                        "share": round(rest / total, 4) if total else 0.0}
        return out


class EmbedTap:
    """Sees every text the encoder embeds (to count calls and to replay them raw)."""

    def __init__(self, keep_texts: bool) -> None:
        self.keep_texts = keep_texts
        self.texts: list[str] = []
        self.calls = 0
        self.invocations = 0
        self.encoders: list[Any] = []

    def __call__(self, encoder: Any, texts: Sequence[str], *args: Any, **kwargs: Any) -> None:
        self.invocations += 1
        self.calls += len(texts)
        if self.keep_texts:
            self.texts.extend(texts)
        if not any(e is encoder for e in self.encoders):
            self.encoders.append(encoder)

    def tokens_embedded(self) -> int | None:
        counts = [getattr(e, "tokens_embedded", None) for e in self.encoders]
        ints = [c for c in counts if isinstance(c, int)]
        return sum(ints) if counts and len(ints) == len(counts) else None


def _instrument_ingest(clock: PhaseClock, tap: EmbedTap) -> list[str]:
    """Time what runs below the ingest's own steps (those it reports through its `phases`
    callback, `clock.phase`): the encoder, the keyword cache's save, the store's reads.
    Returns what could not be wrapped (code moved)."""
    import index.encoder as encoder
    import index.keyword as keyword
    import index.store as store

    missing = []
    plan: list[tuple[Any, str, str]] = [
        (keyword.KeywordIndex, "save", "keyword_save"),
        (encoder.OnnxEncoder, "_load", "model_load"),
        (encoder.UseEncoder, "_load", "model_load"),
        (encoder.WordPieceTokenizer, "__call__", "count_word_pieces"),
        (encoder.SentencePieceCounter, "__call__", "count_word_pieces"),
    ]
    for owner, attr, name in plan:
        if not clock.wrap(owner, attr, name):
            missing.append(f"{getattr(owner, '__name__', owner)}.{attr}")
    for owner in (encoder.OnnxEncoder, encoder.UseEncoder):
        if not clock.wrap(owner, "embed", "embed", before=tap):
            missing.append(f"{owner.__name__}.embed")
    if not clock.wrap_generator(store.ChunkStore, "iter_chunks", "chroma_read"):
        missing.append("ChunkStore.iter_chunks")
    return missing


def _settings(args: dict[str, Any]) -> Any:
    from index.settings import EngineSettings

    return EngineSettings(
        TALENTBOT_CORPUS_DIR=Path(args["corpus"]),  # type: ignore[call-arg]
        TALENTBOT_DATA_DIR=Path(args["data"]),
        _env_file=None,
    )


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    """User + system CPU of this process: next to wall time it shows whether the process
    had the cores (~2x wall while embedding on 2 cores) or shared them with other load."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def worker_ingest(args: dict[str, Any]) -> dict[str, Any]:
    clock, tap = PhaseClock(), EmbedTap(keep_texts=bool(args.get("texts_out")))
    missing = _instrument_ingest(clock, tap)
    started = time.perf_counter()
    # llama-index is imported inside the ingest; importing it here, timed, shows its share
    # while the import still counts towards the ingest's time.
    clock.enter("import_llama_index")
    import llama_index.core.ingestion
    import llama_index.core.node_parser  # noqa: F401

    clock.leave()
    from index.ingest import ingest

    report = ingest(_settings(args), phases=clock.phase)
    done_at = time.time()
    seconds = time.perf_counter() - started
    embedded = tap.tokens_embedded()
    if embedded is None:
        embedded = report.word_pieces - report.truncated_word_pieces
    if args.get("texts_out"):
        Path(args["texts_out"]).write_text(json.dumps(tap.texts, ensure_ascii=False))
    return {
        "articles": report.articles_seen,
        "chunks": report.chunks_written,
        "embedded_chunks": report.embedded_chunks,
        "encoder_texts": tap.calls,
        "word_pieces": report.word_pieces,
        "truncated_word_pieces": report.truncated_word_pieces,
        "embedded_word_pieces": embedded,
        "share_truncated": round(report.truncated_word_pieces / report.word_pieces, 6)
        if report.word_pieces else 0.0,
        "skipped": len(report.skipped),
        "duplicates": len(report.duplicates),
        "seconds": round(seconds, 3),
        "engine_ingest_seconds": round(report.seconds, 3),
        "peak_rss_mb": _peak_rss_mb(),
        "cpu_seconds": _cpu_seconds(),
        "phases": clock.report(seconds),
        "not_instrumented": missing,
        "done_at": done_at,
    }


def worker_reingest(args: dict[str, Any]) -> dict[str, Any]:
    clock, tap = PhaseClock(), EmbedTap(keep_texts=False)
    missing = _instrument_ingest(clock, tap)
    from index.ingest import ingest

    settings = _settings(args)
    had_llama_index = "llama_index.core" in sys.modules
    started = time.perf_counter()
    report = ingest(settings, phases=clock.phase)
    seconds = time.perf_counter() - started
    done_at = time.time()
    return {
        # Nothing to embed needs no pipeline: this says whether llama-index was imported anyway.
        "imported_llama_index": not had_llama_index and "llama_index.core" in sys.modules,
        "seconds": round(seconds, 3),
        "embedding_calls": tap.calls,
        "embedded_chunks": report.embedded_chunks,
        "articles_unchanged": report.articles_unchanged,
        "articles_seen": report.articles_seen,
        "model_loaded": "model_load" in clock.calls,
        "phases": clock.report(seconds),
        "not_instrumented": missing,
        "done_at": done_at,
    }


def worker_raw(args: dict[str, Any]) -> dict[str, Any]:
    from index.encoder import load_encoder
    from index.settings import EngineSettings

    texts: list[str] = json.loads(Path(args["texts"]).read_text())
    total = len(texts)
    limit = int(args.get("limit") or 0)
    if limit and total > limit:
        step = total / limit
        texts = [texts[int(i * step)] for i in range(limit)]
    settings = EngineSettings(_env_file=None)  # type: ignore[call-arg]
    encoder = load_encoder(settings.embed_model, settings.embed_threads)
    encoder.embed(["warm up"])
    before = encoder.tokens_embedded
    started = time.perf_counter()
    encoder.embed(texts)
    seconds = time.perf_counter() - started
    pieces = encoder.tokens_embedded - before
    return {
        "texts": len(texts),
        "sampled_from": total,
        "word_pieces": pieces,
        "seconds": round(seconds, 3),
        "wp_per_s": round(pieces / seconds, 1) if seconds else None,
        "texts_per_s": round(len(texts) / seconds, 2) if seconds else None,
        "cpu_seconds": _cpu_seconds(),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_summary(rounds: list[list[float]]) -> dict[str, Any]:
    """p50/p95 in ms over every round but the first (warm-up)."""
    kept = [s for r in rounds[1:] for s in r] or [s for r in rounds for s in r]
    ms = [1000 * s for s in kept]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
        "max_ms": round(max(ms), 2) if ms else None,
        "samples": len(ms),
        "first_round_p50_ms": round(1000 * percentile(rounds[0], 50), 2) if rounds else None,
    }


def worker_serve(args: dict[str, Any]) -> dict[str, Any]:
    from index.engine import Engine

    questions: list[str] = json.loads(Path(args["questions"]).read_text(encoding="utf-8"))
    rounds = int(args.get("rounds") or ROUNDS)
    started = time.perf_counter()
    engine = Engine(_settings(args))
    engine.warm_up()
    load_seconds = time.perf_counter() - started
    timings: list[list[float]] = []
    abstained = 0
    for r in range(rounds):
        current = []
        for question in questions:
            t0 = time.perf_counter()
            answer = engine.ask(question)
            current.append(time.perf_counter() - t0)
            abstained += int(r == 0 and answer.abstained)
        timings.append(current)
    result = latency_summary(timings)
    # Retrieval alone, for a like-for-like look at the baseline (which does only that).
    retriever = engine.snapshot().retriever
    only: list[list[float]] = []
    for _ in range(rounds):
        current = []
        for question in questions:
            t0 = time.perf_counter()
            retriever.retrieve(question)
            current.append(time.perf_counter() - t0)
        only.append(current)
    result["retrieval_only"] = latency_summary(only)
    result.update(
        load_seconds=round(load_seconds, 3),
        questions=len(questions),
        abstained=abstained,
        peak_rss_mb=_peak_rss_mb(),
        cpu_seconds=_cpu_seconds(),
    )
    return result


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ingest": worker_ingest,
    "reingest": worker_reingest,
    "raw": worker_raw,
    "serve": worker_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 3 or argv[0] != "worker" or argv[1] not in WORKERS:
        print(f"usage: python -m bench.harness worker {{{','.join(WORKERS)}}} JSON_ARGS",
              file=sys.stderr)
        return 2
    import logging

    logging.basicConfig(level=logging.WARNING)
    result = WORKERS[argv[1]](json.loads(argv[2]))
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
