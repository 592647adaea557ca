"""The RQ job that renders a signed assessment: run in a `flask documents worker` process.

The worker (core.jobs.SweepingWorker) imports this module and calls `render_assessment(job_id)` in a
work-horse it forks per job; the app is created once per work-horse (core.jobs.worker_app), from the
environment, as for the web process. The path of this function is stored in Redis with each queued job.
"""
from __future__ import annotations

from app.core import jobs
from app.documents import services
from app.extensions import db


def render_assessment(render_job_id: int) -> dict:
    """One attempt; an exception makes RQ retry (Retry(max=3)); the last failure marks the job failed."""
    app = jobs.worker_app()
    with app.app_context():
        try:
            job = services.run_job(render_job_id, final=jobs.last_attempt())
            return {"render_job": job.id, "status": job.status, "document_id": job.document_id}
        finally:
            db.session.remove()
