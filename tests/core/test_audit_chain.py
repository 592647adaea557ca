"""The audit trail is a hash chain: altering, deleting or reordering any event is detected."""
from __future__ import annotations

import threading

from sqlalchemy import delete, select, update

from app.core import audit
from app.core.audit import AuditEvent
from app.extensions import db


def _write_events(app, count=5):
    with app.app_context():
        for number in range(count):
            audit.record("test.event", object_type="test", object_id=number, data={"n": number})
            db.session.commit()
        return db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_intact_chain_verifies(app):
    _write_events(app)
    result = _verify(app)
    assert result.exit_code == 0 and "5 events verified" in result.output


def test_altered_event_is_named(app):
    ids = _write_events(app)
    with app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(action="test.forged"))
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at event {ids[2]}" in result.output


def test_deleted_event_is_detected(app):
    ids = _write_events(app)
    with app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and f"event {ids[2]}" in result.output


def test_reordered_events_are_detected(app):
    ids = _write_events(app)
    with app.app_context():
        first = db.session.get(AuditEvent, ids[1])
        second = db.session.get(AuditEvent, ids[2])
        swapped = {k: getattr(second, k) for k in ("at", "action", "object_id", "data", "previous_hash", "hash")}
        original = {k: getattr(first, k) for k in swapped}
        # Move both out of the way of the unique constraints, then swap contents.
        second.previous_hash, second.hash = "x" * 64, "y" * 64
        db.session.flush()
        for key, value in swapped.items():
            setattr(first, key, value)
        db.session.flush()
        for key, value in original.items():
            setattr(second, key, value)
        db.session.commit()
    assert _verify(app).exit_code == 1


def test_concurrent_writers_do_not_fork_the_chain(app):
    """Several threads append at once; the chain stays linear (PostgreSQL locks the head, SQLite serialises)."""
    errors = []

    def writer(number):
        try:
            with app.app_context():
                for step in range(5):
                    audit.record("test.concurrent", object_type="test", object_id=f"{number}-{step}")
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # SQLite may refuse a concurrent writer as "database is locked"; what matters is that nothing forked.
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert len({e.previous_hash for e in events}) == len(events)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert errors == [] and len(events) == 20
    assert _verify(app).exit_code == 0
