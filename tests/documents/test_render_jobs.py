"""Render jobs: inline with one immediate retry, on RQ with a real Redis and worker, failures kept visible."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.documents import services
from app.documents.models import Document, RenderJob
from app.documents.render import MissingGlyphError, RenderError, render_pdf
from app.extensions import db
from tests.helpers import decided_application, login, sent


def _flaky(unsigned_pdf: bytes, failures: int):
    calls = {"n": 0}

    def render(context):
        calls["n"] += 1
        if calls["n"] <= failures:
            raise RuntimeError(f"renderer crashed (call {calls['n']})")
        return unsigned_pdf

    return render, calls


def _actions(submission_id: int) -> list[str]:
    return list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.submission_id == submission_id).order_by(AuditEvent.id)))


def test_inline_failure_is_retried_once_and_succeeds(documents_app, make_client, unsigned_pdf, monkeypatch):
    decided = decided_application(documents_app, make_client)
    render, calls = _flaky(unsigned_pdf, failures=1)
    monkeypatch.setattr(services, "_render", render)
    with documents_app.app_context():
        job = services.request_assessment(decided.submission_id, decided.round_number, "decision", decided.chair.id)
        assert (job.status, job.attempts, job.error) == ("done", 2, None)
        assert calls["n"] == 2
        actions = _actions(decided.submission_id)
        assert actions[-2:] == ["document.failed", "document.created"]
        document = db.session.get(Document, job.document_id)
        assert document.kind == "decision" and document.uid == job.document_uid
        # Asking again returns the same job and produces nothing new.
        again = services.request_assessment(decided.submission_id, decided.round_number, "decision", None)
        assert again.id == job.id and calls["n"] == 2


def test_inline_failure_twice_stays_visible_and_can_be_retried(documents_app, make_client, unsigned_pdf,
                                                                monkeypatch):
    decided = decided_application(documents_app, make_client)
    render, calls = _flaky(unsigned_pdf, failures=2)
    monkeypatch.setattr(services, "_render", render)
    with documents_app.app_context():
        job = services.request_assessment(decided.submission_id, decided.round_number, "decision", decided.chair.id)
        assert job.status == "failed" and job.attempts == 2
        assert "renderer crashed (call 2)" in job.error
        assert _actions(decided.submission_id).count("document.failed") == 2
        job_id = job.id

    # The chair sees the error on the job page and can retry it there.
    client = make_client()
    login(client, decided.chair)
    page = client.get(f"/documents/jobs/{job_id}")
    assert page.status_code == 200 and "renderer crashed" in page.get_data(as_text=True)
    status = client.get(f"/documents/jobs/{job_id}/status").get_json()
    assert status["status"] == "failed" and status["retryable"] is True
    response = sent(client.post(f"/documents/jobs/{job_id}/retry"))
    assert response.status_code == 302
    with documents_app.app_context():
        job = db.session.get(RenderJob, job_id)
        assert job.status == "done" and job.attempts == 3 and job.document_id
    status = client.get(f"/documents/jobs/{job_id}/status").get_json()
    assert status["status"] == "done"
    assert status["download_url"].endswith(f"/documents/{status['document_id']}/download")


def test_retry_cli(documents_app, make_client, unsigned_pdf, monkeypatch):
    decided = decided_application(documents_app, make_client, comments=False)
    render, _ = _flaky(unsigned_pdf, failures=2)
    monkeypatch.setattr(services, "_render", render)
    with documents_app.app_context():
        job_id = services.request_assessment(decided.submission_id, decided.round_number, "decision", None).id
    runner = documents_app.test_cli_runner()
    listed = runner.invoke(args=["documents", "jobs"])
    assert f"{job_id}\tfailed" in listed.output
    result = runner.invoke(args=["documents", "retry", str(job_id)])
    assert result.exit_code == 0 and "done" in result.output


def _work(connection, app) -> None:
    from rq import Queue, SimpleWorker

    queue = Queue(app.config["RENDER_QUEUE"], connection=connection)
    SimpleWorker([queue], connection=connection).work(burst=True)


def test_rq_job_that_fails_once_is_retried_and_succeeds(documents_app, make_client, unsigned_pdf, monkeypatch,
                                                         redis_queue):
    decided = decided_application(documents_app, make_client)
    render, calls = _flaky(unsigned_pdf, failures=1)
    monkeypatch.setattr(services, "_render", render)
    with documents_app.app_context():
        job = services.request_assessment(decided.submission_id, decided.round_number, "decision", decided.chair.id)
        assert job.status == "queued" and job.rq_job_id and job.attempts == 0
        job_id = job.id

    # The progress page polls while the job waits.
    client = make_client()
    login(client, decided.owner)
    page = client.get(f"/documents/jobs/{job_id}")
    assert page.status_code == 200 and 'src="/static/js/render-status.js?v=' in page.get_data(as_text=True)
    assert client.get(f"/documents/jobs/{job_id}/status").get_json()["status"] == "queued"

    _work(redis_queue, documents_app)
    assert calls["n"] == 2
    with documents_app.app_context():
        job = db.session.get(RenderJob, job_id)
        assert (job.status, job.attempts, job.error) == ("done", 2, None)
        assert _actions(decided.submission_id)[-2:] == ["document.failed", "document.created"]
    data = client.get(f"/documents/jobs/{job_id}/status").get_json()
    assert data["status"] == "done"
    download = client.get(data["download_url"])
    assert download.status_code == 200 and download.data.startswith(b"%PDF")


def test_rq_job_failing_every_time_ends_failed_with_its_error(documents_app, make_client, unsigned_pdf,
                                                              monkeypatch, redis_queue):
    decided = decided_application(documents_app, make_client, comments=False)
    render, calls = _flaky(unsigned_pdf, failures=99)
    monkeypatch.setattr(services, "_render", render)
    with documents_app.app_context():
        job_id = services.request_assessment(decided.submission_id, decided.round_number, "decision", None).id
    _work(redis_queue, documents_app)
    assert calls["n"] == 1 + services.RQ_RETRIES
    with documents_app.app_context():
        job = db.session.get(RenderJob, job_id)
        assert job.status == "failed" and job.attempts == 4 and "renderer crashed (call 4)" in job.error
        assert _actions(decided.submission_id).count("document.failed") == 4


def test_redis_unreachable_falls_back_to_inline(documents_app, make_client, unsigned_pdf, monkeypatch):
    decided = decided_application(documents_app, make_client, comments=False)
    monkeypatch.setattr(services, "_render", lambda context: unsigned_pdf)
    documents_app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        with documents_app.app_context():
            job = services.request_assessment(decided.submission_id, decided.round_number, "decision", None)
            assert job.status == "done"
    finally:
        documents_app.config["REDIS_URL"] = None


@pytest.mark.parametrize("text, error", [
    ("A private-use character: \U0010FFFD", MissingGlyphError),  # in no font at all
    ("An emoji: \U0001F9EA", RenderError),  # missing from the shipped fonts: .notdef or a foreign font
])
def test_missing_glyph_is_an_error(documents_app, monkeypatch, text, error):
    from flask import render_template_string

    from app.documents import render as render_module

    with documents_app.test_request_context():
        html = render_template_string(
            '<html><head><link rel="stylesheet" href="css/assessment.css"></head><body><p>{{ t }}</p></body></html>',
            t=text)
        monkeypatch.setattr(render_module, "html_for", lambda context: html)
        with pytest.raises(error):
            render_pdf({"data": {}})


def test_fonts_and_their_licence_are_shipped():
    from app.documents.render import FONT_DIR

    names = {p.name for p in FONT_DIR.iterdir()}
    assert {"NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "DejaVuSans.ttf", "LICENSE.txt"} <= names
    assert "SIL Open Font License" in (FONT_DIR / "LICENSE.txt").read_text() or \
        "SIL OPEN FONT LICENSE" in (FONT_DIR / "LICENSE.txt").read_text()


def test_dev_certs_command_writes_only_missing_files(app, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    original = dict(app.config)
    app.config.update(INSTANCE_DIR=str(instance), SIGNING_CERT=str(instance / "signing" / "signing-cert.pem"),
                      SIGNING_KEY=str(instance / "signing" / "signing-key.pem"), SIGNING_KEY_PASSPHRASE=None)
    try:
        runner = app.test_cli_runner()
        first = runner.invoke(args=["dev-certs"])
        assert first.exit_code == 0, first.output
        assert "root-ca.pem" in first.output and "signing-cert.pem" in first.output
        before = {p.name: p.read_bytes() for p in (instance / "signing").iterdir()}
        second = runner.invoke(args=["dev-certs"])
        assert second.exit_code == 0 and "present" in second.output
        assert {p.name: p.read_bytes() for p in (instance / "signing").iterdir()} == before
        assert oct((instance / "signing" / "signing-key.pem").stat().st_mode & 0o777) == "0o600"
    finally:
        app.config.clear()
        app.config.update(original)


def test_failed_attempt_leaves_a_job_another_attempt_finished_done(documents_app, make_client, unsigned_pdf,
                                                                   monkeypatch):
    """Two attempts of one job overlap (a retry asked while the first still ran); the second finishes, then the
    first fails. The job stays done with the second's document; nothing re-queues or fails it."""
    decided = decided_application(documents_app, make_client)
    render, _calls = _flaky(unsigned_pdf, failures=2)
    monkeypatch.setattr(services, "_render", render)
    with documents_app.app_context():
        job = services.request_assessment(decided.submission_id, decided.round_number, "decision", decided.chair.id)
        assert job.status == "failed"
        job_id = job.id

    def overlapping_render(context):
        # The other attempt runs to the end (in its own app context and session) while this one renders...
        monkeypatch.setattr(services, "_render", lambda _context: unsigned_pdf)
        with documents_app.app_context():
            assert services.run_job(job_id, final=True).status == "done"
        # ... then this one fails.
        raise RuntimeError("renderer crashed after the other attempt finished")

    monkeypatch.setattr(services, "_render", overlapping_render)
    with documents_app.app_context():
        assert services.run_job(job_id, final=False).status == "done"  # not raised: nothing for RQ to retry
    with documents_app.app_context():
        job = db.session.get(RenderJob, job_id)
        assert job.status == "done" and job.error is None and job.document_id is not None
        assert db.session.scalar(select(func.count()).select_from(Document)
                                 .where(Document.submission_id == decided.submission_id)) == 1
