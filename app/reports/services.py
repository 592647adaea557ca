"""Institution-level figures: the environmental impact statements of submitted and approved work.

Which statements count: the latest round of every application that is submitted, in review, sent back for
changes, approved or approved with conditions — the work the institution is doing or about to do. Drafts have
no statement yet; withdrawn and rejected applications are left out because that computing will not happen.
Each figure is the statement frozen with the round (`Round.footprint`, whose headline figures the round also
keeps as plain columns), never a recomputation, so the totals are exactly the sum of the statements they
cover. Periods follow the date the latest round was submitted;
the department is the owner's (`User.department`, "Unassigned" when empty).

One query per page whatever the number of applications.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from app.auth.models import User
from app.extensions import db
from app.submissions.models import Round, Submission
from app.submissions.workflow import STATE_LABELS, State

REPORTED_STATES = (State.SUBMITTED, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED,
                   State.APPROVED_WITH_CONDITIONS)
APPROVED_STATES = frozenset({State.APPROVED, State.APPROVED_WITH_CONDITIONS})
UNASSIGNED = "Unassigned"


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

    def add(self, project: ProjectFigure) -> None:
        self.projects += 1
        self.energy_kwh += project.energy_kwh
        self.co2e_kg += project.co2e_kg
        if project.approved:
            self.approved_projects += 1
            self.approved_energy_kwh += project.energy_kwh
            self.approved_co2e_kg += project.co2e_kg


@dataclass
class FootprintReport:
    projects: list[ProjectFigure] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)
    by_department: dict[str, Totals] = field(default_factory=dict)
    by_year: dict[int, Totals] = field(default_factory=dict)
    by_quarter: dict[str, Totals] = field(default_factory=dict)
    without_statement: int = 0
    data_versions: list[str] = field(default_factory=list)

    def largest(self, limit: int = 10) -> list[ProjectFigure]:
        return sorted(self.projects, key=lambda p: (-p.co2e_kg, p.reference))[:limit]


def _latest_rounds():
    latest = (
        select(Round.submission_id, func.max(Round.number).label("number"))
        .group_by(Round.submission_id)
        .subquery()
    )
    return (
        select(Round.footprint_energy_kwh, Round.footprint_co2e_kg, Round.footprint_tier,
               Round.footprint_data_version, Round.submitted_at, Submission.id, Submission.reference,
               Submission.title, Submission.state, User.department)
        .join(latest, and_(Round.submission_id == latest.c.submission_id, Round.number == latest.c.number))
        .join(Submission, Submission.id == Round.submission_id)
        .join(User, User.id == Submission.owner_id)
        .where(Submission.state.in_([state.value for state in REPORTED_STATES]))
        .order_by(Round.submitted_at, Submission.id)
    )


def footprint_report() -> FootprintReport:
    report = FootprintReport()
    by_department: dict[str, Totals] = defaultdict(Totals)
    by_year: dict[int, Totals] = defaultdict(Totals)
    by_quarter: dict[str, Totals] = defaultdict(Totals)
    versions: set[str] = set()
    for (energy_kwh, co2e_kg, tier, data_version, submitted_at, submission_id, reference, title, state,
         department) in db.session.execute(_latest_rounds()):
        if energy_kwh is None:
            report.without_statement += 1
            continue
        project = ProjectFigure(
            submission_id=submission_id, reference=reference or "", title=title, state=state,
            department=(department or "").strip() or UNASSIGNED, submitted_at=submitted_at,
            energy_kwh=energy_kwh, co2e_kg=co2e_kg, tier=tier or "", data_version=data_version or "",
        )
        report.projects.append(project)
        versions.add(project.data_version)
        report.total.add(project)
        by_department[project.department].add(project)
        by_year[project.year].add(project)
        by_quarter[project.quarter].add(project)
    report.by_department = dict(sorted(by_department.items(), key=lambda item: (item[0] == UNASSIGNED, item[0])))
    report.by_year = dict(sorted(by_year.items()))
    report.by_quarter = dict(sorted(by_quarter.items()))
    report.data_versions = sorted(versions)
    return report


CSV_COLUMNS = ["reference", "title", "department", "state", "submitted_at", "year", "quarter", "energy_kwh",
               "co2e_kg", "tier", "data_version"]


def _cell(value: Any) -> Any:
    # A spreadsheet runs text that starts like a formula: keep titles from being read as one.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def footprint_csv(report: FootprintReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in report.projects:
        writer.writerow([_cell(v) for v in (
            p.reference, p.title, p.department, p.state, p.submitted_at.strftime("%Y-%m-%d %H:%M"), p.year,
            p.quarter, f"{p.energy_kwh:.6f}", f"{p.co2e_kg:.6f}", p.tier, p.data_version,
        )])
    return out.getvalue()
