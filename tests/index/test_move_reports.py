"""One move, many reports (index/moves/reports.py): the same person, origin and destination
stated by several articles is one move with all its evidence."""

from __future__ import annotations

from pathlib import Path

from index.corpus import Article
from index.moves.reports import count_people, group_reports
from index.moves.store import MoveStore
from index.moves.summary import company_summary
from index.organisations import Organisation
from index.types import CompanySummary, Move


def record(article: str, date: str | None, from_org: str | None = "Lumenfeld",
           to_org: str | None = "Quillwork AI", role: str | None = None,
           person: str = "Maëlle Ardent") -> Move:
    return Move(person, from_org, to_org, "joined", article, f"{person} moved.", 0, role, date,
                "text" if date else None)


def test_one_move_reported_by_three_articles_is_one_report_newest_first() -> None:
    reports = group_reports([
        record("a1", "2025-03", role="CTO"),
        record("a2", "2025-04-02", role="directrice technique"),
        record("a3", None),
        record("a2", "2025-04-02", person="Maelle Ardent"),  # the same name, folded
    ])
    assert len(reports) == 1
    report = reports[0]
    assert report.articles == ("a2", "a1", "a3")
    assert report.dates == ("2025-04-02", "2025-03")  # they disagree: both kept
    assert report.roles == ("directrice technique", "CTO")
    assert report.move.date == "2025-04-02"


def test_an_open_side_is_one_more_report_only_when_it_can_mean_one_move() -> None:
    one = group_reports([record("a1", "2025-03"), record("a2", "2025-02", to_org=None)])
    assert [len(r.records) for r in one] == [2]
    # She left Lumenfeld twice (for Quillwork AI, later for Brisemer): "left Lumenfeld" alone
    # could be either, so it stays its own report.
    two = group_reports([record("a1", "2025-03"), record("a2", "2026-01", to_org="Brisemer"),
                         record("a3", "2025-02", to_org=None)])
    assert sorted(len(r.records) for r in two) == [1, 1, 1]


def test_different_moves_and_people_stay_apart_and_people_count_once() -> None:
    moves = [record("a1", "2025-03"), record("a2", "2025-03"),
             record("a1", "2023", from_org="Brisemer", to_org="Lumenfeld"),
             record("a3", "2025-05", person="Ysolde Marchetti")]
    assert len(group_reports(moves)) == 3
    assert count_people(moves) == 2


def test_a_company_summary_lists_a_move_two_articles_report_once(tmp_path: Path) -> None:
    store = MoveStore(tmp_path / "moves.sqlite3")
    for article_id, date in (("a1", "2025-03"), ("a2", "2025-04-02")):
        body = "Maëlle Ardent a quitté Lumenfeld pour Quillwork AI."
        store.replace_article(Article(article_id, "Titre", body, published="2025-05-01"), "r1",
                              [Move("Maëlle Ardent", "Lumenfeld", "Quillwork AI", "joined",
                                    article_id, body, 0, None, date, "text")])
    org = Organisation("Quillwork AI")
    summary = company_summary(org, store, "en", CompanySummary("Quillwork AI", False, "", ()))
    assert [c.move.article_id for c in summary.arrivals] == ["a2"]  # the newest report
    assert summary.summary.startswith("Quillwork AI: 1 arrival(s)")
    store.close()
