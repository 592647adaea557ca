import re

from sqlalchemy import select

from app.core.mail import OutboxMessage
from app.extensions import db
from tests.helpers import audit_events, is_signed_in, live_sessions, login, make_user, page_text

NEW = "quartz violin harbour 88 maple"
SAME_RESPONSE = "If that address belongs to an account, we have sent it a link to reset the password"


def outbox(app) -> list[dict]:
    with app.app_context():
        return [
            {"recipient": m.recipient, "subject": m.subject, "body": m.body}
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def reset_path(app, user) -> str:
    [message] = [m for m in outbox(app) if m["subject"] == "Reset your Crucible password"]
    assert message["recipient"] == user.email
    match = re.search(r"http://localhost(/reset-password/\S+)", message["body"])
    assert match, message["body"]
    return match.group(1)


def test_forgot_password_page(client):
    response = client.get("/forgot-password")
    assert response.status_code == 200
    assert 'autocomplete="email"' in response.get_data(as_text=True)


def _reset_answer(app, email: str):
    """The answer to a reset request, as read, with the statements the request ran and whether anything was
    written before the response went out; then the response is closed, as a server does once it is sent."""
    from tests.test_query_counts import count_statements

    browser = app.test_client()
    before = (len(outbox(app)), len(audit_events(app, "user.password_reset_requested")))
    with count_statements(app) as statements:
        response = browser.post("/forgot-password", data={"email": email})
    nothing_written = (len(outbox(app)), len(audit_events(app, "user.password_reset_requested"))) == before
    response.close()
    return (response.status_code, response.location, page_text(browser.get(response.location)),
            len(statements), nothing_written)


def test_same_response_whether_or_not_the_address_exists(app):
    """Finding 9: the same words and the same work in the request; the mail and the audit row are written
    after the response, so the response time does not depend on them."""
    user = make_user(app)
    known = _reset_answer(app, user.email)
    unknown = _reset_answer(app, "nobody@example.ac.uk")
    assert known[:2] == unknown[:2] == (302, "/login")
    assert known[2] == unknown[2] and SAME_RESPONSE in known[2]
    assert known[3] == unknown[3]
    assert known[4] is unknown[4] is True
    # Only the real account got mail.
    assert [m["recipient"] for m in outbox(app)] == [user.email]
    assert len(audit_events(app, "user.password_reset_requested")) == 1


def test_no_mail_for_a_deactivated_account(app, client):
    user = make_user(app, active=False)
    response = client.post("/forgot-password", data={"email": user.email}, buffered=True)
    assert response.status_code == 302
    assert outbox(app) == []


def test_full_reset_journey(app, client, make_client):
    user = make_user(app)
    other_browser = make_client()
    login(other_browser, user)
    assert is_signed_in(other_browser)

    client.post("/forgot-password", data={"email": user.email.upper()}, buffered=True)
    path = reset_path(app, user)

    page = client.get(path)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('autocomplete="new-password"') == 2

    weak = client.post(path, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 200 and "too common" in page_text(weak)

    mismatch = client.post(path, data={"password": NEW, "confirm": NEW + "!"})
    assert "The two passwords do not match" in page_text(mismatch)

    done = client.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.location == "/login"
    assert "Your password has been changed" in page_text(client.get("/login"))

    # Every session was signed out, including the other browser.
    assert live_sessions(app, user.id) == []
    assert not is_signed_in(other_browser)
    assert len(audit_events(app, "user.password_reset")) == 1

    # The old password no longer works; the new one does.
    assert login(client, user).status_code == 200
    assert login(client, user, NEW).status_code == 302
    assert is_signed_in(client)

    # The link is single-use.
    fresh = make_client()
    again = fresh.get(path)
    assert again.status_code == 400
    assert "already been used" in page_text(again)
    assert 'href="/forgot-password"' in again.get_data(as_text=True)
    again_form = {"password": "another fine password 99", "confirm": "another fine password 99"}
    assert fresh.post(path, data=again_form).status_code == 400
    assert login(make_client(), user, NEW).status_code == 302


def test_expired_link(app, client, monkeypatch):
    user = make_user(app)
    client.post("/forgot-password", data={"email": user.email}, buffered=True)
    path = reset_path(app, user)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    response = client.get(path)
    assert response.status_code == 400
    assert "expired" in page_text(response)
    assert 'href="/forgot-password"' in response.get_data(as_text=True)
    response = client.post(path, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 400
    assert login(client, user).status_code == 302  # password unchanged


def test_tampered_link(app, client):
    user = make_user(app)
    client.post("/forgot-password", data={"email": user.email}, buffered=True)
    path = reset_path(app, user)
    response = client.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
    assert response.status_code == 400
    assert "not valid" in page_text(response)
    assert client.get("/reset-password/nonsense").status_code == 400


def test_link_dies_when_password_changes_another_way(app, client):
    user = make_user(app)
    client.post("/forgot-password", data={"email": user.email}, buffered=True)
    path = reset_path(app, user)
    login(client, user)
    response = client.post("/account", data={"current_password": user.password, "password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert client.get(path).status_code == 400
