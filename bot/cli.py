"""The `talentbot` command line: ingest, ask, company, chat, eval, bench, run.

This module parses the arguments and is the error edge: errors end as one line on stderr
and a non-zero exit, never a traceback; domain errors carry their own message, anything
unexpected is logged with an error id. The handlers are in `bot/commands.py`, the text they
print is shaped in `bot/term_render.py`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from bot import commands
from index import redact
from index.errors import TalentbotError

log = logging.getLogger("talentbot")
EXIT_ERROR = 2


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
    s.set_defaults(func=commands.cmd_ingest)

    s = sub.add_parser("ask", help="answer one question with citations")
    s.add_argument("question", nargs="+")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=commands.cmd_ask)

    s = sub.add_parser("company", help="who joined and left a company")
    s.add_argument("name", nargs="+")
    s.add_argument("--lang", choices=["en", "fr"], default="en", help="language of the summary")
    s.add_argument("--chart", type=Path, metavar="OUT.png", help="write the talent-flow chart")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=commands.cmd_company)

    s = sub.add_parser("person", help="a person's moves, with sources")
    s.add_argument("name", nargs="+")
    s.add_argument("--lang", choices=["en", "fr"], default="en")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=commands.cmd_person)

    s = sub.add_parser("moves", help="list move records, filtered")
    s.add_argument("--from", dest="from_org", metavar="ORG")
    s.add_argument("--to", dest="to_org", metavar="ORG")
    s.add_argument("--since", metavar="DATE", help="YYYY, YYYY-MM or YYYY-MM-DD")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=commands.cmd_moves)

    s = sub.add_parser("chat", help="interactive local chat (one question per line)")
    s.set_defaults(func=commands.cmd_chat)

    s = sub.add_parser("run", help="the Discord bot if DISCORD_TOKEN is set, else chat")
    s.set_defaults(func=commands.cmd_run)

    s = sub.add_parser("serve", help="run the Discord bot (needs DISCORD_TOKEN)")
    s.set_defaults(func=commands.cmd_serve)

    s = sub.add_parser("sync-commands", help="register the slash commands globally, then exit")
    s.add_argument("--guild", type=int, metavar="ID",
                   help="register them in this server only (shown at once)")
    s.set_defaults(func=commands.cmd_sync)

    s = sub.add_parser("doctor", help="check settings, token, model, store, index, LLM")
    s.add_argument("--quiet", action="store_true", help="no report; exit code only")
    s.add_argument("--gateway", action="store_true",
                   help="also require the running bot to be connected to Discord "
                   "(read from its status file; for container health checks)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=commands.cmd_doctor)

    s = sub.add_parser("backup", help="archive the embedded store and move records")
    s.add_argument("out", type=Path, metavar="OUT.tar.gz")
    s.set_defaults(func=commands.cmd_backup)

    s = sub.add_parser("restore", help="replace the embedded store with a backup")
    s.add_argument("archive", type=Path, metavar="BACKUP.tar.gz")
    s.set_defaults(func=commands.cmd_restore)

    s = sub.add_parser("eval", help="score the engine on an evaluation file")
    s.add_argument("file", type=Path)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=commands.cmd_eval)

    s = sub.add_parser("bench", help="measure ingest, latency, start-up and memory")
    s.add_argument("--json", action="store_true")
    s.add_argument("--quick", action="store_true", help="seed corpus only, no baseline")
    s.add_argument("--articles", type=int, default=2_000)
    s.set_defaults(func=commands.cmd_bench)
    return p


if __name__ == "__main__":
    sys.exit(main())
