"""The reliability suite's report: each check records its numbers; the run writes a table.

Usage in any test under tests/reliability/::

    def test_x(reliability):
        r = reliability(11, "crash safety: kill -9 during ingest")
        ...
        r.record("kills", 20)
        r.record("seconds", 41.2)

`reliability(row, name)` returns a recorder; `record(key, value)` keeps a number (or a short
string or bool) under that key, in the order recorded (recording a key again replaces it).
Several tests may report under the same (row, name): their numbers are merged and the check
passes only when all of them pass. The outcome (passed, failed, skipped, or "known bug
(xfail)" for a test marked xfail that fails as expected) comes from pytest itself, so a test
should record what it measured *before* it asserts on it.

At the end of the session, when at least one test used the fixture, the report is written
with one table row per check, sorted by row number: to build/reliability.md (git-ignored), so
that `make test` leaves the checkout clean, or to the path in TALENTBOT_RELIABILITY_REPORT
(`make reliability-report` regenerates the tracked docs/reliability.md that way). No plugin
is needed: the hooks below live in this conftest.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPORT = Path("build") / "reliability.md"
_OUTCOME_RANK = {"passed": 0, "skipped": 1, "known bug (xfail)": 2, "failed": 3}


@dataclass
class Check:
    """One line of the report: a row of the reliability table and what it measured."""

    row: int
    name: str
    values: dict[str, Any] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)

    def record(self, key: str, value: Any) -> None:
        self.values[str(key)] = value

    @property
    def result(self) -> str:
        if not self.outcomes:
            return "not run"
        return max(self.outcomes, key=lambda o: _OUTCOME_RANK.get(o, 3))


class Registry:
    """Session-wide: every check recorded, and which checks each test used."""

    def __init__(self) -> None:
        self.checks: dict[tuple[int, str], Check] = {}
        self.by_test: dict[str, list[Check]] = {}

    def check(self, nodeid: str, row: int, name: str) -> Check:
        check = self.checks.setdefault((row, name), Check(row, name))
        if nodeid not in check.tests:
            check.tests.append(nodeid)
        self.by_test.setdefault(nodeid, []).append(check)
        return check

    def outcome(self, nodeid: str, outcome: str) -> None:
        for check in self.by_test.get(nodeid, []):
            check.outcomes.append(outcome)


_registry_key = pytest.StashKey[Registry]()


def _registry(config: pytest.Config) -> Registry:
    if _registry_key not in config.stash:
        config.stash[_registry_key] = Registry()
    return config.stash[_registry_key]


@pytest.fixture(scope="session")
def reliability_registry(pytestconfig: pytest.Config) -> Registry:
    return _registry(pytestconfig)


@pytest.fixture
def reliability(
    request: pytest.FixtureRequest, reliability_registry: Registry
) -> Callable[[int, str], Check]:
    """`reliability(row, name)` -> a recorder with `.record(key, value)`."""

    def start(row: int, name: str) -> Check:
        return reliability_registry.check(request.node.nodeid, int(row), str(name))

    return start


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    registry = item.config.stash.get(_registry_key, None)
    if registry is None or item.nodeid not in registry.by_test:
        return
    if report.when == "call" or not report.passed:
        # A failing set-up or tear-down fails the check too; a skip anywhere is a skip; an
        # expected failure (a known bug marked xfail) says so.
        if hasattr(report, "wasxfail") and report.skipped:
            registry.outcome(item.nodeid, "known bug (xfail)")
        else:
            registry.outcome(item.nodeid, "skipped" if report.skipped else report.outcome)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    registry = session.config.stash.get(_registry_key, None)
    if registry is None or not registry.checks:
        return
    path = session.config.rootpath / os.environ.get("TALENTBOT_RELIABILITY_REPORT", REPORT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(registry), encoding="utf-8")


def render(registry: Registry) -> str:
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    lines = [
        "# Reliability results",
        "",
        f"Generated by `make reliability-report` (pytest tests/reliability) on {now}, "
        f"on {machine}.",
        "Do not edit by hand: the next run rewrites this file, and lists only the checks "
        "that run executed.",
        "",
        "| Row | Check | Result | Measured |",
        "| ---: | --- | --- | --- |",
    ]
    for check in sorted(registry.checks.values(), key=lambda c: (c.row, c.name)):
        measured = ", ".join(f"{k}: {_fmt(v)}" for k, v in check.values.items())
        lines.append(
            f"| {check.row} | {_cell(check.name)} | {check.result} | {_cell(measured) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())
