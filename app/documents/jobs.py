"""The RQ job: runs in a `make worker` process, which has no Flask app of its own.

The worker imports this module and calls `render_assessment(job_id)`; the app is created once per worker
process with create_app() (configuration from the environment, as for the web process).
"""
from __future__ import annotations

_app = None


def worker_app():
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def render_assessment(render_job_id: int) -> dict:
    """One attempt; an exception makes RQ retry (Retry(max=3)); the last failure marks the job failed."""
    from rq import get_current_job

    from app.documents import services

    app = worker_app()
    with app.app_context():
        current = get_current_job()
        final = current is None or not current.should_retry
        try:
            job = services.run_job(render_job_id, final=final)
            return {"render_job": job.id, "status": job.status, "document_id": job.document_id}
        finally:
            from app.extensions import db

            db.session.remove()
