"""The `talentbot` commands: one handler per subcommand, given the parsed arguments.

Handlers print through `bot/term_render.py` (text) or as JSON; `bot/cli.py` parses the
arguments and turns errors into one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.term_render import (
    render_answer,
    render_cited,
    render_company,
    render_ingest,
    render_moves,
    skip_lines,
)
from index import redact
from index.errors import TalentbotError

if TYPE_CHECKING:
    from index.engine import Engine
    from index.types import IngestReport

EXIT_SKIPPED = 3


# -- engine access ------------------------------------------------------------------------
def _engine() -> Engine:
    from index.engine import Engine
    from index.settings import load_engine_settings

    return Engine(load_engine_settings())


def _ready_engine() -> Engine:
    """An engine with an index: built from the corpus first if there is none."""
    engine = _engine()
    if not engine.has_index():
        print(f"Building the index from {engine.settings.corpus_dir} ...", file=sys.stderr)
        report = _ingest_with_progress(engine, None, rebuild=False)
        _print_skips(report, sys.stderr)
    return engine


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from bot.terminal import raw_stream

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), transient=True,
        console=Console(file=raw_stream(sys.stderr)),  # its own escapes: a fixed label, numbers
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _ingest_with_progress(
    engine: Engine, paths: Sequence[Path] | None, rebuild: bool
) -> IngestReport:
    with _progress("Indexing articles") as update:
        return engine.ingest(paths, rebuild=rebuild, progress=update)


def _print_skips(report: IngestReport, out: TextIO) -> None:
    for line in skip_lines(report):
        print(line, file=out)


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# -- commands -----------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    engine = _engine()
    report = _ingest_with_progress(engine, args.paths or None, args.rebuild)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(render_ingest(report))
        _print_skips(report, sys.stdout)
    return EXIT_SKIPPED if report.skipped and not args.allow_skips else 0


def cmd_ask(args: argparse.Namespace) -> int:
    answer = _ready_engine().ask(" ".join(args.question))
    if args.json:
        _print_json(answer.to_dict())
    else:
        print(render_answer(answer))
    return 0


def cmd_company(args: argparse.Namespace) -> int:
    from index.chart import flow_chart

    summary = _ready_engine().company(" ".join(args.name), args.lang)
    chart = flow_chart(summary, args.chart, args.lang) if args.chart else None
    if args.json:
        # "chart": where this command drew it (null without --chart or for an unknown name).
        _print_json(dict(summary.to_dict(), chart=str(chart) if chart else None))
    else:
        print(render_company(summary, chart))
    return 0


def cmd_person(args: argparse.Namespace) -> int:
    summary = _ready_engine().person(" ".join(args.name), args.lang)
    if args.json:
        _print_json(summary.to_dict())
    else:
        print(render_cited(summary.summary, summary.citations))
    return 0


def cmd_moves(args: argparse.Namespace) -> int:
    import re

    from index.moves.query import MoveFilter

    if args.since and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", args.since):
        raise TalentbotError(f"--since {args.since!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    engine = _ready_engine()
    f = MoveFilter(
        from_org=engine.organisation(args.from_org) if args.from_org else None,
        to_org=engine.organisation(args.to_org) if args.to_org else None,
        since=args.since,
    )
    rows = engine.moves(f)
    if args.json:
        _print_json([dict(m.to_dict(), citation=c.to_dict()) for m, c in rows])
    else:
        print(render_moves(rows))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    engine = _ready_engine()
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask about AI talent moves (English or French). Ctrl-D to quit.")
    from bot.terminal import lines

    previous: list[str] = []
    for line in lines(sys.stdin, "> " if interactive else ""):
        question = line.strip()
        if not question:
            continue
        if question.casefold() in {"quit", "exit", ":q"}:
            return 0
        try:
            # The earlier questions, all of them: the engine decides whether this one
            # follows up on them (index/question.py), as it does for a Discord thread.
            answer = engine.ask(question, previous)
        except TalentbotError as exc:
            print(f"talentbot: {redact.redact(str(exc))}")
            continue
        previous.append(question)
        print(render_answer(answer))
        print()
    if interactive:
        print()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if os.environ.get("DISCORD_TOKEN") or _dotenv_has("DISCORD_TOKEN"):
        return cmd_serve(args)
    return cmd_chat(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.app import run_bot

    return run_bot()


def cmd_sync(args: argparse.Namespace) -> int:
    from bot.app import sync_commands

    return sync_commands(args.guild)


def _dotenv_has(key: str) -> bool:
    from dotenv import dotenv_values

    return bool(dotenv_values(".env").get(key))


def cmd_doctor(args: argparse.Namespace) -> int:
    from index.ops import doctor

    engine = _engine()
    token = bool(os.environ.get("DISCORD_TOKEN") or _dotenv_has("DISCORD_TOKEN"))
    checks = doctor(engine, token, quick=args.quiet)
    if args.gateway:
        from bot.settings import load_bot_settings
        from bot.status import gateway_check, status_path

        checks.append(gateway_check(status_path(load_bot_settings(), engine.settings.data_dir)))
    healthy = all(c.ok for c in checks if c.required)
    if args.json:
        _print_json({"healthy": healthy, "checks": [c.to_dict() for c in checks]})
    elif not args.quiet:
        for c in checks:
            mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
            print(f"[{mark}] {c.name}: {c.detail}")
        print("healthy" if healthy else "not healthy")
    return 0 if healthy else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from index.ops import backup
    from index.settings import load_engine_settings

    path = backup(load_engine_settings(), args.out)
    print(f"Backed up to {path} ({path.stat().st_size:,} bytes).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from index.ops import restore
    from index.settings import load_engine_settings

    restore(load_engine_settings(), args.archive)
    print(f"Restored the index from {args.archive}.")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    _checkout_tooling()
    from bench.evaluate import evaluate

    if not args.file.is_file():
        raise TalentbotError(f"{args.file}: no such evaluation file")
    result = evaluate(_ready_engine(), args.file)
    data = result.to_dict()
    if args.json:
        _print_json(data)
    else:
        print(f"hit@3        {data['hit_at_3']:.1%} of {data['questions']} questions")
        print(f"fact recall  {data['fact_recall']:.1%} of {result.facts} facts")
        print(f"abstention   {result.abstained}/{result.unanswerable} unanswerable abstained")
        print(f"companies    {result.companies_passed}/{result.companies} checks passed")
        for failure in result.failures:
            print(f"  - {failure}")
        if result.moves is not None:
            _print_move_score(data["moves"])
    return 0


def _print_move_score(moves: dict[str, Any]) -> None:
    fields = moves["per_field"]
    print(f"moves        recall {moves['recall']:.1%} ({moves['found']}/{moves['gold']}), "
          f"precision {moves['precision']:.1%} ({moves['right']}/{moves['records']} records "
          "about gold people)")
    print(f"  per field  person {fields['person']:.1%}, from {fields['from']:.1%}, "
          f"to {fields['to']:.1%}")
    for miss in moves["missed"]:
        print(f"  - missed {miss}")
    for wrong in moves["wrong"]:
        print(f"  - wrong  {wrong}")


def cmd_bench(args: argparse.Namespace) -> int:
    _checkout_tooling()
    from bench.harness import format_table, run_bench

    results = run_bench(quick=args.quick, articles=args.articles)
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


def _checkout_tooling() -> None:
    """Make the checkout's `bench/` package importable: the benchmarks and the evaluation
    harness live beside the engine, not in the installed package."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "bench" / "__init__.py").is_file():
        raise TalentbotError(
            "This command runs from a source checkout of talentbot (its bench/ folder is "
            "not installed with the package)."
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
