"""The RQ job and worker: run in a `make worker` process.

The worker imports this module and calls `render_assessment(job_id)` in a work-horse it forks per job; the app
is created once per work-horse with create_app() (configuration from the environment, as for the web process).
"""
from __future__ import annotations

import logging

from rq import Worker

log = logging.getLogger("crucible.documents")
_app = None


class RenderWorker(Worker):
    """RQ's worker, whose maintenance rounds (at start-up, then every RENDER_SWEEP_INTERVAL seconds) also
    enqueue again the render jobs RQ has given up on (services.requeue_stale)."""

    def run_maintenance_tasks(self):
        # RQ's part first: it requeues the jobs of workers that died, which are then no longer stale.
        super().run_maintenance_tasks()
        from app.documents import services
        from app.extensions import db

        try:
            services.requeue_stale(self.connection)
        except Exception:  # noqa: BLE001 - an exception here would end the worker's loop, and with it the worker
            log.exception("sweep of stale render jobs failed; trying again at the next maintenance round")
            db.session.rollback()
        finally:
            # A work-horse is forked from this process: it must not inherit a database connection in use.
            db.session.remove()
            db.engine.dispose()


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
