"""Institution-level figures: the environmental impact statements of submitted and approved work.

Which statements count: the latest round of every application that is submitted, in review, sent back for
changes, approved or approved with conditions, or whose approval has expired — the work the institution is
doing, about to do or has done. Drafts have no statement yet; withdrawn and rejected applications are left out
because that computing will not happen.
Each figure is the statement frozen with the round (`Round.footprint`, whose headline figures the round also
keeps as plain columns), never a recomputation, so the totals are exactly the sum of the statements they
cover. Periods follow the date the latest round was submitted;
the department is the owner's (`User.department`, "Unassigned" when empty).

The sums are kept in the database as applications move (app/reports/tally.py): two queries per page whatever
the number of applications, the few summed rows (one per department, year, quarter, approved or not and data
version) and one page of the projects, largest first (the index on Round.footprint_co2e_kg). The CSV streams
every counted statement in batches.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.auth.models import User
from app.core.csvfile import stream_csv
from app.extensions import db
from app.reports.models import FootprintTally
from app.reports.tally import APPROVED_STATES, UNASSIGNED, latest_statements
from app.submissions.models import Round, Submission
from app.submissions.workflow import STATE_LABELS, State


@dataclass
class ProjectFigure:
    submission_id: int
    reference: str
    title: str
    state: str
    department: str
    submitted_at: datetime
    energy_kwh: float
    co2e_kg: float
    tier: str
    data_version: str

    @property
    def approved(self) -> bool:
        return State(self.state) in APPROVED_STATES

    @property
    def year(self) -> int:
        return self.submitted_at.year

    @property
    def quarter(self) -> str:
        return f"{self.submitted_at.year} Q{(self.submitted_at.month - 1) // 3 + 1}"

    @property
    def state_label(self) -> str:
        return STATE_LABELS[State(self.state)]


@dataclass
class Totals:
    projects: int = 0
    energy_kwh: float = 0.0
    co2e_kg: float = 0.0
    approved_projects: int = 0
    approved_energy_kwh: float = 0.0
    approved_co2e_kg: float = 0.0

    def merge(self, other: Totals) -> None:
        self.projects += other.projects
        self.energy_kwh += other.energy_kwh
        self.co2e_kg += other.co2e_kg
        self.approved_projects += other.approved_projects
        self.approved_energy_kwh += other.approved_energy_kwh
        self.approved_co2e_kg += other.approved_co2e_kg


@dataclass
class FootprintReport:
    page: int = 1
    # One page of the counted statements, largest CO2e first (PROJECTS_PER_PAGE).
    projects: list[ProjectFigure] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)
    by_department: dict[str, Totals] = field(default_factory=dict)
    by_year: dict[int, Totals] = field(default_factory=dict)
    by_quarter: dict[str, Totals] = field(default_factory=dict)
    without_statement: int = 0
    data_versions: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total.projects // PROJECTS_PER_PAGE))


def footprint_report(page: int = 1) -> FootprintReport:
    """The totals of every statement, and one page (`page`, from 1) of the projects, largest first."""
    report = FootprintReport(page=max(page, 1))
    by_department: dict[str, Totals] = defaultdict(Totals)
    by_year: dict[int, Totals] = defaultdict(Totals)
    by_quarter: dict[str, Totals] = defaultdict(Totals)
    versions: set[str] = set()
    for sums in db.session.scalars(select(FootprintTally)):
        report.without_statement += sums.statements - sums.counted
        if not sums.counted:
            continue
        group = Totals(projects=sums.counted, energy_kwh=sums.energy_kwh, co2e_kg=sums.co2e_kg)
        if sums.approved:
            group.approved_projects, group.approved_energy_kwh, group.approved_co2e_kg = (
                group.projects, group.energy_kwh, group.co2e_kg)
        versions.add(sums.data_version)
        for totals in (report.total, by_department[sums.department], by_year[sums.year],
                       by_quarter[f"{sums.year} Q{sums.quarter}"]):
            totals.merge(group)
    report.by_department = dict(sorted(by_department.items(), key=lambda item: (item[0] == UNASSIGNED, item[0])))
    report.by_year = dict(sorted(by_year.items()))
    report.by_quarter = dict(sorted(by_quarter.items()))
    report.data_versions = sorted(versions)
    if report.total.projects:
        report.projects = [_figure(row) for row in db.session.execute(
            _projects().order_by(Round.footprint_co2e_kg.desc(), Round.id.desc())
            .limit(PROJECTS_PER_PAGE).offset((report.page - 1) * PROJECTS_PER_PAGE))]
    return report


PROJECTS_PER_PAGE = 10


def _projects():
    """Every counted statement with what a project's row shows (ProjectFigure's fields, in order)."""
    return latest_statements(
        Submission.id, Submission.reference, Submission.title, Submission.state, User.department,
        Round.submitted_at, Round.footprint_energy_kwh, Round.footprint_co2e_kg, Round.footprint_tier,
        Round.footprint_data_version,
    ).where(Round.footprint_energy_kwh.is_not(None))


def _figure(row) -> ProjectFigure:
    (submission_id, reference, title, state, department, submitted_at, energy_kwh, co2e_kg, tier,
     data_version) = row
    return ProjectFigure(
        submission_id=submission_id, reference=reference or "", title=title, state=state,
        department=(department or "").strip() or UNASSIGNED, submitted_at=submitted_at,
        energy_kwh=energy_kwh, co2e_kg=co2e_kg, tier=tier or "", data_version=data_version or "",
    )


CSV_COLUMNS = ["reference", "title", "department", "state", "submitted_at", "year", "quarter", "energy_kwh",
               "co2e_kg", "tier", "data_version"]


def footprint_csv() -> Iterator[str]:
    """The CSV of every counted statement, a few hundred rows at a time: never the whole list in memory. A
    generator: the statement runs as the response is sent, after the request's own commits, which would close
    the server-side cursor it reads from."""
    rows = db.session.execute(_projects().order_by(Round.submitted_at, Submission.id)
                              .execution_options(yield_per=CSV_BATCH))
    yield from stream_csv(CSV_COLUMNS, ([_csv_row(p) for p in map(_figure, batch)] for batch in rows.partitions()))


def _csv_row(p: ProjectFigure) -> list[Any]:
    return [p.reference, p.title, p.department, p.state, p.submitted_at.strftime("%Y-%m-%d %H:%M"), p.year,
            p.quarter, f"{p.energy_kwh:.6f}", f"{p.co2e_kg:.6f}", p.tier, p.data_version]


CSV_BATCH = 500
