"""Keeps the footprint report's sums (FootprintTally) true in the same transaction as every change that moves
them, so the report reads a few summed rows instead of every application's statement.

After each flush, the applications whose share may have moved (one added, one whose state, round or owner
changed, a round written, an owner whose department changed, one deleted) are read again from the source tables
(`contributions`, the report's own rule); each one's new share is compared with the one recorded for it
(FootprintStatement) and only the difference is added to the sums. The recorded share is read FOR UPDATE on
PostgreSQL, so two transactions moving the same application cannot both apply their difference.
`rebuild()` recomputes everything from the source tables (after a bulk load that bypasses the ORM).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Integer, and_, case, cast, delete, event, func, insert, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.auth.models import User
from app.reports.models import FootprintStatement, FootprintTally
from app.submissions.models import Round, Submission
from app.submissions.workflow import State

# An expired approval still counts as approved: the project ran on it.
REPORTED_STATES = (State.SUBMITTED, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED,
                   State.APPROVED_WITH_CONDITIONS, State.EXPIRED)
APPROVED_STATES = frozenset({State.APPROVED, State.APPROVED_WITH_CONDITIONS, State.EXPIRED})
UNASSIGNED = "Unassigned"
# What an application's share depends on besides its rounds and its owner's department.
_SUBMISSION_FIELDS = ("state", "round_number", "owner_id")
_TALLY_KEY = ("department", "year", "quarter", "approved", "data_version")


@dataclass(frozen=True)
class Share:
    """What one application adds to the sums."""

    department: str
    year: int
    quarter: int
    approved: bool
    data_version: str
    has_figures: bool
    energy_kwh: float
    co2e_kg: float

    @property
    def key(self) -> tuple:
        return (self.department, self.year, self.quarter, self.approved, self.data_version)


def _year_and_quarter(dialect: str) -> tuple[Any, Any]:
    """The year and quarter (1-4) of the latest round's submission, in UTC, as the database computes them."""
    if dialect == "postgresql":
        at = func.timezone("UTC", Round.submitted_at)
        return cast(func.extract("year", at), Integer), cast(func.extract("quarter", at), Integer)
    # SQLite keeps the UTC time as ISO text.
    month = cast(func.strftime("%m", Round.submitted_at), Integer)
    return cast(func.strftime("%Y", Round.submitted_at), Integer), (month + 2) // 3


def latest_statements(*columns):
    """`columns` of the latest round of every reported application, with its application and owner joined.

    The latest round is the one numbered like the application's current round (`Submission.round_number`),
    a join on the unique (submission, number) key rather than a MAX per application over every round.
    """
    return (
        select(*columns)
        .select_from(Round)
        .join(Submission, and_(Submission.id == Round.submission_id, Round.number == Submission.round_number))
        .join(User, User.id == Submission.owner_id)
        .where(Submission.state.in_([state.value for state in REPORTED_STATES]))
    )


def _share_columns(dialect: str) -> tuple:
    year, quarter = _year_and_quarter(dialect)
    department = func.coalesce(func.nullif(func.trim(User.department), ""), UNASSIGNED)
    approved = case((Submission.state.in_([state.value for state in APPROVED_STATES]), True), else_=False)
    return (Submission.id, department, year, quarter, approved, func.coalesce(Round.footprint_data_version, ""),
            Round.footprint_energy_kwh.is_not(None), func.coalesce(Round.footprint_energy_kwh, 0.0),
            func.coalesce(Round.footprint_co2e_kg, 0.0))


def _share(row: Sequence[Any]) -> Share:
    _id, department, year, quarter, approved, version, has_figures, energy, co2e = row
    return Share(department, int(year), int(quarter), bool(approved), version, bool(has_figures), float(energy),
                 float(co2e))


def contributions(connection: Connection, submission_ids: Iterable[int] | None = None) -> dict[int, Share]:
    """Each reported application's share, by id: of `submission_ids`, or of every application."""
    query = latest_statements(*_share_columns(connection.dialect.name))
    if submission_ids is not None:
        query = query.where(Submission.id.in_(list(submission_ids)))
    return {row[0]: _share(row) for row in connection.execute(query)}


def _insert(connection: Connection):
    return postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert


def _add(connection: Connection, share: Share, sign: int) -> None:
    """Add (sign 1) or take off (sign -1) one application's share; a sum left covering nothing is deleted, so no
    rounding residue of floats is ever shown."""
    values = {"department": share.department, "year": share.year, "quarter": share.quarter,
              "approved": share.approved, "data_version": share.data_version, "statements": sign,
              "counted": sign if share.has_figures else 0,
              "energy_kwh": sign * share.energy_kwh if share.has_figures else 0.0,
              "co2e_kg": sign * share.co2e_kg if share.has_figures else 0.0}
    statement = _insert(connection)(FootprintTally).values(**values)
    excluded = statement.excluded
    connection.execute(statement.on_conflict_do_update(
        index_elements=list(_TALLY_KEY),
        set_={name: getattr(FootprintTally, name) + getattr(excluded, name)
              for name in ("statements", "counted", "energy_kwh", "co2e_kg")}))
    connection.execute(delete(FootprintTally).where(
        *(getattr(FootprintTally, name) == value for name, value in zip(_TALLY_KEY, share.key, strict=True)),
        FootprintTally.statements <= 0))


def _recorded(connection: Connection, submission_ids: list[int]) -> dict[int, Share]:
    query = select(FootprintStatement).where(FootprintStatement.submission_id.in_(submission_ids))
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return {row.submission_id: Share(row.department, row.year, row.quarter, row.approved, row.data_version,
                                     row.has_figures, row.energy_kwh, row.co2e_kg)
            for row in connection.execute(query)}


def refresh(connection: Connection, submission_ids: Iterable[int]) -> None:
    """Bring the sums up to date with these applications' present shares."""
    ids = sorted(set(submission_ids))
    if not ids:
        return
    recorded = _recorded(connection, ids)
    present = contributions(connection, ids)
    for submission_id in ids:
        before, after = recorded.get(submission_id), present.get(submission_id)
        if before == after:
            continue
        if before is not None:
            _add(connection, before, -1)
            connection.execute(delete(FootprintStatement).where(FootprintStatement.submission_id == submission_id))
        if after is not None:
            _add(connection, after, 1)
            connection.execute(insert(FootprintStatement).values(
                submission_id=submission_id, **asdict(after)))


def rebuild(connection: Connection) -> int:
    """Recompute every share and sum from the source tables; the number of applications counted."""
    connection.execute(delete(FootprintTally))
    connection.execute(delete(FootprintStatement))
    shares = contributions(connection)
    if shares:
        connection.execute(insert(FootprintStatement),
                           [{"submission_id": sid, **asdict(share)} for sid, share in shares.items()])
    sums: dict[tuple, dict[str, Any]] = {}
    for share in shares.values():
        total = sums.setdefault(share.key, {"statements": 0, "counted": 0, "energy_kwh": 0.0, "co2e_kg": 0.0})
        total["statements"] += 1
        if share.has_figures:
            total["counted"] += 1
            total["energy_kwh"] += share.energy_kwh
            total["co2e_kg"] += share.co2e_kg
    if sums:
        connection.execute(insert(FootprintTally),
                           [dict(zip(_TALLY_KEY, key, strict=True)) | total for key, total in sums.items()])
    return len(shares)


def _changed(instance: Any, fields: Iterable[str]) -> bool:
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _moved_submissions(session: Session) -> set[int]:
    """The applications whose share this flush may have moved."""
    moved: set[int] = set()
    owners: set[int] = set()
    for instance in session.new:
        if isinstance(instance, Submission) and instance.state != State.DRAFT.value:
            moved.add(instance.id)
        elif isinstance(instance, Round):
            moved.add(instance.submission_id)
    for instance in session.dirty:
        if isinstance(instance, Submission) and _changed(instance, _SUBMISSION_FIELDS):
            moved.add(instance.id)
        elif isinstance(instance, Round) and _changed(instance, ("submitted_at", "footprint_energy_kwh",
                                                                 "footprint_co2e_kg", "footprint_data_version")):
            moved.add(instance.submission_id)
        elif isinstance(instance, User) and _changed(instance, ("department",)):
            owners.add(instance.id)
    for instance in session.deleted:
        if isinstance(instance, Submission):
            moved.add(instance.id)
    if owners:
        moved.update(session.connection().scalars(
            select(Submission.id).where(Submission.owner_id.in_(owners),
                                        Submission.state.in_([s.value for s in REPORTED_STATES]))))
    return moved


def _after_flush(session: Session, _context: Any) -> None:
    moved = _moved_submissions(session)
    if moved:
        refresh(session.connection(), moved)


def keep_sums(session_class: Any) -> None:
    """Keep the sums true after every flush of `session_class` (the app's scoped session's class)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
