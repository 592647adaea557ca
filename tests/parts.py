"""The suite's parts (unit, database on SQLite, on PostgreSQL, PDF, browser): markers, and the time each took.

Each test is put in one part, the first that fits: browser (tests/e2e), PDF (renders, signs or opens real
PDFs: the signing keys fixture, tests/documents, tests/archive), PostgreSQL or SQLite (the `app` fixture's
database), else unit. The parts get the markers `e2e`, `pdf` and `postgres`, so `-m "not e2e"` and the like
select them, and the end of the run prints how long each part took, so a slow part is visible.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

PARTS = ("unit", "database (SQLite)", "database (PostgreSQL)", "PDF", "browser")
TESTS_DIR = Path(__file__).parent
PDF_FOLDERS = {"documents", "archive"}
_seconds: dict[str, float] = defaultdict(float)
_counts: dict[str, int] = defaultdict(int)
_parts_by_node: dict[str, str] = {}
_counted: set[str] = set()


def part_of(item: pytest.Item) -> str:
    folders = Path(str(item.path)).relative_to(TESTS_DIR).parts[:-1]
    fixtures = getattr(item, "fixturenames", ())
    if folders[:1] == ("e2e",):
        return "browser"
    if "pki" in fixtures or PDF_FOLDERS.intersection(folders[:1]):
        return "PDF"
    if "app" in fixtures:
        callspec = getattr(item, "callspec", None)
        database = callspec.params.get("app") if callspec else None
        return "database (PostgreSQL)" if database == "postgresql" else "database (SQLite)"
    return "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    marker_of = {"browser": "e2e", "PDF": "pdf", "database (PostgreSQL)": "postgres"}
    for item in items:
        part = _parts_by_node[item.nodeid] = part_of(item)
        if part in marker_of:
            item.add_marker(marker_of[part])


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Setup, call and teardown each report their own duration; a part's time is the sum of all three.
    part = _parts_by_node.get(report.nodeid)
    if part is None:
        return
    _seconds[part] += report.duration
    # Subtests report a "call" each: a test is counted once, by its node id.
    if report.nodeid not in _counted:
        _counted.add(report.nodeid)
        _counts[part] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _counts:
        return
    terminalreporter.section("time per part")
    total = sum(_seconds.values())
    for part in PARTS:
        if _counts.get(part):
            terminalreporter.write_line(f"{part:<24} {_counts[part]:>5} tests {_seconds[part]:>8.1f} s")
    terminalreporter.write_line(f"{'all':<24} {sum(_counts.values()):>5} tests {total:>8.1f} s")
