"""Archived documents (never updated, only added) and the jobs that render them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, column, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import UTCDateTime, one_of, utcnow
from app.extensions import Model

DOCUMENT_KINDS = {
    "decision": "Decision",
    "conditions_met": "Conditions confirmed met",
}
JOB_DONE = "done"
JOB_STATES = ("queued", "running", JOB_DONE, "failed")


class Document(Model):
    """A signed assessment in the archive, stored under its sha256. Rows are only ever added."""

    __tablename__ = "document"
    __table_args__ = (
        one_of("known_kind", "kind", DOCUMENT_KINDS),
        CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The identifier printed in the document, allocated before rendering.
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(300))
    # Subject of the signing certificate.
    signed_by: Mapped[str] = mapped_column(String(500))
    # Newest audit-chain hash when the document was rendered (printed in it).
    audit_head: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    submission = relationship("Submission")


class RenderJob(Model):
    """One request to produce a signed assessment; attempts and the last error stay visible."""

    __tablename__ = "render_job"
    __table_args__ = (
        one_of("known_kind", "kind", DOCUMENT_KINDS),
        one_of("known_status", "status", JOB_STATES),
        CheckConstraint(or_(column("status") != JOB_DONE, column("document_id").is_not(None)),
                        name="done_has_document"),
        # One job per document to be produced: asking again returns it (and retries it when it failed).
        UniqueConstraint("submission_id", "round_number", "kind", name="uq_render_job_submission_round_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_uid: Mapped[str] = mapped_column(String(36), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    document: Mapped[Document | None] = relationship()
    # By name: documents imports no model of the feature that asks for it.
    submission = relationship("Submission")
