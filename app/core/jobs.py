"""Background jobs on RQ: enqueueing with retries, asking RQ whether a job is still alive, and the worker.

A job function runs in a work-horse the worker forks per job; it calls `worker_app()` for an application to
run in, created once per work-horse from the environment by the factory create_app() registered here, as
for the web process. The worker's maintenance rounds (at start-up, then every `maintenance_interval`
seconds) also run the feature's `sweep`, which enqueues again the jobs RQ has given up on.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue, Retry, Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from app.extensions import db

log = logging.getLogger("crucible.jobs")
_app_factory: Callable[[], Flask] | None = None
_app: Flask | None = None


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """create_app() registers itself, so a work-horse can build an application without importing the app."""
    global _app_factory
    _app_factory = factory


def worker_app() -> Flask:
    global _app
    if _app is None:
        if _app_factory is None:
            raise RuntimeError("no application factory registered: create_app() registers one")
        _app = _app_factory()
    return _app


def enqueue(function: str, *args: Any, redis_url: str, queue: str, retries: int, intervals: Sequence[int],
            timeout: int, description: str) -> str:
    """Put `function` (a dotted path, resolved in the work-horse) on `queue`; returns RQ's job id."""
    rq_job = Queue(queue, connection=Redis.from_url(redis_url)).enqueue(
        function, *args,
        retry=Retry(max=retries, interval=list(intervals) if any(intervals) else 0),
        job_timeout=timeout, result_ttl=86400, failure_ttl=30 * 86400, description=description,
    )
    return rq_job.id


def last_attempt() -> bool:
    """Inside a job: whether RQ will not retry it after this attempt (always so outside RQ)."""
    current = get_current_job()
    return current is None or not current.should_retry


def rq_job_live(rq_job_id: str | None, connection: Redis) -> bool:
    """Whether RQ still holds the job waiting or running (RQ's own clean-up settles one whose worker died)."""
    if not rq_job_id:
        return False
    try:
        status = Job.fetch(rq_job_id, connection=connection).get_status(refresh=False)
    except NoSuchJobError:
        return False
    return status not in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


class SweepingWorker(Worker):
    """RQ's worker, whose maintenance rounds also run `sweep(connection)` in the application's context."""

    def __init__(self, *args: Any, sweep: Callable[[Redis], object], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sweep = sweep

    def run_maintenance_tasks(self) -> None:
        # RQ's part first: it requeues the jobs of workers that died, which are then no longer stale.
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]  # RQ leaves this method unannotated
        try:
            self.sweep(self.connection)
        except Exception:  # noqa: BLE001 - an exception here would end the worker's loop, and with it the worker
            log.exception("sweep of stale jobs failed; trying again at the next maintenance round")
            db.session.rollback()
        finally:
            # A work-horse is forked from this process: it must not inherit a database connection in use.
            db.session.remove()
            db.engine.dispose()
