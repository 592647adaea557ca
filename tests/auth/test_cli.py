from tests.helpers import audit_events, login, make_user, user_row

GOOD = "basalt heron umbrella 31 kite"


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_user_with_roles(app, client):
    result = run(app, "create-user", "Ada.Lovelace@Example.ac.uk", "--name", "Ada Lovelace",
                 "--role", "admin", "--role", "reviewer", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output  # the prompt hides what is typed
    user = user_row(app, "ada.lovelace@example.ac.uk")
    assert user["name"] == "Ada Lovelace"
    assert user["roles"] == {"applicant", "admin", "reviewer"}
    [event] = audit_events(app, "user.created")
    assert event["actor_id"] is None and event["object_id"] == str(user["id"])
    assert set(event["data"]["roles"]) == {"applicant", "admin", "reviewer"}

    class Ref:
        email = "ada.lovelace@example.ac.uk"
        password = GOOD

    assert login(client, Ref).status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_create_user_refuses_weak_password(app):
    result = run(app, "create-user", "weak@example.ac.uk", "--name", "Weak Person",
                 input="password1234\npassword1234\n")
    assert result.exit_code == 2
    assert "too common" in result.output
    assert user_row(app, "weak@example.ac.uk") is None
    assert audit_events(app, "user.created") == []


def test_create_user_refuses_short_password(app):
    result = run(app, "create-user", "weak@example.ac.uk", "--name", "Weak Person", input="short\nshort\n")
    assert result.exit_code == 2
    assert "at least 12 characters" in result.output
    assert user_row(app, "weak@example.ac.uk") is None


def test_create_user_refuses_unknown_role(app):
    result = run(app, "create-user", "x@example.ac.uk", "--name", "X Person", "--role", "overlord",
                 input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 2
    assert "overlord" in result.output
    assert user_row(app, "x@example.ac.uk") is None


def test_create_user_refuses_existing_email(app):
    make_user(app, email="exists@example.ac.uk", name="Original Name")
    result = run(app, "create-user", "Exists@example.ac.uk", "--name", "New Name", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert user_row(app, "exists@example.ac.uk")["name"] == "Original Name"


def test_create_user_refuses_invalid_email(app):
    result = run(app, "create-user", "not-an-email", "--name", "N", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 2
    assert "not a valid email address" in result.output


def test_grant_role(app):
    user = make_user(app)
    result = run(app, "grant-role", user.email, "chair")
    assert result.exit_code == 0, result.output
    assert user_row(app, user.email)["roles"] == {"applicant", "chair"}
    [event] = audit_events(app, "user.roles_changed")
    assert event["data"]["after"] == ["applicant", "chair"] and event["actor_id"] is None
    again = run(app, "grant-role", user.email, "chair")
    assert again.exit_code == 0 and "already had" in again.output
    assert run(app, "grant-role", "nobody@example.ac.uk", "chair").exit_code == 2
    assert run(app, "grant-role", user.email, "applicant").exit_code == 2
