"""A sign-in ends after 30 minutes without a request and 12 hours after it began (ASVS 3.3.2, level 2)."""
from __future__ import annotations

import pytest

from tests.helpers import login, make_user


@pytest.mark.parametrize("field, ago, expired", [
    ("last_seen_at", {"minutes": 29}, False), ("last_seen_at", {"minutes": 31}, True),
    ("created_at", {"hours": 11}, False), ("created_at", {"hours": 12, "minutes": 1}, True),
])
def test_sessions_end_after_idle_time_and_maximum_age(app, client, field, ago, expired):
    from datetime import timedelta

    from sqlalchemy import select

    from app.auth.models import UserSession
    from app.core.audit import AuditEvent
    from app.core.models import utcnow
    from app.extensions import db

    user = make_user(app)
    login(client, user)
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
        setattr(row, field, utcnow() - timedelta(**ago))
        if field == "created_at":
            row.last_seen_at = utcnow()
        db.session.commit()
    response = client.get("/account")
    assert (response.status_code == 302 and response.location.startswith("/login")) is expired
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
        assert (row.revoked_at is not None) is expired
        events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "user.session_expired")).all()
        assert len(events) == (1 if expired else 0)
