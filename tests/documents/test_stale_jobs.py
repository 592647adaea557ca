"""Render jobs whose worker died: RQ retries them while it can, then the worker's sweep enqueues them again.

The work-horses here are real forked processes killed with SIGKILL in the middle of rendering, as a worker
killed by the kernel's OOM killer or a deploy would be.
"""
from __future__ import annotations

import os
import signal
from datetime import timedelta

from rq.job import Job
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.models import utcnow
from app.documents import services
from app.documents.models import Document, RenderJob
from app.extensions import db
from tests.helpers import decided_application


def _die(context):
    os.kill(os.getpid(), signal.SIGKILL)


def _events(submission_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.submission_id == submission_id).order_by(AuditEvent.id)))


def _worker(app) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output


def test_job_whose_work_horse_dies_on_every_attempt_is_finished_by_the_next_worker(
        documents_app, make_client, unsigned_pdf, monkeypatch, redis_queue):
    decided = decided_application(documents_app, make_client, comments=False)
    monkeypatch.setattr(services, "_render", _die)
    with documents_app.app_context():
        job_id = services.request_assessment(decided.submission_id, decided.round_number, "decision", None).id

    _worker(documents_app)
    with documents_app.app_context():
        job = db.session.get(RenderJob, job_id)
        # What RQ leaves behind once its retries are spent: no error recorded, and no one will run it again.
        assert (job.status, job.attempts, job.error) == ("running", 1 + services.RQ_RETRIES, None)
        assert Job.fetch(job.rq_job_id, connection=redis_queue).get_status() == "failed"
        # Not stale yet: the sweep leaves it alone.
        assert services.requeue_stale(redis_queue) == []
        first_rq_job = job.rq_job_id

    monkeypatch.setattr(services, "_render", lambda context: unsigned_pdf)
    documents_app.config["RENDER_STALE_AFTER"] = 0
    _worker(documents_app)
    with documents_app.app_context():
        job = db.session.get(RenderJob, job_id)
        assert (job.status, job.attempts, job.error) == ("done", 2 + services.RQ_RETRIES, None)
        assert job.rq_job_id != first_rq_job
        documents = db.session.scalars(select(Document).where(Document.submission_id == decided.submission_id)).all()
        assert [d.id for d in documents] == [job.document_id] and documents[0].uid == job.document_uid
        events = _events(decided.submission_id)
        assert [e.action for e in events[-2:]] == ["document.retry_requested", "document.created"]
        assert events[-2].data["swept"] is True and events[-2].actor_id is None


def test_sweep_enqueues_again_only_the_jobs_rq_no_longer_holds(documents_app, make_client, unsigned_pdf,
                                                               monkeypatch, redis_queue):
    lost = decided_application(documents_app, make_client, comments=False)
    waiting = decided_application(documents_app, make_client, comments=False, title="Active learning for zeolites")
    with documents_app.app_context():
        lost_job = services.request_assessment(lost.submission_id, lost.round_number, "decision", None)
        waiting_job = services.request_assessment(waiting.submission_id, waiting.round_number, "decision", None)
        lost_rq_job, waiting_rq_job = lost_job.rq_job_id, waiting_job.rq_job_id
        # Redis lost the first job (restarted without persistence); the second still waits for a worker.
        Job.fetch(lost_rq_job, connection=redis_queue).delete()
        for job in (lost_job, waiting_job):
            job.created_at = utcnow() - services.stale_after() - timedelta(seconds=1)
        db.session.commit()

        retried = services.requeue_stale(redis_queue)
        assert [job.id for job in retried] == [lost_job.id]
        lost_job, waiting_job = db.session.get(RenderJob, lost_job.id), db.session.get(RenderJob, waiting_job.id)
        assert lost_job.status == "queued" and lost_job.rq_job_id not in (None, lost_rq_job)
        assert Job.fetch(lost_job.rq_job_id, connection=redis_queue).get_status() == "queued"
        assert waiting_job.rq_job_id == waiting_rq_job
        assert services.requeue_stale(redis_queue) == []


def test_sweep_leaves_a_job_that_keeps_killing_its_worker_failed_for_a_person(documents_app, make_client,
                                                                             redis_queue):
    decided = decided_application(documents_app, make_client, comments=False)
    with documents_app.app_context():
        job = services.request_assessment(decided.submission_id, decided.round_number, "decision", None)
        Job.fetch(job.rq_job_id, connection=redis_queue).delete()
        job.status, job.attempts = "running", services.SWEEP_MAX_ATTEMPTS
        job.started_at = utcnow() - services.stale_after() - timedelta(seconds=1)
        db.session.commit()

        assert services.requeue_stale(redis_queue) == []
        job = db.session.get(RenderJob, job.id)
        assert job.status == "failed" and f"each of {services.SWEEP_MAX_ATTEMPTS} attempts" in job.error
        event = _events(decided.submission_id)[-1]
        assert event.action == "document.failed" and event.data["final"] is True
        assert services.job_status(job)["retryable"] is True
