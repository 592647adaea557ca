"""Everything the assessment template shows: the plain snapshot of the round, built by the feature that owns
it (reviews registers it in core.snapshots), plus what belongs to this document.

The snapshot is plain dicts and strings, so nothing lazy-loads during rendering and what is printed is exactly
what is attached as JSON. The audit head is read when the document is rendered, so a retried job prints the
chain as of its own rendering.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.core import snapshots
from app.core.audit import AuditEvent
from app.core.charts import tier_chart
from app.documents.models import DOCUMENT_KINDS
from app.extensions import db

FORMAT = "crucible-assessment/1"


def audit_head() -> str | None:
    """The newest hash of the audit chain: printed in every document as of its rendering."""
    return db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))


def assessment_context(submission_id: int, round_number: int, *, audience: str, kind: str = "decision",
                       document_uid: str | None = None, verify_url: str | None = None) -> dict[str, Any]:
    snapshot = snapshots.build("assessment", submission_id=submission_id, round_number=round_number,
                               audience=audience)
    head = audit_head()
    context: dict[str, Any] = {
        "audience": audience,
        "kind": kind,
        "kind_label": DOCUMENT_KINDS.get(kind, kind),
        "document_uid": document_uid or "",
        "verify_url": verify_url or "",
    }
    context.update((key, value) for key, value in snapshot.items() if key not in ("audience", "data"))
    context["risk"] = {**snapshot["risk"], "chart": tier_chart(snapshot["risk"]["categories"])}
    context["audit_head"] = head or ""
    context["generated_at"] = datetime.now(UTC).strftime("%-d %B %Y, %H:%M UTC")
    context["data"] = {"format": FORMAT, "document": document_uid, "kind": kind, **snapshot["data"],
                       "audit_head": head}
    return context
