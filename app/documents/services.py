"""Producing signed assessments: the one entry point the review workflow calls, and the job it runs.

    job = request_assessment(submission_id, round_number, "decision", actor_id)

is called after the decision (or the last condition's confirmation) is committed. It commits a RenderJob
and then renders on RQ when REDIS_URL is set (a `make worker` process picks it up, with up to three
retries), or in this process otherwise (one immediate retry): with `deferred=True`, as a request asks, once
its response has been sent (core.deferred), so a person never waits seconds for the PDF; their page follows
the job instead (documents/job.html). Every failure is kept on the job with its error and
an audit event `document.failed`; success adds a Document row and `document.created`. A failed job can be
retried with `retry_job` (a button on the job page, or `flask documents retry JOB_ID`). A job whose worker was
killed is retried by RQ, and once RQ has given up, enqueued again by the worker's sweep (`requeue_stale`).
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core import audit, jobs
from app.core.deferred import after_response
from app.core.models import utcnow
from app.core.permissions import Resource
from app.core.storage import get_storage, sha256_of
from app.documents.context import assessment_context
from app.documents.models import DOCUMENT_KINDS, Document, RenderJob
from app.documents.permissions import JobOfApplication, job_visible
from app.documents.render import render_pdf
from app.documents.signing import sign_pdf, signer_subject
from app.extensions import db
from app.submissions.services import page_submission

log = logging.getLogger("crucible.documents")

# The archived document is the one the applicant downloads, so it is written for them: reviewers appear as
# "Reviewer 1", "Reviewer 2" and committee members' names are not printed beside their comments.
DOCUMENT_AUDIENCE = "applicant"
RQ_RETRIES = 3
# Seconds RQ lets one render run before it stops it. RENDER_STALE_AFTER should be longer: a person may retry
# a job that old by hand, even one still running.
RENDER_TIMEOUT = 600
# The worker's sweep gives a job whose worker keeps dying this many attempts (two rounds of RQ's retries),
# then leaves it failed for a person: something in it may be what kills the worker.
SWEEP_MAX_ATTEMPTS = 2 * (1 + RQ_RETRIES)


class DocumentError(RuntimeError):
    pass


def verify_url(document_uid: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/verify?document={document_uid}"


def document_filename(document: Document) -> str:
    reference = document.submission.reference or f"application-{document.submission_id}"
    return f"{reference}-round{document.round_number}-{document.kind.replace('_', '-')}.pdf"


# ---------------------------------------------------------------- producing one document


def produce_document(submission_id: int, round_number: int, kind: str, *, document_uid: str,
                     actor_id: int | None) -> Document:
    """Render, sign and archive; adds the Document row and its audit event to the session (caller commits)."""
    if kind not in DOCUMENT_KINDS:
        raise DocumentError(f"unknown document kind {kind!r}")
    started = time.perf_counter()
    context = assessment_context(submission_id, round_number, audience=DOCUMENT_AUDIENCE, kind=kind,
                                 document_uid=document_uid, verify_url=verify_url(document_uid))
    unsigned = _render(context)
    rendered = time.perf_counter()
    signed = sign_pdf(unsigned, reason=f"{context['reference']} round {round_number}: {context['kind_label']} — "
                                      f"{context['outcome_label']}")
    signing_done = time.perf_counter()
    digest = sha256_of(signed)
    storage = get_storage()
    key = storage.put(signed)
    document = Document(
        uid=document_uid, submission_id=submission_id, round_number=round_number, kind=kind, sha256=digest,
        size=len(signed), storage_key=key, signed_by=signer_subject(), audit_head=context["audit_head"] or None,
        created_by_id=actor_id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record("document.created", actor=actor_id, object_type="document", object_id=document.id,
                 submission_id=submission_id,
                 data={"uid": document_uid, "kind": kind, "round": round_number, "sha256": digest,
                       "size": len(signed), "storage": storage.name})
    log.info("document %s (%s round %s, %s): %d bytes, rendered in %.2fs, signed in %.2fs", document_uid,
             context["reference"], round_number, kind, len(signed), rendered - started, signing_done - rendered)
    return document


def _render(context: dict) -> bytes:
    # Indirection so tests can make a rendering fail once and watch the retry.
    return render_pdf(context)


# ---------------------------------------------------------------- jobs


def request_assessment(submission_id: int, round_number: int, kind: str, actor_id: int | None, *,
                       inline: bool = False, deferred: bool = False) -> RenderJob:
    """Ask for the signed assessment of a round; call after the decision is committed. Commits.

    kind: "decision" or "conditions_met". Idempotent: asking again for the same (application, round, kind)
    returns the existing job, and retries it when it had failed. inline=True renders in this process even
    when a queue is configured (the CLI). deferred=True (in a request): without a queue, render once the
    response has been sent, not before it.
    """
    if kind not in DOCUMENT_KINDS:
        raise DocumentError(f"unknown document kind {kind!r}")
    existing = _job_for(submission_id, round_number, kind)
    if existing is not None:
        return retry_job(existing.id, actor_id, inline=inline, deferred=deferred) if _retryable(existing) else existing
    job = RenderJob(submission_id=submission_id, round_number=round_number, kind=kind, status="queued",
                    document_uid=str(uuid.uuid4()), requested_by_id=actor_id, attempts=0)
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:
        # Requested at the same moment by someone else: theirs stands.
        db.session.rollback()
        existing = _job_for(submission_id, round_number, kind)
        if existing is None:
            raise
        return existing
    _dispatch(job, inline=inline, deferred=deferred)
    return job


def retry_job(job_id: int, actor_id: int | None = None, *, inline: bool = False, deferred: bool = False,
              swept: bool = False) -> RenderJob:
    """Run a failed (or stalled) job again. Commits. swept: asked by the worker's sweep, not by a person;
    deferred: as in request_assessment."""
    job = db.session.get(RenderJob, job_id)
    if job is None:
        raise LookupError(job_id)
    if not _retryable(job):
        return job
    job.status = "queued"
    job.started_at = None
    job.finished_at = None
    data = {"attempts": job.attempts, "last_error": job.error}
    if swept:
        data["swept"] = True
    audit.record("document.retry_requested", actor=actor_id, object_type="render_job", object_id=job.id,
                 submission_id=job.submission_id, data=data)
    db.session.commit()
    _dispatch(job, inline=inline, deferred=deferred)
    return job


def stale_after() -> timedelta:
    """How long a job may stay queued or running before it is presumed lost (RENDER_STALE_AFTER)."""
    return timedelta(seconds=current_app.config.get("RENDER_STALE_AFTER", 900))


def _retryable(job: RenderJob) -> bool:
    if job.status == "failed":
        return True
    if job.status in ("queued", "running"):
        since = job.started_at or job.created_at
        return since is not None and utcnow() - since > stale_after()
    return False


def requeue_stale(connection) -> list[RenderJob]:
    """Enqueue again the render jobs that nothing will run any more; the worker calls it. Commits.

    RQ requeues a job whose work-horse was killed, or whose worker stopped sending heartbeats, while the job has
    retries left. After that it gives up without running our code, and a job Redis has lost is never run: the
    job stays "queued" or "running" here for ever. Such a job, stale (RENDER_STALE_AFTER) and with nothing
    waiting or running for it in RQ, is enqueued again with fresh retries; after SWEEP_MAX_ATTEMPTS attempts it
    is marked failed instead, with the reason, for a person to retry.
    """
    retried = []
    candidates = db.session.scalars(
        select(RenderJob).where(RenderJob.status.in_(("queued", "running"))).order_by(RenderJob.id)).all()
    for job in candidates:
        if not _retryable(job) or jobs.rq_job_live(job.rq_job_id, connection):
            continue
        if job.attempts >= SWEEP_MAX_ATTEMPTS:
            _give_up(job)
            continue
        log.warning("render job %s was %s since %s with nothing left of it in RQ; enqueuing it again", job.id,
                    job.status, job.started_at or job.created_at)
        retried.append(retry_job(job.id, None, swept=True))
    return retried


def _give_up(job: RenderJob) -> None:
    message = (f"The worker stopped during each of {job.attempts} attempts without recording an error (killed, "
               "or out of memory); retry once the cause is known.")
    log.error("render job %s: %s", job.id, message)
    job.status = "failed"
    job.error = message
    job.finished_at = utcnow()
    audit.record("document.failed", actor=None, object_type="render_job", object_id=job.id,
                 submission_id=job.submission_id,
                 data={"kind": job.kind, "round": job.round_number, "attempt": job.attempts, "final": True,
                       "error": message})
    db.session.commit()


def job_of_application(job_id: int) -> JobOfApplication | None:
    """The render job with its application and team, for its progress page."""
    job = db.session.get(RenderJob, job_id)
    if job is None:
        return None
    submission = page_submission(job.submission_id)
    return None if submission is None else JobOfApplication(job, submission)


# A render job follows its application: 404 unless the user may know the application.
JOB: Resource[JobOfApplication] = Resource("target", load=job_of_application, visible=job_visible, id_arg="job_id")


def assessment_job(submission_id: int, round_number: int, kind: str) -> RenderJob | None:
    """The job producing that signed assessment, if it was asked for."""
    return _job_for(submission_id, round_number, kind)


def _job_for(submission_id: int, round_number: int, kind: str) -> RenderJob | None:
    return db.session.scalar(select(RenderJob).where(
        RenderJob.submission_id == submission_id, RenderJob.round_number == round_number, RenderJob.kind == kind))


def _dispatch(job: RenderJob, *, inline: bool = False, deferred: bool = False) -> None:
    url = current_app.config.get("REDIS_URL")
    if url and not inline:
        try:
            rq_id = enqueue(job.id, url)
        except Exception as error:  # noqa: BLE001 - Redis down must not lose the job: render here instead
            log.warning("could not enqueue render job %s (%s); rendering in this process", job.id, error)
        else:
            job.rq_job_id = rq_id
            db.session.commit()
            return
    if deferred:
        after_response(run_after_response, job.id)
    else:
        run_inline(job.id)


def run_after_response(job_id: int) -> None:
    """The deferred rendering (core.deferred): the outcome is on the job, which the progress page polls."""
    run_inline(job_id)


def enqueue(job_id: int, redis_url: str) -> str:
    config = current_app.config
    intervals = [int(x) for x in str(config.get("RENDER_RETRY_INTERVALS", "10,60,300")).split(",") if x.strip()]
    return jobs.enqueue("app.documents.jobs.render_assessment", job_id, redis_url=redis_url,
                        queue=config.get("RENDER_QUEUE", "crucible-documents"), retries=RQ_RETRIES,
                        intervals=intervals, timeout=RENDER_TIMEOUT, description=f"render assessment job {job_id}")


def run_inline(job_id: int) -> RenderJob:
    """Without a queue: try, and on failure try once more at once; a second failure stays visible."""
    try:
        return run_job(job_id, final=False)
    except Exception:  # noqa: BLE001 - recorded on the job by run_job
        try:
            return run_job(job_id, final=True)
        except Exception:  # noqa: BLE001 - recorded on the job by run_job, which shows the failure
            return db.session.get_one(RenderJob, job_id)


def run_job(job_id: int, *, final: bool) -> RenderJob:
    """One attempt at a job (inline or in the worker). Re-raises a failure after recording it."""
    job = db.session.get(RenderJob, job_id)
    if job is None:
        raise LookupError(f"render job {job_id} does not exist")
    if job.status == "done":
        return job
    job.status = "running"
    job.attempts += 1
    job.started_at = utcnow()
    db.session.commit()
    try:
        document = produce_document(job.submission_id, job.round_number, job.kind,
                                    document_uid=job.document_uid, actor_id=job.requested_by_id)
        job.status = "done"
        job.document_id = document.id
        job.error = None
        job.finished_at = utcnow()
        db.session.commit()
        return job
    except Exception as error:
        db.session.rollback()
        job = db.session.get_one(RenderJob, job_id)
        if job.status == "done":
            # Another attempt (a retry asked while this one still ran) finished meanwhile: its document stands,
            # and this attempt's failure changes nothing.
            log.warning("render job %s attempt failed after another attempt finished it: %s", job_id, error)
            return job
        message = f"{type(error).__name__}: {error}"[:4000]
        log.exception("render job %s attempt %s failed", job_id, job.attempts)
        job.error = message
        job.status = "failed" if final else "queued"
        job.finished_at = utcnow()
        audit.record("document.failed", actor=job.requested_by_id, object_type="render_job", object_id=job.id,
                     submission_id=job.submission_id,
                     data={"kind": job.kind, "round": job.round_number, "attempt": job.attempts,
                           "final": final, "error": message[:500]})
        db.session.commit()
        raise


def job_status(job: RenderJob) -> dict:
    """What the progress page polls."""
    return {
        "id": job.id,
        "status": job.status,
        "attempts": job.attempts,
        "error": job.error if job.status == "failed" or job.error else None,
        "document_id": job.document_id,
        "retryable": _retryable(job),
        "kind": job.kind,
        "round": job.round_number,
    }


def unfinished_jobs(submission_id: int) -> list[RenderJob]:
    """The application's assessments still being produced (queued, running or failed)."""
    return list(db.session.scalars(select(RenderJob).where(RenderJob.submission_id == submission_id,
                                                           RenderJob.status != "done")))


def documents_for(submission_id: int) -> list[Document]:
    return list(db.session.scalars(
        select(Document).where(Document.submission_id == submission_id).order_by(Document.created_at.desc())
    ))


def document_bytes(document: Document) -> bytes:
    return get_storage().get(document.storage_key)
