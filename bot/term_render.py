"""What the command line prints, as text: answers, company and person summaries, move
records, ingest reports. Plain strings only; `bot/terminal.py` cleans everything printed
(the one place that sanitises), as `bot/render.py` shapes the same data for Discord."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.types import Answer, Citation, CompanySummary, IngestReport, Move


def source_line(c: Citation) -> str:
    """`[n] title, outlet, date <url>` for one citation."""
    parts = [c.title, *(p for p in (c.outlet, c.published) if p)]
    line = f"[{c.n}] " + ", ".join(parts)
    return f"{line} <{c.url}>" if c.url else line


def render_answer(answer: Answer) -> str:
    if answer.abstained or not answer.citations:
        return answer.text
    lines = [answer.text, "", "Sources:" if answer.language == "en" else "Sources :"]
    for c in answer.citations:
        lines.append(source_line(c))
        if c.quote not in answer.text:  # e.g. a records answer: show the evidence
            lines.append(f"    “{c.quote}”")
    return "\n".join(lines)


def render_cited(text: str, citations: Sequence[Citation]) -> str:
    if not citations:
        return text
    return "\n".join([text, "", "Sources:", *(source_line(c) for c in citations)])


def render_company(summary: CompanySummary, chart: Path | None = None) -> str:
    text = render_cited(summary.summary, summary.citations)
    return f"{text}\n\nChart: {chart}" if chart else text


def render_moves(rows: Sequence[tuple[Move, Citation]]) -> str:
    from index.moves.query import describe

    if not rows:
        return "No move records match."
    lines: list[str] = []
    for move, citation in rows:
        lines.append(f"- {describe(move, 'en')} [{move.article_id}]")
        lines.append(f"    “{citation.quote}”")
    return "\n".join(lines)


def render_ingest(report: IngestReport) -> str:
    return (
        f"{report.articles_seen} articles: {report.articles_added} added, "
        f"{report.articles_updated} updated, {report.articles_removed} removed, "
        f"{report.articles_unchanged} unchanged; {report.embedded_chunks} chunks embedded "
        f"in {report.seconds:.1f} s."
    )


def skip_lines(report: IngestReport) -> Iterator[str]:
    """One line per file an ingest skipped or did not index twice."""
    for item in report.skipped:
        yield f"skipped {item.path}: {item.reason}"
    for item in report.duplicates:
        yield f"not indexed twice: {item.path}: {item.reason}"
