"""Append-only audit trail as a hash chain: each event stores the previous event's hash.

Events are written in the same transaction as the change they describe, so a rolled-back change
leaves no event behind and a committed change always has one.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Integer, String, insert, select, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import UTCDateTime, utcnow
from app.extensions import Model, db

GENESIS_HASH = "0" * 64


class Actor(Protocol):
    """Whoever acted, as the audit trail stores them: by id (the user model belongs to auth, not core)."""

    @property
    def id(self) -> int: ...


# Any constant works: it only has to be the same for every writer of the chain.
_AUDIT_LOCK_KEY = 727_274_001


class AuditEvent(Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    submission_id: Mapped[int | None] = mapped_column(Integer, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Unique: two events can never claim the same predecessor, so the chain cannot fork.
    previous_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


_INSERTED_COLUMNS = tuple(column.key for column in AuditEvent.__table__.columns if column.key != "id")
# Built once: every change in the application appends through these.
_TAKE_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_AUDIT_LOCK_KEY)
_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_APPEND = insert(AuditEvent)


def _canonical_time(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def compute_hash(event: AuditEvent) -> str:
    payload = json.dumps(
        {
            "previous": event.previous_hash,
            "at": _canonical_time(event.at),
            "actor": event.actor_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "submission": event.submission_id,
            "data": event.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    action: str,
    *,
    actor: Actor | int | None = None,
    object_type: str,
    object_id: Any = None,
    submission_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the current transaction; the caller commits it together with the change.

    From here to the caller's commit, every other writer waits: do the transaction's other work first.
    """
    session = db.session
    event = AuditEvent(
        at=utcnow(),
        actor_id=getattr(actor, "id", actor),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        submission_id=submission_id,
        data=json.loads(json.dumps(data or {}, default=str)),
    )
    # The change's own rows are written before the lock is taken, so the lock covers the chain alone.
    session.flush()
    # Straight on the transaction's connection: the ORM session's own bookkeeping is time spent inside the lock.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Serialises chain appends across connections until this transaction ends.
        connection.execute(_TAKE_CHAIN_LOCK)
    # A statement of its own, after the lock: its snapshot then includes the event of the writer before us.
    previous = connection.execute(_LAST_HASH).scalar()
    event.previous_hash = previous or GENESIS_HASH
    event.hash = compute_hash(event)
    connection.execute(_APPEND, {column: getattr(event, column) for column in _INSERTED_COLUMNS})
    return event


def verify_chain(batch_size: int = 5000) -> tuple[int, list[str]]:
    """Walk the chain from the start; return (events checked, problems found)."""
    problems: list[str] = []
    expected_previous = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch_size)
        ).all()
        if not rows:
            break
        for event in rows:
            checked += 1
            if event.previous_hash != expected_previous:
                problems.append(f"event {event.id}: previous hash does not match event before it")
            if compute_hash(event) != event.hash:
                problems.append(f"event {event.id}: content does not match its hash")
            expected_previous = event.hash
            last_id = event.id
        db.session.expunge_all()
    return checked, problems
