from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    column,
    event,
    func,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.sql.elements import Grouping

from app.auth.models import User
from app.core.models import TimestampMixin, UTCDateTime, one_of, utcnow
from app.extensions import Model
from app.submissions.workflow import ROUTES, State

MEMBER_ROLES = ("editor", "viewer")
TIERS = ("Low", "Medium", "High")


class QuestionnaireVersion(Model):
    """A released questionnaire file, pinned by every submission answered on it."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_questionnaire_version_key_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def approval_lapses_on(valid_until: date) -> date:
    """An approval covers its valid-until date, and lapses the day after."""
    return valid_until + timedelta(days=1)


class Submission(TimestampMixin, Model):
    __tablename__ = "submission"
    __table_args__ = (
        one_of("known_state", "state", State),
        one_of("known_route", "route", ROUTES, nullable=True),
        one_of("known_tier", "overall_tier", TIERS, nullable=True),
        CheckConstraint(or_(column("state").in_([State.DRAFT.value, State.WITHDRAWN.value]),
                            column("reference").is_not(None)), name="submitted_has_reference"),
        CheckConstraint("round_number >= 0", name="round_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    state: Mapped[str] = mapped_column(String(32), default=State.DRAFT.value, index=True)
    route: Mapped[str | None] = mapped_column(String(32))
    # Set when a coordinator overrides the computed route; the audit trail keeps the history.
    route_override_reason: Mapped[str | None] = mapped_column(Text)
    # Review of the current round should be finished by this day (set at triage).
    due_on: Mapped[date | None] = mapped_column(Date)
    overall_tier: Mapped[str | None] = mapped_column(String(16))
    security_signoff_required: Mapped[bool] = mapped_column(Boolean, default=False)
    risk_profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    round_number: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last day the current approval covers (set by the chair's approval; the daily job expires it after).
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    # The reminder before expiry last mailed (60, 30 or 7 days ahead): each is sent once.
    expiry_reminded_days: Mapped[int | None] = mapped_column(Integer)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    members: Mapped[list[SubmissionMember]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="SubmissionMember.id"
    )

    @property
    def approval_lapsed_on(self) -> date | None:
        """The first day the approval no longer covers: the day after its valid-until date."""
        return approval_lapses_on(self.valid_until) if self.valid_until else None

    @property
    def joined_members(self) -> list[SubmissionMember]:
        """The team beyond its owner: those who accepted. A pending invitation gives nothing and takes nothing."""
        return [member for member in self.members if member.joined]


# The tier as a number, Low first: what the queue sorts by, and the expression its index is built on.
TIER_RANK = case({"Low": 1, "Medium": 2, "High": 3}, value=Submission.overall_tier)


def _postgresql_only(index: Index) -> Index:
    """Built on PostgreSQL only; `info` tells migrations/env.py not to expect it elsewhere."""
    index.info["only_on"] = "postgresql"
    return index.ddl_if(dialect="postgresql")


def _sort_indexes(table: str, *columns) -> list[Index]:
    """An index per column a list sorts by, then by id as the lists do (app.core.lists.order): ascending (read
    backwards for descending), and, for a column that can be empty, one descending with the empty ones last,
    which a backward read cannot give. PostgreSQL builds the latter; SQLite has no NULLS LAST in an index."""
    indexes = []
    for name, sorted_by, nullable in columns:
        indexes.append(Index(f"ix_{table}_{name}", sorted_by, Submission.id))
        if nullable:
            indexes.append(_postgresql_only(Index(f"ix_{table}_{name}_desc", sorted_by.desc().nulls_last(),
                                                  Submission.id.desc())))
    return indexes


def _compared_by_name(index: Index) -> Index:
    """PostgreSQL stores a CASE index's expression rewritten (casts, ELSE NULL), which autogenerate would
    report as changed on every `db check`: migrations/env.py leaves this one out of the comparison."""
    index.info["compare"] = False
    return index


# Every sort the coordinator's queue, the chair's list and "My applications" offer (reviews.services.QUEUE_SORTS),
# and the trigram indexes that serve their and the archive's searches (`lower(x) LIKE '%text%'`) on PostgreSQL.
SUBMISSION_INDEXES = [
    # In parentheses: an index on an expression other than a function call needs them.
    *map(_compared_by_name, _sort_indexes("submission", ("tier_rank", Grouping(TIER_RANK), True))),
    *_sort_indexes("submission", ("title", Submission.title, False), ("route", Submission.route, True),
                   ("submitted_at", Submission.submitted_at, False), ("due_on", Submission.due_on, True),
                   ("updated_at", Submission.updated_at, False)),
    *(_postgresql_only(Index(f"ix_submission_{name}_trgm", func.lower(column).label(f"lower_{name}"),
                             postgresql_using="gin", postgresql_ops={f"lower_{name}": "gin_trgm_ops"}))
      for name, column in (("title", Submission.title), ("reference", Submission.reference))),
]
# The trigram operators come with pg_trgm (contrib, a trusted extension); create_all needs it as the migration
# does (0003_list_indexes).
event.listen(Submission.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class SubmissionMember(Model):
    """A collaborator invited by email. Membership is matched on the address, and takes effect only once the
    invitee accepts (`accepted_at`): being on a team recuses committee members and office staff from the
    application, so nobody is put on one without saying yes. Someone without an account accepts after
    registering with the address."""

    __tablename__ = "submission_member"
    __table_args__ = (
        UniqueConstraint("submission_id", "email", name="uq_submission_member_submission_id_email"),
        one_of("known_member_role", "role", MEMBER_ROLES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None while the invitation is pending.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The committee or office roles the member held on accepting: the ones joining recused them in.
    recused_as: Mapped[list[str] | None] = mapped_column(JSON)

    submission: Mapped[Submission] = relationship(back_populates="members")

    @property
    def joined(self) -> bool:
        return self.accepted_at is not None


class Answer(Model):
    """The live draft answer to one question. `version` is the optimistic lock: a save names the version it
    started from and is refused when someone else has saved since."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("submission_id", "question_id", name="uq_answer_submission_id_question_id"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(32))
    value: Mapped[Any | None] = mapped_column(JSON)
    # What the user typed when it did not pass validation: kept so nothing typed is lost.
    invalid_input: Mapped[Any | None] = mapped_column(JSON)
    invalid_message: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()

    # SQLAlchemy adds "AND version = <loaded>" to every UPDATE, so a write racing another fails loudly.
    __mapper_args__ = {"version_id_col": version}


class Round(Model):
    """The answers as submitted, frozen: one per submission, so rounds can be compared."""

    __tablename__ = "round"
    __table_args__ = (
        UniqueConstraint("submission_id", "number", name="uq_round_submission_id_number"),
        CheckConstraint("number >= 1", name="number_positive"),
        # The footprint report's projects, largest first, a page at a time.
        Index("ix_round_footprint_co2e_kg", "footprint_co2e_kg", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    risk_profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    route: Mapped[str] = mapped_column(String(32))
    overall_tier: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64))
    # The environmental impact statement computed at submit (footprint.statement_for_answer), with the
    # footprint data version it used; read back as stored, never recomputed. None without section D stages.
    footprint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The statement's headline figures as plain columns, so institution-wide reports add numbers in one
    # cheap query instead of parsing every round's JSON. Always derived from `footprint` (see below).
    footprint_energy_kwh: Mapped[float | None] = mapped_column(Float)
    footprint_co2e_kg: Mapped[float | None] = mapped_column(Float)
    footprint_tier: Mapped[str | None] = mapped_column(String(16))
    footprint_data_version: Mapped[str | None] = mapped_column(String(64))

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()

    @validates("footprint")
    def _copy_headline_figures(self, _key: str, statement: dict[str, Any] | None) -> dict[str, Any] | None:
        self.footprint_energy_kwh = float(statement["energy_kwh"]) if statement else None
        self.footprint_co2e_kg = float(statement["co2e_kg"]) if statement else None
        self.footprint_tier = str(statement.get("tier", "")) if statement else None
        self.footprint_data_version = str(statement.get("data_version", "")) if statement else None
        return statement


class ReferenceCounter(Model):
    """Per-year sequence for human references such as ETH-2026-0001."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)

