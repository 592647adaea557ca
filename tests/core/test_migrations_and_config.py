"""The migrations build exactly the schema the models describe; configuration refuses unsafe production starts."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.auth.models import User, UserRole
from app.config import ConfigError, load_config
from app.core.models import migration_filter
from app.extensions import db
from app.submissions.models import QuestionnaireVersion, Submission
from tests.databases import empty_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else []))
def empty_database_url(request, tmp_path):
    like = "sqlite://" if request.param == "sqlite" else os.environ["TEST_DATABASE_URL"]
    with empty_database(like, tmp_path, "migrations") as url:
        yield url


def test_upgrade_from_empty_matches_models(empty_database_url, tmp_path):
    application = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                              "INSTANCE_DIR": str(tmp_path)})
    with application.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_object": migration_filter(connection.dialect.name)})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == [], f"models and migrations disagree: {differences}"


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setenv("CRUCIBLE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config()


def test_production_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRUCIBLE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://crucible@db/crucible")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.ac.uk")
    config = load_config()
    assert config["SECRET_KEY"] == "from-the-environment"
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert config["MAIL_SERVER"] == "smtp.example.ac.uk"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_wsgi_refuses_production_start_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"CRUCIBLE_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_wsgi_freezes_what_start_up_built(tmp_path):
    """The server's app object and everything made with it stay out of the collector's full passes."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", INSTANCE_DIR=str(tmp_path))
    code = "import gc; assert gc.get_freeze_count() == 0; import wsgi; print(gc.get_freeze_count())"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 10_000


def test_pages_load_bootstrap_from_the_app_itself(client):
    html = client.get("/login").get_data(as_text=True)
    assert "/bootstrap/static/" in html
    for attribute in ("src", "href"):
        assert f'{attribute}="http' not in html and f"{attribute}='http" not in html
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_error_pages_are_friendly_with_a_reference(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body and "reference" in body
    assert "Traceback" not in body


@pytest.fixture
def migrated(empty_database_url, tmp_path):
    """An app on an empty database upgraded through every migration, inside its app context."""
    application = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                              "INSTANCE_DIR": str(tmp_path)})
    with application.app_context():
        upgrade()
        yield application
        db.session.rollback()
        db.engine.dispose()


def _stored_user(email: str, name: str) -> User:
    user = User(email=email, name=name, active=True)
    user.set_password("correct horse battery staple 42")
    db.session.add(user)
    db.session.flush()
    return user


def test_the_migrated_schema_stores_the_extra_reviewer_roles_and_nothing_unknown(migrated):
    """The CHECK constraints as the migrations make them (not as create_all would) take the policy's extra
    reviewer roles and refuse a role outside the role table."""
    user = _stored_user("freya@example.ac.uk", "Dr Freya Holm")
    db.session.add_all([UserRole(user_id=user.id, role="sustainability_reviewer"),
                        UserRole(user_id=user.id, role="data_steward")])
    db.session.commit()
    db.session.add(UserRole(user_id=user.id, role="carbon_auditor"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_the_migrated_schema_stores_an_expired_approval_and_keeps_the_other_rules(migrated):
    """The state CHECK constraint as migration 0012 remakes it (SQLite copies the table to change it) takes the
    expired state and the approval's dates, and the table keeps its other constraints and its tier index."""
    user = _stored_user("imogen@example.ac.uk", "Dr Imogen Achterberg")
    version = QuestionnaireVersion(key="ml-materials-ethics", version=1, title="Q", sha256="0" * 64)
    db.session.add(version)
    db.session.commit()

    def stored(number: int, state: str, route: str) -> None:
        db.session.add(Submission(reference=f"ETH-2026-{number:04d}", title="A title", owner_id=user.id,
                                  questionnaire_version_id=version.id, state=state, route=route, round_number=1,
                                  valid_until=date(2027, 3, 1)))
        db.session.commit()

    stored(1, "expired", "expedited")
    for number, (state, route) in enumerate((("lapsed", "expedited"), ("expired", "no_route")), start=2):
        with pytest.raises(IntegrityError):
            stored(number, state, route)
        db.session.rollback()
    indexes = {index["name"] for index in inspect(db.engine).get_indexes("submission")}
    if db.engine.dialect.name == "sqlite":  # an expression index is not reflected there: read the schema
        indexes |= set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                               "AND tbl_name = 'submission'")))
    assert {"ix_submission_tier_rank", "ix_submission_valid_until", "ix_submission_state"} <= indexes
