"""`flask documents`: development signing certificates, the render worker, render jobs.

`flask documents render` is added to this group by reviews (app/reviews/cli.py), which knows an
application's decided rounds; `flask archive verify` checks a PDF.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from redis import Redis
from rq import Queue
from sqlalchemy import select

from app.core.cli import add_group
from app.core.jobs import SweepingWorker
from app.documents import services
from app.documents.models import RenderJob
from app.documents.signing import ensure_dev_certificates
from app.extensions import db

documents_cli = AppGroup("documents", help="Signed assessments: certificates, rendering, render jobs.")


@documents_cli.command("dev-certs")
def dev_certs() -> None:
    """Create a development root CA and a signing certificate issued by it (only where files are missing)."""
    cert, key = Path(current_app.config["SIGNING_CERT"]), Path(current_app.config["SIGNING_KEY"])
    default_dir = Path(current_app.config["INSTANCE_DIR"]) / "signing"
    if cert.exists() and key.exists():
        click.echo(f"signing certificate present: {cert}")
        return
    if cert.parent != default_dir or key.parent != default_dir:
        click.echo(f"SIGNING_CERT/SIGNING_KEY point to missing files ({cert}, {key}); "
                   "dev-certs only creates files in the instance folder.", err=True)
        sys.exit(1)
    if current_app.config.get("ENV_NAME") == "production":
        click.echo("refusing to create development certificates in production", err=True)
        sys.exit(1)
    paths = ensure_dev_certificates(default_dir, passphrase=current_app.config.get("SIGNING_KEY_PASSPHRASE"))
    for path in paths.created:
        click.echo(f"created {path}")
    click.echo(f"development root CA (trust this in a validator): {paths.root_cert}")


@documents_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker for the render queue (needs REDIS_URL); it also re-enqueues render jobs left stale."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without it documents are rendered inline")
    connection = Redis.from_url(url)
    queue = Queue(current_app.config["RENDER_QUEUE"], connection=connection)
    interval = current_app.config["RENDER_SWEEP_INTERVAL"]
    # An idle worker waits worker_ttl - 15 s for a job before its next maintenance round: keep that to the
    # sweep interval (RQ's default would be 405 s).
    worker = SweepingWorker([queue], connection=connection, maintenance_interval=interval,
                            worker_ttl=interval + 15, sweep=services.requeue_stale)
    worker.work(burst=burst, with_scheduler=True)


@documents_cli.command("jobs")
@click.option("--all", "show_all", is_flag=True, help="Include finished jobs.")
def list_jobs(show_all: bool) -> None:
    """List render jobs that are not done (with their last error)."""
    statement = select(RenderJob).order_by(RenderJob.id)
    if not show_all:
        statement = statement.where(RenderJob.status != "done")
    for job in db.session.scalars(statement):
        click.echo(f"{job.id}\t{job.status}\tsubmission {job.submission_id} round {job.round_number} {job.kind}"
                   f"\tattempts {job.attempts}\t{(job.error or '')[:200]}")


@documents_cli.command("retry")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    """Run a failed (or stalled) render job again."""
    try:
        job = services.retry_job(job_id)
    except LookupError:
        raise click.ClickException(f"no render job {job_id}") from None
    click.echo(f"job {job.id}: {job.status}" + (f" ({job.error})" if job.error and job.status != "done" else ""))
    if job.status == "failed":
        sys.exit(1)


def register_documents_cli(app: Flask) -> None:
    add_group(app, documents_cli, {"dev-certs": "dev-certs", "worker": "worker"})
