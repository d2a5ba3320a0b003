"""Talent-flow chart for a company: where its arrivals came from, where its departures went.

A diverging bar chart on an opaque card, so it reads the same on Discord's dark and light
themes: arrivals to the left of the axis (from each organisation), departures to the right
(to each), each bar labelled with its count and the people's names.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from index.types import CitedMove, CompanySummary, Language

CARD = "#f2f3f5"
INK = "#1e1f22"
ARRIVAL = "#248046"
DEPARTURE = "#c03537"
_LABELS = {
    "en": ("arrivals from", "departures to", "not stated", "Talent flows: {name}"),
    "fr": ("arrivées depuis", "départs vers", "non précisé", "Flux de talents : {name}"),
}
MAX_ROWS = 12


def _flows(moves: tuple[CitedMove, ...], side: str, unknown: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for item in moves:
        org = (item.move.from_org if side == "from" else item.move.to_org) or unknown
        if item.move.person not in out[org]:
            out[org].append(item.move.person)
    return out


def _names(people: list[str], limit: int = 3) -> str:
    shown = ", ".join(people[:limit])
    return shown + (f" +{len(people) - limit}" if len(people) > limit else "")


def chart_rows(
    summary: CompanySummary, language: Language = "en"
) -> list[tuple[str, list[str], list[str]]]:
    """(counterpart organisation, people who came from it, people who went to it), the
    busiest first: what the chart draws."""
    unknown = _LABELS[language][2]
    inflow = _flows(summary.arrivals, "from", unknown)
    outflow = _flows(summary.departures, "to", unknown)
    orgs = sorted(
        set(inflow) | set(outflow),
        key=lambda o: (-(len(inflow.get(o, [])) + len(outflow.get(o, []))), o),
    )[:MAX_ROWS]
    return [(o, inflow.get(o, []), outflow.get(o, [])) for o in orgs]


def flow_chart(summary: CompanySummary, path: Path, language: Language = "en") -> Path | None:
    """Draw the company's talent flows to `path` (PNG) and return it; None, and no file,
    for a company the corpus does not know. The faces call this (the CLI's `--chart`,
    Discord's /company): the engine returns the summary, a face draws it."""
    if not summary.found:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    left_label, right_label, unknown, title = _LABELS[language]
    table = chart_rows(summary, language) or [(unknown, [], [])]
    orgs = [row[0] for row in table]
    inflow = {org: came for org, came, _ in table}
    outflow = {org: went for org, _, went in table}
    height = 1.6 + 0.55 * len(orgs)
    fig, ax = plt.subplots(figsize=(9, height), dpi=110)
    fig.patch.set_facecolor(CARD)
    ax.set_facecolor(CARD)
    rows = list(range(len(orgs)))[::-1]
    widest = max([len(v) for v in (*inflow.values(), *outflow.values())] or [1])
    for row, org in zip(rows, orgs, strict=True):
        arrived, left = inflow.get(org, []), outflow.get(org, [])
        if arrived:
            ax.barh(row, -len(arrived), color=ARRIVAL, height=0.6)
            ax.text(-len(arrived) - 0.08 * widest, row, f"{len(arrived)}  {_names(arrived)}",
                    ha="right", va="center", color=INK, fontsize=8)
        if left:
            ax.barh(row, len(left), color=DEPARTURE, height=0.6)
            ax.text(len(left) + 0.08 * widest, row, f"{len(left)}  {_names(left)}",
                    ha="left", va="center", color=INK, fontsize=8)
    ax.set_yticks(rows, labels=orgs, color=INK, fontsize=9)
    ax.axvline(0, color=INK, linewidth=0.8)
    span = max(widest, 1) * 3.2  # no moves at all still gives the axis a width
    ax.set_xlim(-span, span)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title.format(name=summary.company), color=INK, fontsize=12, pad=12)
    ax.text(-span * 0.98, len(orgs) - 0.4, f"← {left_label}", color=ARRIVAL, fontsize=9,
            va="bottom")
    ax.text(span * 0.98, len(orgs) - 0.4, f"{right_label} →", color=DEPARTURE, fontsize=9,
            ha="right", va="bottom")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", facecolor=CARD)
    plt.close(fig)
    return path
