"""Fixtures shared by the render job tests (test_render_jobs.py, test_stale_jobs.py)."""
from __future__ import annotations

import pytest

from app.core import jobs
from app.documents.render import render_pdf
from app.extensions import db
from tests.helpers import decided_application
from tests.tools import redis_connection, redis_url_for_tests

REDIS_URL = redis_url_for_tests()


@pytest.fixture(scope="module")
def unsigned_pdf(app, tmp_path_factory):
    """A real unsigned PDF/A, rendered once, for tests about jobs rather than about the document."""
    from tests.helpers import configure_documents, shared_archive_dir, shared_pki

    configure_documents(app, shared_pki(tmp_path_factory), shared_archive_dir(tmp_path_factory))
    decided = decided_application(app, app.test_client, comments=False)
    with app.app_context():
        from app.documents.context import assessment_context

        return render_pdf(assessment_context(decided.submission_id, decided.round_number, audience="applicant"))


@pytest.fixture
def redis_queue(documents_app, monkeypatch):
    connection = redis_connection(REDIS_URL)
    # The worker builds its own app with create_app(), from the environment, as `make worker` does.
    config = documents_app.config
    for name, value in {
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": config["SECRET_KEY"],
        "INSTANCE_DIR": config["INSTANCE_DIR"], "SIGNING_CERT": config["SIGNING_CERT"],
        "SIGNING_KEY": config["SIGNING_KEY"], "SIGNING_KEY_PASSPHRASE": config["SIGNING_KEY_PASSPHRASE"],
        "SIGNING_CHAIN": config["SIGNING_CHAIN"], "ARCHIVE_DIR": config["ARCHIVE_DIR"],
        "ARCHIVE_BACKEND": "local", "REDIS_URL": REDIS_URL, "BASE_URL": config["BASE_URL"],
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(jobs, "_app", None)
    documents_app.config.update(REDIS_URL=REDIS_URL, RENDER_RETRY_INTERVALS="0")
    yield connection
    documents_app.config.update(REDIS_URL=None)
    connection.flushdb()
    if jobs._app is not None:
        with jobs._app.app_context():
            db.engine.dispose()
