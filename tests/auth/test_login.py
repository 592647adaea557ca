import pytest

from tests.helpers import audit_events, input_value, is_signed_in, live_sessions, login, make_user, page_text

GENERIC = "The email address or password is not right"


def test_login_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'autocomplete="email"' in html and 'autocomplete="current-password"' in html
    assert 'href="/forgot-password"' in html


def test_good_login_creates_a_server_side_session(app, client):
    user = make_user(app)
    response = client.post("/login", data={"email": user.email.upper(), "password": user.password})
    assert response.status_code == 302 and response.location == "/"
    assert is_signed_in(client)
    assert len(live_sessions(app, user.id)) == 1
    [event] = audit_events(app, "user.signed_in")
    assert event["actor_id"] == user.id


@pytest.mark.parametrize("which", ["wrong password", "unknown email"])
def test_bad_login_gives_one_generic_message_and_keeps_the_email(app, client, which):
    user = make_user(app)
    email = user.email if which == "wrong password" else "nobody@example.ac.uk"
    response = client.post("/login", data={"email": email, "password": "not the right password at all"})
    assert response.status_code == 200
    text = page_text(response)
    assert GENERIC in text
    assert "There is a problem" in text
    html = response.get_data(as_text=True)
    assert input_value(html, "email") == email
    assert "not the right password at all" not in html
    assert not is_signed_in(client)
    assert live_sessions(app, user.id) == []
    [event] = audit_events(app, "user.sign_in_failed")
    assert event["data"]["email"] == email
    assert "not the right password" not in str(event["data"])


def test_inactive_account_is_refused(app, client):
    user = make_user(app, active=False)
    response = login(client, user)
    assert response.status_code == 200
    assert "This account has been deactivated" in page_text(response)
    assert not is_signed_in(client)
    # Without the right password, nothing reveals that the account exists but is inactive.
    response = client.post("/login", data={"email": user.email, "password": "wrong wrong wrong wrong"})
    assert GENERIC in page_text(response) and "deactivated" not in page_text(response)


def test_login_required_page_sends_to_login_then_back(app, client):
    user = make_user(app)
    response = client.get("/account")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Faccount"
    page = client.get(response.location)
    assert 'action="/login?next=/account"' in page.get_data(as_text=True)
    response = client.post("/login?next=%2Faccount", data={"email": user.email, "password": user.password})
    assert response.status_code == 302 and response.location == "/account"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/path", "/\\evil.example", "http:/evil.example",
     "javascript:alert(1)", " //evil.example", "\t//evil.example"],
)
def test_next_to_another_site_is_ignored(app, client, target):
    user = make_user(app)
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": user.password})
    assert response.status_code == 302
    assert response.location == "/"


def test_next_with_query_string_is_kept(app, client):
    user = make_user(app)
    response = client.post("/login", query_string={"next": "/admin/users?q=ann"},
                           data={"email": user.email, "password": user.password})
    assert response.location == "/admin/users?q=ann"


def test_signing_in_starts_a_fresh_cookie_session(app, client):
    user = make_user(app)
    with client.session_transaction() as session:
        session["planted_by_attacker"] = "x"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted_by_attacker" not in session
        assert session["_user_id"] != str(user.id)  # the cookie carries a session token, not the user id


def test_forms_keep_working_after_sign_in(app, client):
    """The CSRF token in a page rendered after the fresh session is accepted, as a browser would send it."""
    user = make_user(app)
    login(client, user)
    page = client.get("/account").get_data(as_text=True)
    token = input_value(page, "csrf_token")
    response = client.post("/account/sessions/revoke-others", data={"csrf_token": token}, csrf=False)
    assert response.status_code == 302 and response.location == "/account"


def test_logout_only_by_post(app, client):
    user = make_user(app)
    login(client, user)
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)


def test_logout_revokes_the_session_and_the_old_cookie_stops_working(app, client):
    user = make_user(app)
    login(client, user)
    saved = client.get_cookie("session").value
    response = client.post("/logout", follow_redirects=True)
    assert "You have signed out" in page_text(response)
    assert not is_signed_in(client)
    assert live_sessions(app, user.id) == []
    assert len(audit_events(app, "user.signed_out")) == 1
    # Someone who copied the cookie before sign-out cannot use it afterwards.
    client.set_cookie("session", saved)
    assert not is_signed_in(client)


def test_logout_without_csrf_token_is_rejected(app, client):
    user = make_user(app)
    login(client, user)
    assert client.post("/logout", csrf=False).status_code == 400
    assert is_signed_in(client)


def test_login_without_csrf_token_is_rejected(app, client):
    user = make_user(app)
    response = client.post("/login", data={"email": user.email, "password": user.password}, csrf=False)
    assert response.status_code == 400
    assert not is_signed_in(client)
    assert live_sessions(app, user.id) == []
