import re
import smtplib
from datetime import timedelta

import pytest

from app.core.mail import OutboxMessage
from app.core.models import utcnow
from app.extensions import db
from tests.helpers import make_user, page_text


def add_messages(app, count, body="Hello"):
    start = utcnow() - timedelta(hours=1)
    with app.app_context():
        ids = []
        for n in range(count):
            message = OutboxMessage(recipient=f"r{n}@example.ac.uk", subject=f"Subject number {n:03d}",
                                    body=body, status="logged", created_at=start + timedelta(seconds=n))
            db.session.add(message)
            db.session.flush()
            ids.append(message.id)
        db.session.commit()
        return ids


@pytest.fixture
def admin_client(login_as):
    return login_as("admin").client


def test_outbox_lists_newest_first_fifty_per_page(app, admin_client):
    add_messages(app, 51)
    first = page_text(admin_client.get("/admin/outbox"))
    subjects = re.findall(r"Subject number (\d{3})", first)
    assert len(subjects) == 50
    assert subjects[0] == "050" and subjects[-1] == "001"
    assert "51 in all" in first
    second = page_text(admin_client.get("/admin/outbox", query_string={"page": 2}))
    assert re.findall(r"Subject number (\d{3})", second) == ["000"]


def test_message_body_is_shown_as_escaped_preformatted_text(app, admin_client):
    [message_id] = add_messages(app, 1, body="Line one\n<script>alert('x')</script>\nhttp://localhost/a?b=1&c=2")
    response = admin_client.get(f"/admin/outbox/{message_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert re.search(r"<pre[^>]*>Line one\n&lt;script&gt;alert\(&#39;x&#39;\)&lt;/script&gt;\n"
                     r"http://localhost/a\?b=1&amp;c=2</pre>", html)
    assert admin_client.get("/admin/outbox/999999").status_code == 404


def test_outbox_is_for_admins_only(app, client, login_as):
    [message_id] = add_messages(app, 1, body="secret reset link")
    assert client.get("/admin/outbox").status_code == 302
    assert client.get(f"/admin/outbox/{message_id}").status_code == 302
    staff = login_as("coordinator", "chair", "reviewer", "security_officer").client
    assert staff.get("/admin/outbox").status_code == 403
    response = staff.get(f"/admin/outbox/{message_id}")
    assert response.status_code == 403 and "secret reset link" not in page_text(response)


def test_reset_mail_appears_in_outbox(app, client, admin_client):
    user = make_user(app, email="forgetful@example.ac.uk")
    client.post("/forgot-password", data={"email": user.email}, buffered=True)
    text = page_text(admin_client.get("/admin/outbox"))
    assert "forgetful@example.ac.uk" in text and "Reset your Crucible password" in text


class RecordingSMTP:
    """Stands in for the institution's SMTP server (the one thing outside the app): keeps what was sent."""

    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        RecordingSMTP.sent.append(message)


def _stored_reset_mail(app, email):
    with app.app_context():
        return db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.recipient == email)
        ).one()


def test_production_outbox_keeps_no_reset_link(app, client, admin_client, caplog):
    """Finding 11: in production the stored copy (and the log) has the reset link removed; admins reading
    /admin/outbox cannot take over the account."""
    app.config["ENV_NAME"] = "production"
    user = make_user(app, email="forgetful@example.ac.uk")
    with caplog.at_level("INFO", logger="crucible.mail"):
        client.post("/forgot-password", data={"email": user.email}, buffered=True)
    message = _stored_reset_mail(app, user.email)
    assert "/reset-password/" not in message.body
    assert "[link removed from the stored copy" in message.body
    assert "/reset-password/" not in caplog.text
    page = admin_client.get(f"/admin/outbox/{message.id}")
    assert page.status_code == 200
    assert "/reset-password/" not in page.get_data(as_text=True)
    assert "link removed from the stored copy" in page_text(page)


def test_smtp_sends_the_link_and_stores_it_redacted(app, client, monkeypatch):
    """Finding 11 with SMTP, whatever the environment: the recipient's mail has a working link, the outbox
    copy does not."""
    monkeypatch.setattr(smtplib, "SMTP", RecordingSMTP)
    monkeypatch.setattr(RecordingSMTP, "sent", [])
    app.config["MAIL_SERVER"] = "smtp.example.ac.uk"
    user = make_user(app, email="forgetful@example.ac.uk")
    client.post("/forgot-password", data={"email": user.email}, buffered=True)
    [sent] = RecordingSMTP.sent
    match = re.search(r"http://localhost(/reset-password/\S+)", sent.get_content())
    assert match, sent.get_content()
    message = _stored_reset_mail(app, user.email)
    assert message.status == "sent"
    assert match.group(1) not in message.body and "[link removed from the stored copy" in message.body
    assert client.get(match.group(1)).status_code == 200


def test_development_outbox_keeps_the_link_for_the_demo(app, client):
    user = make_user(app, email="forgetful@example.ac.uk")
    client.post("/forgot-password", data={"email": user.email}, buffered=True)
    assert "http://localhost/reset-password/" in _stored_reset_mail(app, user.email).body
