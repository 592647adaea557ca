"""CLI: dev-certs, render-pdf, verify-pdf, worker, and `documents jobs|retry`."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select


def register_documents_cli(app: Flask) -> None:
    @app.cli.command("dev-certs")
    def dev_certs() -> None:
        """Create a development root CA and a signing certificate issued by it (only where files are missing)."""
        _dev_certs()

    @app.cli.command("seed-demo-documents")
    def seed_demo_documents() -> None:
        """Decided demo applications with signed assessments (after seed-demo; safe to run again)."""
        from app.documents.demo import seed

        for line in seed():
            click.echo(line)

    @app.cli.command("render-pdf")
    @click.argument("reference")
    @click.option("--round", "round_number", type=int, default=None,
                  help="Round number (default: the latest decided round).")
    @click.option("--kind", type=click.Choice(["decision", "conditions_met"]), default="decision", show_default=True)
    @click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
    def render_pdf_command(reference: str, round_number: int | None, kind: str, output: str) -> None:
        """Write the signed assessment of an application (producing and archiving it when it does not exist yet)."""
        _render_pdf(reference, round_number, kind, output)

    @app.cli.command("verify-pdf")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def verify_pdf_command(path: str) -> None:
        """Exit 0 when the PDF's signature is intact and trusted and it is an archived document, else 1."""
        _verify_pdf(path)

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_command(burst: bool) -> None:
        """Run an RQ worker for the render queue (needs REDIS_URL); it also re-enqueues render jobs left stale."""
        _run_worker(burst)

    @app.cli.group("documents")
    def documents_group() -> None:
        """Render jobs of signed assessments."""

    @documents_group.command("jobs")
    @click.option("--all", "show_all", is_flag=True, help="Include finished jobs.")
    def list_jobs(show_all: bool) -> None:
        """List render jobs that are not done (with their last error)."""
        _list_jobs(show_all)

    @documents_group.command("retry")
    @click.argument("job_id", type=int)
    def retry(job_id: int) -> None:
        """Run a failed (or stalled) render job again."""
        _retry(job_id)


def _dev_certs() -> None:
    from app.documents.signing import ensure_dev_certificates

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


def _render_pdf(reference: str, round_number: int | None, kind: str, output: str) -> None:
    from app.documents import services
    from app.documents.models import Document
    from app.extensions import db
    from app.reviews.models import Decision
    from app.submissions.models import Submission

    submission = db.session.scalar(select(Submission).where(Submission.reference == reference.strip().upper()))
    if submission is None:
        raise click.ClickException(f"no application with reference {reference}")
    if round_number is None:
        round_number = db.session.scalar(
            select(Decision.round_number).where(Decision.submission_id == submission.id)
            .order_by(Decision.round_number.desc()).limit(1)
        ) or submission.round_number
    if round_number < 1:
        raise click.ClickException(f"{reference} has not been submitted")
    document = db.session.scalar(select(Document).where(
        Document.submission_id == submission.id, Document.round_number == round_number, Document.kind == kind))
    if document is None:
        started = time.perf_counter()
        job = services.request_assessment(submission.id, round_number, kind, None, inline=True)
        if job.status != "done" or job.document is None:
            raise click.ClickException(f"the document could not be produced: {job.error}")
        document = job.document
        click.echo(f"produced and archived in {time.perf_counter() - started:.2f}s", err=True)
    Path(output).write_bytes(services.document_bytes(document))
    click.echo(f"{output}: {document.size} bytes, sha256 {document.sha256}, document {document.uid}")


def _verify_pdf(path: str) -> None:
    from app.archive.services.verification import verify_pdf_bytes

    result = verify_pdf_bytes(Path(path).read_bytes())
    if result.signer:
        click.echo(f"signed by: {result.signer}")
    if result.signing_time:
        click.echo(f"signed at: {result.signing_time.isoformat()}")
    if result.document is not None:
        click.echo(f"archived: {result.document.submission.reference} round {result.document.round_number} "
                   f"({result.document.kind}, document {result.document.uid})")
    if result.ok:
        click.echo(f"VALID: {result.reason}")
        return
    click.echo(f"INVALID: {result.reason}", err=True)
    sys.exit(1)


def _run_worker(burst: bool) -> None:
    from redis import Redis
    from rq import Queue

    from app.documents.jobs import RenderWorker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without it documents are rendered inline")
    connection = Redis.from_url(url)
    queue = Queue(current_app.config["RENDER_QUEUE"], connection=connection)
    interval = current_app.config["RENDER_SWEEP_INTERVAL"]
    # An idle worker waits worker_ttl - 15 s for a job before its next maintenance round: keep that to the
    # sweep interval (RQ's default would be 405 s).
    worker = RenderWorker([queue], connection=connection, maintenance_interval=interval,
                          worker_ttl=interval + 15)
    worker.work(burst=burst, with_scheduler=True)


def _list_jobs(show_all: bool) -> None:
    from app.documents.models import RenderJob
    from app.extensions import db

    statement = select(RenderJob).order_by(RenderJob.id)
    if not show_all:
        statement = statement.where(RenderJob.status != "done")
    for job in db.session.scalars(statement):
        click.echo(f"{job.id}\t{job.status}\tsubmission {job.submission_id} round {job.round_number} {job.kind}"
                   f"\tattempts {job.attempts}\t{(job.error or '')[:200]}")


def _retry(job_id: int) -> None:
    from app.documents import services

    try:
        job = services.retry_job(job_id)
    except LookupError:
        raise click.ClickException(f"no render job {job_id}") from None
    click.echo(f"job {job.id}: {job.status}" + (f" ({job.error})" if job.error and job.status != "done" else ""))
    if job.status == "failed":
        sys.exit(1)
