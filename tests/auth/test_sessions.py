"""The account page, password change and server-side session revocation, with several browsers at once."""
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import UserSession
from app.core.models import utcnow
from app.extensions import db
from tests.helpers import audit_events, is_signed_in, live_sessions, login, make_user, page_text

NEW = "quartz violin harbour 88 maple"


def signed_in_clients(app, make_client, user, count):
    clients = []
    for _ in range(count):
        c = make_client()
        assert login(c, user).status_code == 302
        clients.append(c)
    return clients


def current_session_id(client, app) -> int:
    with client.session_transaction() as session:
        token = session["_user_id"]
    with app.app_context():
        return db.session.scalar(select(UserSession.id).where(UserSession.token == token))


def test_account_page_shows_details_roles_and_sessions(app, make_client):
    user = make_user(app, "reviewer", name="Dorothy Hodgkin")
    first, second = signed_in_clients(app, make_client, user, 2)
    response = first.get("/account")
    assert response.status_code == 200
    text = page_text(response)
    assert "Dorothy Hodgkin" in text and user.email in text
    assert "Reviewer" in text and "Applicant" in text and "Administrator" not in text
    assert text.count("This session") == 1
    assert "Sign out of all other sessions" in text
    html = response.get_data(as_text=True)
    for session_id in live_sessions(app, user.id):
        assert f'action="/account/sessions/{session_id}/revoke"' in html
    assert 'autocomplete="current-password"' in html


def test_password_change_signs_out_other_sessions_only(app, make_client):
    user = make_user(app)
    mine, other = signed_in_clients(app, make_client, user, 2)
    response = mine.post("/account", data={"current_password": user.password, "password": NEW, "confirm": NEW})
    assert response.status_code == 302 and response.location == "/account"
    assert "1 other session signed out" in page_text(mine.get("/account"))
    assert is_signed_in(mine)
    assert not is_signed_in(other)
    assert len(live_sessions(app, user.id)) == 1
    [event] = audit_events(app, "user.password_changed")
    assert event["data"] == {"other_sessions_revoked": 1}
    assert login(make_client(), user).status_code == 200  # old password refused
    assert login(make_client(), user, NEW).status_code == 302


def make_client_for(app):
    return app.test_client()


def test_password_change_errors(app, client):
    user = make_user(app)
    login(client, user)
    wrong = client.post("/account",
                        data={"current_password": "not my password at all", "password": NEW, "confirm": NEW})
    assert wrong.status_code == 200 and "Your current password is not correct" in page_text(wrong)
    same = client.post("/account", data={"current_password": user.password, "password": user.password,
                                         "confirm": user.password})
    assert "must be different from your current one" in page_text(same)
    weak = client.post("/account", data={"current_password": user.password, "password": "short", "confirm": "short"})
    assert "at least 12 characters" in page_text(weak)
    assert audit_events(app, "user.password_changed") == []
    assert is_signed_in(client)
    assert login(make_client_for(app), user).status_code == 302  # the old password still works


def test_revoke_one_other_session(app, make_client):
    user = make_user(app)
    mine, other = signed_in_clients(app, make_client, user, 2)
    other_id = current_session_id(other, app)
    response = mine.post(f"/account/sessions/{other_id}/revoke")
    assert response.status_code == 302 and response.location == "/account"
    assert not is_signed_in(other)
    assert is_signed_in(mine)
    assert len(audit_events(app, "user.session_revoked")) == 1


def test_revoke_own_current_session_signs_out(app, client):
    user = make_user(app)
    login(client, user)
    response = client.post(f"/account/sessions/{current_session_id(client, app)}/revoke")
    assert response.status_code == 302 and response.location == "/login"
    assert not is_signed_in(client)


def test_cannot_revoke_someone_elses_session(app, make_client):
    alice = make_user(app)
    bob = make_user(app)
    (alice_client,) = signed_in_clients(app, make_client, alice, 1)
    (bob_client,) = signed_in_clients(app, make_client, bob, 1)
    bob_session = current_session_id(bob_client, app)
    assert alice_client.post(f"/account/sessions/{bob_session}/revoke").status_code == 404
    assert alice_client.post("/account/sessions/999999/revoke").status_code == 404
    assert is_signed_in(bob_client)


def test_revoke_all_other_sessions(app, make_client):
    user = make_user(app)
    bystander = make_user(app)
    (bystander_client,) = signed_in_clients(app, make_client, bystander, 1)
    mine, second, third = signed_in_clients(app, make_client, user, 3)
    response = mine.post("/account/sessions/revoke-others", follow_redirects=True)
    assert "Signed out of 2 other sessions" in page_text(response)
    assert is_signed_in(mine)
    assert not is_signed_in(second) and not is_signed_in(third)
    assert is_signed_in(bystander_client)
    [event] = audit_events(app, "user.other_sessions_revoked")
    assert event["data"]["sessions_revoked"] == 2


def test_revoke_without_csrf_token_is_rejected(app, make_client):
    user = make_user(app)
    mine, other = signed_in_clients(app, make_client, user, 2)
    assert mine.post("/account/sessions/revoke-others", csrf=False).status_code == 400
    assert is_signed_in(other)


def test_session_endpoints_need_sign_in(client):
    assert client.get("/account").location.startswith("/login")
    response = client.post("/account/sessions/revoke-others")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_last_seen_is_updated_at_most_every_five_minutes(app, client):
    user = make_user(app)
    login(client, user)
    session_id = current_session_id(client, app)

    def set_last_seen(ago):
        with app.app_context():
            row = db.session.get(UserSession, session_id)
            row.last_seen_at = utcnow() - ago
            db.session.commit()

    def last_seen():
        with app.app_context():
            return db.session.get(UserSession, session_id).last_seen_at

    set_last_seen(timedelta(minutes=2))
    before = last_seen()
    client.get("/account")
    assert last_seen() == before

    set_last_seen(timedelta(minutes=10))
    client.get("/account")
    assert utcnow() - last_seen() < timedelta(minutes=1)
