from tests.auth.helpers import audit_events, input_value, is_signed_in, user_count, user_row
from tests.conftest import page_text
from tests.factories import login, make_user

GOOD = "granite otter spoon lantern 7"


def form(**overrides):
    data = {"name": "Rosalind Franklin", "email": "r.franklin@example.ac.uk", "password": GOOD, "confirm": GOOD}
    data.update(overrides)
    return data


def test_register_page_has_labelled_fields_with_autocomplete(client):
    response = client.get("/register")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1" in html and "Create an account" in html
    assert '<label class="form-label fw-semibold" for="email">' in html
    assert 'autocomplete="name"' in html and 'autocomplete="email"' in html
    assert html.count('autocomplete="new-password"') == 2
    assert 'name="csrf_token"' in html
    assert "style=" not in html and "<script>" not in html


def test_register_signs_in_and_redirects_to_dashboard(app, client):
    response = client.post("/register", data=form(email="  R.Franklin@Example.AC.uk "))
    assert response.status_code == 302
    assert response.location == "/"
    user = user_row(app, "r.franklin@example.ac.uk")
    assert user is not None and user["email"] == "r.franklin@example.ac.uk"
    assert user["name"] == "Rosalind Franklin"
    assert user["roles"] == {"applicant"}
    assert is_signed_in(client)
    [event] = audit_events(app, "user.registered")
    assert event["actor_id"] == user["id"] and event["object_id"] == str(user["id"])
    assert GOOD not in str(event["data"])
    assert len(audit_events(app, "user.signed_in")) == 1


def _assert_refused(app, client, data, message):
    before = user_count(app)
    response = client.post("/register", data=data)
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert message in text
    html = response.get_data(as_text=True)
    # What the person typed is kept, except passwords, which are never sent back.
    assert input_value(html, "name") == data.get("name", "")
    assert input_value(html, "email") == data.get("email", "")
    if data.get("password"):
        assert data["password"] not in html
    assert user_count(app) == before
    assert not is_signed_in(client)
    return response


def test_short_password_refused(app, client):
    _assert_refused(app, client, form(password="short1", confirm="short1"), "at least 12 characters")


def test_common_password_refused(app, client):
    _assert_refused(
        app, client, form(password="password1234", confirm="password1234"),
        "This password is too common. Choose one that is harder to guess",
    )


def test_password_containing_name_refused(app, client):
    pw = "franklin photo 51 dna"
    _assert_refused(app, client, form(password=pw, confirm=pw), "must not contain your name or email address")


def test_password_mismatch_refused(app, client):
    response = _assert_refused(app, client, form(confirm=GOOD + "x"), "The two passwords do not match")
    assert 'href="#confirm"' in response.get_data(as_text=True)


def test_duplicate_email_refused(app, client):
    make_user(app, email="taken@example.ac.uk")
    data = form(email="Taken@Example.ac.uk")
    response = client.post("/register", data=data)
    assert response.status_code == 200
    assert "An account with this email address already exists" in page_text(response)
    assert input_value(response.get_data(as_text=True), "email") == "Taken@Example.ac.uk"
    assert user_row(app, "taken@example.ac.uk")["name"].startswith("Test User")
    assert audit_events(app, "user.registered") == []


def test_missing_fields(app, client):
    response = client.post("/register", data={"name": "", "email": "", "password": "", "confirm": ""})
    assert response.status_code == 200
    text = page_text(response)
    for message in ("Enter your full name", "Enter your email address", "Enter a password"):
        assert message in text
    html = response.get_data(as_text=True)
    # The error summary links to each field with a problem.
    for field_id in ("name", "email", "password"):
        assert f'href="#{field_id}"' in html
    assert 'aria-invalid="true"' in html
    assert user_count(app) == 0


def test_missing_password_keeps_typed_name_and_email(app, client):
    response = client.post("/register", data=form(password="", confirm=""))
    html = response.get_data(as_text=True)
    assert input_value(html, "name") == "Rosalind Franklin"
    assert input_value(html, "email") == "r.franklin@example.ac.uk"
    assert user_count(app) == 0


def test_invalid_email_refused(app, client):
    response = client.post("/register", data=form(email="not-an-email"))
    assert "Enter an email address in the correct format" in page_text(response)
    assert user_count(app) == 0


def test_register_without_csrf_token_is_rejected(app, client):
    response = client.post("/register", data=form(), csrf=False)
    assert response.status_code == 400
    assert user_count(app) == 0


def test_signed_in_user_is_sent_to_dashboard(app, client):
    user = make_user(app)
    login(client, user)
    response = client.get("/register")
    assert response.status_code == 302 and response.location == "/"
