"""The account holder is told by mail whenever their password changes (ASVS 2.2.3)."""
from __future__ import annotations

from sqlalchemy import select

from app.core.mail import OutboxMessage
from app.extensions import db
from tests.helpers import login, make_user

NEW_PASSWORD = "a completely new passphrase 77"


def _notices(app, email: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.subject).where(
            OutboxMessage.recipient == email, OutboxMessage.subject == "Your Crucible password was changed")))


def test_password_change_is_notified_by_mail(app, client):
    user = make_user(app)
    login(client, user)
    assert _notices(app, user.email) == []
    response = client.post("/account", data={"current_password": user.password, "password": NEW_PASSWORD,
                                             "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert len(_notices(app, user.email)) == 1
