from tests.helpers import (
    audit_events,
    input_value,
    is_signed_in,
    link_in,
    login,
    mails,
    make_user,
    page_text,
    register,
    user_count,
    user_row,
)

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


def test_register_by_mailed_link_signs_in_and_redirects_to_dashboard(app, client):
    response = register(client, app, form(email="  R.Franklin@Example.AC.uk "))
    assert response.status_code == 302
    assert response.location == "/"
    user = user_row(app, "r.franklin@example.ac.uk")
    assert user is not None and user["email"] == "r.franklin@example.ac.uk"
    assert user["name"] == "Rosalind Franklin" and user["department"] is None
    assert user["roles"] == {"applicant"}
    assert is_signed_in(client)
    [event] = audit_events(app, "user.registered")
    assert event["actor_id"] == user["id"] and event["object_id"] == str(user["id"])
    assert GOOD not in str(event["data"])
    assert len(audit_events(app, "user.signed_in")) == 1
    # The password typed on the form is the account's; it never travelled in the mail.
    assert GOOD not in str(mails(app))
    other = app.test_client()
    signed_in = other.post("/login", data={"email": "r.franklin@example.ac.uk", "password": GOOD})
    assert signed_in.status_code == 302 and is_signed_in(other)


def test_registration_asks_for_the_department_and_keeps_it(app, client):
    html = client.get("/register").get_data(as_text=True)
    assert '<label class="form-label fw-semibold" for="department">Department (optional)</label>' in html
    assert register(client, app, form(department="  Department of   Materials ")).status_code == 302
    assert user_row(app, "r.franklin@example.ac.uk")["department"] == "Department of Materials"
    [event] = audit_events(app, "user.registered")
    assert event["data"]["department"] == "Department of Materials"


def test_opening_the_link_does_not_create_the_account_until_the_button(app, client):
    client.post("/register", data=form(), buffered=True)
    [mail] = mails(app, "r.franklin@example.ac.uk")
    path = link_in(mail["body"], "/register/confirm/")
    page = client.get(path)
    assert page.status_code == 200 and "Create my account" in page.get_data(as_text=True)
    assert user_count(app) == 0
    assert client.post(path).status_code == 302
    assert user_count(app) == 1
    again = client.post(path)
    assert again.status_code == 400 and "already been created" in page_text(again)
    assert user_count(app) == 1


def test_tampered_or_expired_registration_link(app, client):
    client.post("/register", data=form(), buffered=True)
    path = link_in(mails(app)[0]["body"], "/register/confirm/")
    tampered = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert tampered.status_code == 400 and "not valid" in page_text(tampered)
    app.config["REGISTRATION_LINK_MAX_AGE"] = -10
    expired = client.get(path)
    assert expired.status_code == 400 and "has expired" in page_text(expired)
    assert user_count(app) == 0


def _visible_answer(app, email: str):
    """The registration form's answer for one address: its text as the person reads it, the statements the
    request ran, and the mail and audit rows written by then; then the response is closed, as a server does
    once it has sent it, which runs the work left for after it."""
    from tests.test_query_counts import count_statements

    def written():
        return (len(mails(app)), len(audit_events(app, "user.registration_refused"))
                + len(audit_events(app, "user.registration_requested")))

    browser = app.test_client()
    browser.get("/register")
    before = written()
    with count_statements(app) as statements:
        response = browser.post("/register", data=form(email=email))
    during = written() == before
    response.close()
    after = browser.get(response.location)
    return response.status_code, response.location, page_text(after), len(statements), during


def test_taken_address_gets_the_same_answer_and_a_mail_instead(app):
    """Finding 9: the answer for an address with an account is the one for a new address, word for word, from
    the same work in the request; the difference is only in the mail, which only the address's owner reads."""
    make_user(app, email="taken@example.ac.uk")
    taken = _visible_answer(app, "Taken@Example.ac.uk")
    new = _visible_answer(app, "new.person@example.ac.uk")
    assert taken[:2] == new[:2] == (302, "/login")
    assert taken[2] == new[2]
    assert "An account with this email address already exists" not in taken[2]
    assert "We have sent a link to the address you gave" in taken[2]
    assert taken[3] == new[3]
    # Nothing was written while the person waited for either answer: the mail and the audit row come after.
    assert taken[4] is new[4] is True
    [existing] = mails(app, "taken@example.ac.uk")
    assert existing["subject"] == "Someone tried to create a Crucible account with your address"
    assert "/register/confirm/" not in existing["body"]
    assert user_row(app, "taken@example.ac.uk")["name"].startswith("Test User")
    assert audit_events(app, "user.registered") == []
    [refused] = audit_events(app, "user.registration_refused")
    assert refused["data"]["reason"] == "email_taken"
    [requested] = audit_events(app, "user.registration_requested")
    assert requested["data"]["email"] == "new.person@example.ac.uk"


def test_registration_is_rate_limited_per_address(app, client):
    app.config["REGISTRATION_RATE_LIMIT"] = "3 per 15 minutes"
    # Form errors do not use up the allowance: a person fixing a typo is not refused.
    for _ in range(4):
        assert client.post("/register", data=form(password="short1", confirm="short1")).status_code == 200
    for n in range(3):
        assert client.post("/register", data=form(email=f"person{n}@example.ac.uk")).status_code == 302
    refused = client.post("/register", data=form(email="person9@example.ac.uk"), buffered=True)
    assert refused.status_code == 429
    assert mails(app, "person9@example.ac.uk") == []


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
