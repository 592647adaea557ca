"""Review records: who reviews which round, their comments and recommendations, the chair's decision."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    column,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.models import UTCDateTime, one_of, utcnow
from app.core.permissions import ROLES
from app.extensions import Model
from app.reviews.export_control import TRUSTED_RESEARCH_OUTCOMES
from app.submissions.models import Submission
from app.submissions.workflow import OUTCOMES

RECOMMENDATIONS = {
    "approve": "Approve",
    "approve_with_conditions": "Approve with conditions",
    "changes_requested": "Changes requested",
    "reject": "Reject",
}
# The extra reviews the institution policy asks for (its `extra_reviewers`): kind -> the account role asked.
EXTRA_REVIEW_KINDS = {"sustainability": "sustainability_reviewer", "data_steward": "data_steward"}
# reviewer: an ordinary review; security: the export-control / Trusted Research sign-off; then the extra reviews,
# each recommending as a reviewer does.
ASSIGNMENT_KINDS = ("reviewer", "security", *EXTRA_REVIEW_KINDS)
RECOMMENDING_KINDS = frozenset({"reviewer", *EXTRA_REVIEW_KINDS})
# Who may be asked for each kind of assignment.
KIND_ROLES: dict[str, tuple[str, ...]] = {"reviewer": ("reviewer", "chair"), "security": ("security_officer",),
                                          **{kind: (role,) for kind, role in EXTRA_REVIEW_KINDS.items()}}
COI_NONE = "none"
COI_DECLARED = "declared"
COI_STATES = ("pending", COI_NONE, COI_DECLARED)
VISIBILITIES = ("applicant", "committee")


class Assignment(Model):
    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("submission_id", "round_number", "reviewer_id", "kind",
                         name="uq_assignment_submission_round_reviewer_kind"),
        one_of("known_kind", "kind", ASSIGNMENT_KINDS),
        one_of("known_coi_status", "coi_status", COI_STATES),
        one_of("known_recommendation", "recommendation", RECOMMENDATIONS, nullable=True),
        # A recommendation can only follow a declaration of no conflict of interest.
        CheckConstraint(or_(column("recommendation").is_(None), column("coi_status") == COI_NONE),
                        name="recommend_after_coi"),
        # A reviewer's list (reviews.routes.mine), soonest due first.
        Index("ix_assignment_reviewer_id_due_on", "reviewer_id", "due_on"),
        # The coordinator's count of recusals to replace reads only the declared conflicts, a few in a hundred.
        Index("ix_assignment_declared", "submission_id", "round_number",
              postgresql_where=column("coi_status") == COI_DECLARED, sqlite_where=column("coi_status") == COI_DECLARED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="reviewer")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date | None] = mapped_column(Date)
    coi_status: Mapped[str] = mapped_column(String(16), default="pending")
    coi_statement: Mapped[str | None] = mapped_column(Text)
    coi_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recommendation: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    # Read by the access predicates (who may unassign); loaded with its team by the assignment's page loader.
    submission: Mapped[Submission] = relationship(viewonly=True)
    # A security officer's assignment: their sign-off, once given (loaded with the active assignments).
    signoff: Mapped[SecuritySignoff | None] = relationship(viewonly=True, uselist=False)

    @property
    def extra_role_label(self) -> str | None:
        """An extra reviewer is listed by their role ("Sustainability reviewer"); an ordinary one is not."""
        role = EXTRA_REVIEW_KINDS.get(self.kind)
        return ROLES[role] if role else None


class SecuritySignoff(Model):
    """The security officer's sign-off on one round: the export-control classification (a control-list entry, or
    none with the basis for that), whether a licence is needed, the Trusted Research outcome and its conditions.
    Changed in place while the round is in review; every version is in the audit trail."""

    __tablename__ = "security_signoff"
    __table_args__ = (
        UniqueConstraint("assignment_id", name="uq_security_signoff_assignment_id"),
        one_of("known_trusted_research", "trusted_research", TRUSTED_RESEARCH_OUTCOMES),
        # "Not listed" (no entry) is a finding that needs its basis.
        CheckConstraint(or_(column("control_entry").is_not(None), column("basis") != ""),
                        name="basis_when_not_listed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # None: not on any control list.
    control_entry: Mapped[str | None] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(Text, default="")
    licence_required: Mapped[bool] = mapped_column(Boolean)
    trusted_research: Mapped[str] = mapped_column(String(32))
    # Markdown, rendered through the sanitising helper.
    conditions: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    signed_by: Mapped[User] = relationship()

    @property
    def trusted_research_label(self) -> str:
        return TRUSTED_RESEARCH_OUTCOMES[self.trusted_research]


class Comment(Model):
    __tablename__ = "comment"
    __table_args__ = (
        one_of("known_visibility", "visibility", VISIBILITIES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    # None: a comment on the application as a whole.
    question_id: Mapped[str | None] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set on the thread's first comment only.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Released to the applicant with the decision; committee comments are never released.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship(foreign_keys=[author_id])


class Decision(Model):
    """The chair's decision on one round, electronically signed by re-entering the password."""

    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("submission_id", "round_number", name="uq_decision_submission_id_round_number"),
        one_of("known_outcome", "outcome", OUTCOMES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The electronic signature: who signed, when, and what the signature means, as printed on the PDF.
    signature_name: Mapped[str] = mapped_column(String(200))
    signature_meaning: Mapped[str] = mapped_column(String(200))
    # An approval's last valid day, as the chair signed it; None for the other outcomes.
    valid_until: Mapped[date | None] = mapped_column(Date)

    decided_by: Mapped[User] = relationship()
    conditions: Mapped[list[Condition]] = relationship(back_populates="decision", order_by="Condition.id")


class Condition(Model):
    __tablename__ = "condition"
    __table_args__ = (
        # The coordinator's count of conditions reported met and waiting for confirmation.
        Index("ix_condition_awaiting_confirmation", "submission_id",
              postgresql_where=and_(column("reported_met_at").is_not(None), column("confirmed_at").is_(None)),
              sqlite_where=and_(column("reported_met_at").is_not(None), column("confirmed_at").is_(None))),
        CheckConstraint("confirmed_at IS NULL OR reported_met_at IS NOT NULL", name="confirm_after_report"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    reported_met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    report_note: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The research office's last sending back of a report (the report is cleared, the applicant reports again);
    # every one is in the audit trail.
    sent_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    send_back_reason: Mapped[str | None] = mapped_column(Text)

    decision: Mapped[Decision] = relationship(back_populates="conditions")
    # Read by the access predicates (who reports it met, who confirms it), loaded with the application's team.
    submission: Mapped[Submission] = relationship(viewonly=True)
