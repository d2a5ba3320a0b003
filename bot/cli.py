"""The `talentbot` command line: ingest, ask, company, chat, eval, bench, run.

Errors end as one line on stderr and a non-zero exit, never a traceback: domain errors
carry their own message; anything unexpected is logged with an error id.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from index import redact
from index.errors import TalentbotError

if TYPE_CHECKING:
    from index.engine import Engine
    from index.types import Answer, CompanySummary, IngestReport

log = logging.getLogger("talentbot")
EXIT_ERROR = 2
EXIT_SKIPPED = 3


def main(argv: Sequence[str] | None = None) -> int:
    from bot.terminal import repair_args, safe_output

    # Everything printed passes terminal_safe (article text may hold escape sequences).
    with safe_output():
        argv = repair_args(sys.argv[1:] if argv is None else argv)
        return _main(argv)


def _main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("TALENTBOT_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact.install()  # no configured secret in any log line (index/redact.py)
    try:
        return int(args.func(args) or 0)
    except TalentbotError as exc:
        print(f"talentbot: {redact.redact(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # the one place that turns bugs into a short message
        error_id = uuid.uuid4().hex[:8]
        log.exception("unexpected error %s", error_id)
        print(
            f"talentbot: something went wrong (error {error_id}); run with "
            "TALENTBOT_LOG_LEVEL=DEBUG for details.",
            file=sys.stderr,
        )
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="talentbot", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="index the corpus (or the given files)")
    s.add_argument("paths", nargs="*", type=Path)
    s.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    s.add_argument("--allow-skips", action="store_true",
                   help="exit 0 even when some files were skipped (they are still listed)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("ask", help="answer one question with citations")
    s.add_argument("question", nargs="+")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("company", help="who joined and left a company")
    s.add_argument("name", nargs="+")
    s.add_argument("--lang", choices=["en", "fr"], default="en", help="language of the summary")
    s.add_argument("--chart", type=Path, metavar="OUT.png", help="write the talent-flow chart")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_company)

    s = sub.add_parser("person", help="a person's moves, with sources")
    s.add_argument("name", nargs="+")
    s.add_argument("--lang", choices=["en", "fr"], default="en")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_person)

    s = sub.add_parser("moves", help="list move records, filtered")
    s.add_argument("--from", dest="from_org", metavar="ORG")
    s.add_argument("--to", dest="to_org", metavar="ORG")
    s.add_argument("--since", metavar="DATE", help="YYYY, YYYY-MM or YYYY-MM-DD")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_moves)

    s = sub.add_parser("chat", help="interactive local chat (one question per line)")
    s.set_defaults(func=cmd_chat)

    s = sub.add_parser("run", help="the Discord bot if DISCORD_TOKEN is set, else chat")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("serve", help="run the Discord bot (needs DISCORD_TOKEN)")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("sync-commands", help="register the slash commands globally, then exit")
    s.add_argument("--guild", type=int, metavar="ID",
                   help="register them in this server only (shown at once)")
    s.set_defaults(func=cmd_sync)

    s = sub.add_parser("doctor", help="check settings, token, model, store, index, LLM")
    s.add_argument("--quiet", action="store_true", help="no report; exit code only")
    s.add_argument("--gateway", action="store_true",
                   help="also require the running bot to be connected to Discord "
                   "(read from its status file; for container health checks)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_doctor)

    s = sub.add_parser("backup", help="archive the embedded store and move records")
    s.add_argument("out", type=Path, metavar="OUT.tar.gz")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", help="replace the embedded store with a backup")
    s.add_argument("archive", type=Path, metavar="BACKUP.tar.gz")
    s.set_defaults(func=cmd_restore)

    s = sub.add_parser("eval", help="score the engine on an evaluation file")
    s.add_argument("file", type=Path)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("bench", help="measure ingest, latency, start-up and memory")
    s.add_argument("--json", action="store_true")
    s.add_argument("--quick", action="store_true", help="seed corpus only, no baseline")
    s.add_argument("--articles", type=int, default=2_000)
    s.set_defaults(func=cmd_bench)
    return p


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


# -- commands -----------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    engine = _engine()
    report = _ingest_with_progress(engine, args.paths or None, args.rebuild)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(
            f"{report.articles_seen} articles: {report.articles_added} added, "
            f"{report.articles_updated} updated, {report.articles_removed} removed, "
            f"{report.articles_unchanged} unchanged; {report.embedded_chunks} chunks embedded "
            f"in {report.seconds:.1f} s."
        )
        _print_skips(report, sys.stdout)
    return EXIT_SKIPPED if report.skipped and not args.allow_skips else 0


def _print_skips(report: IngestReport, out: TextIO) -> None:
    for item in report.skipped:
        print(f"skipped {item.path}: {item.reason}", file=out)
    for item in report.duplicates:
        print(f"not indexed twice: {item.path}: {item.reason}", file=out)


def cmd_ask(args: argparse.Namespace) -> int:
    answer = _ready_engine().ask(" ".join(args.question))
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_answer(answer))
    return 0


def cmd_company(args: argparse.Namespace) -> int:
    name = " ".join(args.name)
    summary = _ready_engine().company(name, args.lang, chart=args.chart)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_company(summary))
    return 0


def cmd_person(args: argparse.Namespace) -> int:
    summary = _ready_engine().person(" ".join(args.name), args.lang)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
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
        print(json.dumps(
            [dict(m.to_dict(), citation=c.to_dict()) for m, c in rows],
            ensure_ascii=False, indent=2,
        ))
        return 0
    from index.moves.query import describe

    for move, citation in rows:
        print(f"- {describe(move, 'en')} [{move.article_id}]")
        print(f"    “{citation.quote}”")
    if not rows:
        print("No move records match.")
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
        print(json.dumps({"healthy": healthy, "checks": [c.to_dict() for c in checks]},
                         ensure_ascii=False, indent=2))
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
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(f"hit@3        {data['hit_at_3']:.1%} of {data['questions']} questions")
        print(f"fact recall  {data['fact_recall']:.1%} of {result.facts} facts")
        print(f"abstention   {result.abstained}/{result.unanswerable} unanswerable abstained")
        print(f"companies    {result.companies_passed}/{result.companies} checks passed")
        for failure in result.failures:
            print(f"  - {failure}")
    return 0


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


# -- rendering for a terminal -------------------------------------------------------------
def _source_line(c: Any) -> str:
    parts = [c.title]
    parts += [p for p in (c.outlet, c.published) if p]
    line = f"[{c.n}] " + ", ".join(parts)
    return f"{line} <{c.url}>" if c.url else line


def render_answer(answer: Answer) -> str:
    if answer.abstained or not answer.citations:
        return answer.text
    lines = [answer.text, "", "Sources:" if answer.language == "en" else "Sources :"]
    for c in answer.citations:
        lines.append(_source_line(c))
        if c.quote not in answer.text:  # e.g. a records answer: show the evidence
            lines.append(f"    “{c.quote}”")
    return "\n".join(lines)


def render_company(summary: CompanySummary) -> str:
    text = render_cited(summary.summary, summary.citations)
    return f"{text}\n\nChart: {summary.chart}" if summary.chart else text


def render_cited(text: str, citations: Sequence[Any]) -> str:
    if not citations:
        return text
    return "\n".join([text, "", "Sources:", *(_source_line(c) for c in citations)])


if __name__ == "__main__":
    sys.exit(main())
