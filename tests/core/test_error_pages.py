"""Every error a person can meet gets a friendly page with a reference id for support, and no stack trace."""
from __future__ import annotations

import re

import pytest
from flask import abort

from app import create_app
from tests.helpers import page_text

REFERENCE = re.compile(r"reference ([0-9A-F]{8})")


@pytest.fixture(scope="module")
def error_app(app):
    """The test app's configuration, with routes that fail on purpose (added before its first request)."""
    application = create_app(dict(app.config))
    application.config["PROPAGATE_EXCEPTIONS"] = False

    @application.route("/_test/abort/<int:code>", methods=["GET", "POST"])
    def _abort(code: int):
        abort(code)

    @application.route("/_test/crash")
    def _crash():
        raise RuntimeError("secret internal detail")

    return application


@pytest.mark.parametrize("code, title", [
    (400, "Something in the request was not right"),
    (403, "You do not have access to this page"),
    (404, "Page not found"),
    (409, "That cannot be done right now"),
    (413, "The file or form is too large"),
    (429, "Too many attempts"),
])
def test_friendly_page_with_reference(error_app, code, title):
    response = error_app.test_client().get(f"/_test/abort/{code}")
    assert response.status_code == code
    text = page_text(response)
    assert title in text
    assert f"Error {code}" in text
    assert REFERENCE.search(text), text
    assert "Traceback" not in text
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<main id=\"main\"" in response.get_data(as_text=True)


def test_unexpected_error_is_a_friendly_500_without_details(error_app):
    response = error_app.test_client().get("/_test/crash")
    assert response.status_code == 500
    text = page_text(response)
    assert "Something went wrong on our side" in text
    assert REFERENCE.search(text)
    assert "secret internal detail" not in text and "RuntimeError" not in text


def test_unknown_address_is_404(error_app):
    response = error_app.test_client().get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


def test_request_body_over_the_limit_is_413(error_app):
    limit = error_app.config["MAX_CONTENT_LENGTH"]
    response = error_app.test_client().post("/_test/abort/200", data={"big": "x" * (limit + 10)})
    assert response.status_code == 413
    assert "The file or form is too large" in page_text(response)


def test_each_error_gets_its_own_reference(error_app):
    client = error_app.test_client()
    first = REFERENCE.search(page_text(client.get("/_test/abort/404"))).group(1)
    second = REFERENCE.search(page_text(client.get("/_test/abort/404"))).group(1)
    assert first != second


def test_json_clients_get_json_with_the_reference(error_app):
    response = error_app.test_client().get("/_test/abort/429", headers={"Accept": "application/json"})
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "Too many attempts" and re.fullmatch(r"[0-9A-F]{8}", body["reference"])


@pytest.fixture
def app_without_database(app):
    """The test app's configuration pointed at a PostgreSQL port where nothing listens: a database outage."""
    config = dict(app.config, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:9/nowhere",
                  PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=False)
    return create_app(config)


def test_database_outage_gets_a_503_page_with_retry_after(app_without_database):
    client = app_without_database.test_client()
    response = client.post("/login", data={"email": "someone@example.ac.uk", "password": "whatever-it-is"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    text = page_text(response)
    assert "Crucible is briefly unavailable" in text and "nothing already saved is lost" in text
    assert REFERENCE.search(text)
    assert "Traceback" not in text and "psycopg" not in text and "OperationalError" not in text


def test_database_outage_for_a_signed_in_user_still_gets_a_page(app_without_database):
    """The full error page shows the user's menu, which needs the database: the plain page stands in."""
    client = app_without_database.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "a-session-token"
    response = client.get("/")
    assert response.status_code == 503
    text = page_text(response)
    assert "Crucible is briefly unavailable" in text and REFERENCE.search(text)
    assert "Traceback" not in text and "psycopg" not in text
    assert response.headers["Content-Type"].startswith("text/html")


def test_connection_dropped_during_a_request_does_not_escape_its_end(app):
    """PostgreSQL ends the request's connection (a restart) after the page is made: the session's closing
    ROLLBACK fails, and that must not turn a finished page into the WSGI server's bare error."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("a server-side end of the connection needs PostgreSQL")
    from sqlalchemy import create_engine, text

    from app.extensions import db

    application = create_app(dict(app.config))
    application.config["PROPAGATE_EXCEPTIONS"] = False
    killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")

    @application.route("/_test/dropped")
    def _dropped():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return "page made"

    try:
        response = application.test_client().get("/_test/dropped")
        assert response.status_code == 200 and response.get_data(as_text=True) == "page made"
        # The pool gives the next request a working connection.
        with application.app_context():
            assert db.session.execute(text("SELECT 1")).scalar() == 1
    finally:
        killer.dispose()
