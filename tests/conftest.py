"""Test fixtures: a real app on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).

Every database test runs once per configured database: the session-scoped `app` fixture is parametrised
by database, and each test leaves the tables empty for the next.
"""
from __future__ import annotations

import hashlib
import os

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.helpers import (
    Application,
    Person,
    application_in_state,
    configure_documents,
    person,
    shared_archive_dir,
    shared_pki,
)

pytest_plugins = ["tests.parts"]

# The settings each app was created with, restored after every test.
PRISTINE_CONFIG: dict = {}

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


class CrucibleClient(FlaskClient):
    """A test client that sends a valid CSRF token with every unsafe request, as a browser with the form would.

    Pass csrf=False to send none (to test the rejection). The token is made exactly the way Flask-WTF makes
    it, from the raw token in the signed session cookie, so the server's real check runs.
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = hashlib.sha1(os.urandom(64), usedforsecurity=False).hexdigest()
            raw = session["csrf_token"]
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"}:
            if kwargs.get("json") is not None:
                headers = dict(kwargs.get("headers") or {})
                headers.setdefault("X-CSRFToken", self.csrf_token())
                kwargs["headers"] = headers
            else:
                data = kwargs.get("data")
                if data is None:
                    data = {}
                if isinstance(data, dict):
                    data = dict(data)
                    data.setdefault("csrf_token", self.csrf_token())
                    kwargs["data"] = data
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session", params=DATABASES)
def app(request, tmp_path_factory):
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    url = os.environ["TEST_DATABASE_URL"] if request.param == "postgresql" else f"sqlite:///{instance / 'test.sqlite3'}"
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": str(instance),
            # Fast hashing keeps the suite quick; production uses scrypt.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "MAIL_SERVER": None,
            # Rendering a PDF per decision would slow every review test; tests/reviews/test_documents_wiring.py
            # switches it on to prove decisions produce their signed assessment.
            "ASSESSMENT_AUTO_RENDER": False,
            "SERVER_NAME": "localhost",
            # Links in mail are built from BASE_URL, never from the request's Host header.
            "BASE_URL": "http://localhost",
        }
    )
    application.test_client_class = CrucibleClient
    PRISTINE_CONFIG[application] = dict(application.config)
    with application.app_context():
        if request.param == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        else:
            db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables_after_test(request):
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    # Tests may change the shared app's settings (signing keys, BASE_URL, queues): the next test starts
    # from the settings the app was created with.
    application.config.clear()
    application.config.update(PRISTINE_CONFIG[application])
    application.extensions.pop("crucible_archive_storage", None)
    with application.app_context():
        db.session.rollback()
        tables = list(reversed(db.metadata.sorted_tables))
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Sign-in throttling stays on in tests; each test starts with no attempts counted against 127.0.0.1."""
    if "app" in request.fixturenames:
        from app.extensions import limiter

        limiter.reset()
    yield


@pytest.fixture
def client(app) -> CrucibleClient:
    return app.test_client()


@pytest.fixture
def make_client(app):
    """Several independent browsers (e.g. two team members editing at once)."""
    return lambda: app.test_client()


@pytest.fixture
def login_as(app, make_client):
    """A person signed in with their own browser: `login_as("chair", "reviewer")` has both roles, `login_as()`
    is an applicant. Returns a Person (its `.user` and its `.client`)."""

    def sign_in(*roles: str, name: str | None = None) -> Person:
        return person(app, make_client, *roles, name=name)

    return sign_in


@pytest.fixture
def application_in(app, make_client):
    """An application brought to a workflow state through the real routes: `application_in("in_review")`.

    Takes `answers=` (the sections' answers; `{}` leaves a draft empty), `owner=` (a Person from login_as) and
    `c=` (a Committee, to share reviewers between applications). Returns an Application: `.id`, `.owner` and
    `.committee`. tests/helpers.py's application_in_state says what each state holds.
    """

    def build(state: str, **options) -> Application:
        return application_in_state(app, make_client, state, **options)

    return build


# ---------------------------------------------------------------- signed documents and the archive


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> dict:
    """One development PKI (root CA and signing certificate) per test session: making one takes seconds."""
    return shared_pki(tmp_path_factory)


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory):
    return shared_archive_dir(tmp_path_factory)


@pytest.fixture
def documents_app(app, pki, archive_dir):
    """The app set up to render, sign and archive assessments."""
    configure_documents(app, pki, archive_dir)
    return app


@pytest.fixture
def rendering_app(documents_app):
    """documents_app rendering each assessment as the decision is recorded."""
    documents_app.config["ASSESSMENT_AUTO_RENDER"] = True
    yield documents_app
    documents_app.config["ASSESSMENT_AUTO_RENDER"] = False
