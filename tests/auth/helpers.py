"""Small helpers shared by the auth and admin tests."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.auth.models import User, UserSession, find_user_by_email
from app.core.audit import AuditEvent
from app.extensions import db


def audit_events(app, action: str) -> list[dict]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [
            {"actor_id": e.actor_id, "object_id": e.object_id, "data": e.data} for e in events
        ]


def user_row(app, email: str) -> dict | None:
    with app.app_context():
        user = find_user_by_email(email)
        if user is None:
            return None
        return {"id": user.id, "email": user.email, "name": user.name, "active": user.active,
                "roles": set(user.roles)}


def live_sessions(app, user_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(
            select(UserSession.id).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        ))


def is_signed_in(client) -> bool:
    """The account page answers only to a live session; anyone else is sent to sign in."""
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.location.startswith("/login"), response.location
    return False


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def user_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(User.id)).all())


def mails(app, recipient: str | None = None) -> list[dict]:
    from app.core.mail import OutboxMessage

    with app.app_context():
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient is not None:
            statement = statement.where(OutboxMessage.recipient == recipient)
        return [{"recipient": m.recipient, "subject": m.subject, "body": m.body, "status": m.status}
                for m in db.session.scalars(statement)]


def link_in(body: str, path: str) -> str:
    match = re.search(rf"http://localhost({re.escape(path)}\S+)", body)
    assert match, body
    return match.group(1)


def register(client, app, data: dict):
    """Registration as a person does it: the form, the mailed link, the button on the link's page.

    buffered=True closes the response as a server does, which runs the work left for after the response."""
    response = client.post("/register", data=data, buffered=True)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    email = data["email"].strip().lower()
    [mail] = [m for m in mails(app, email) if m["subject"] == "Finish creating your Crucible account"]
    path = link_in(mail["body"], "/register/confirm/")
    assert client.get(path).status_code == 200
    return client.post(path)
