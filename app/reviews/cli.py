"""`flask reviews`: scheduled jobs run by cron (send-reminders, send-digests); and `flask documents render`,
which finds an application's latest decided round and asks documents for its signed assessment."""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.core.cli import add_aliases, add_group
from app.core.mail import send_digests
from app.documents import services as document_services
from app.documents.cli import documents_cli
from app.documents.models import DOCUMENT_KINDS, Document
from app.extensions import db
from app.reviews.models import Decision
from app.reviews.services import expire_approvals, send_expiry_reminders, send_reminders
from app.submissions.models import Submission

reviews_cli = AppGroup("reviews", help="Scheduled review jobs, run by cron.")


@reviews_cli.command("send-reminders")
def reminders() -> None:
    """Mail reviewers whose review is due within two days or overdue (at most once a day each), and teams whose
    approval ends in 60, 30 or 7 days (once each); expire the approvals whose valid-until date has passed."""
    today = date.today()
    expired = expire_approvals(today)
    click.echo(f"{send_reminders(today) + send_expiry_reminders(today)} reminder(s) queued.")
    click.echo(f"{expired} approval(s) expired.")


@reviews_cli.command("send-digests")
def digests() -> None:
    """Send each user who chose a daily digest one mail with everything held for them."""
    click.echo(f"{send_digests()} digest(s) queued.")


@documents_cli.command("render")
@click.argument("reference")
@click.option("--round", "round_number", type=int, default=None,
              help="Round number (default: the latest decided round).")
@click.option("--kind", type=click.Choice(list(DOCUMENT_KINDS)), default="decision", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def render_pdf_command(reference: str, round_number: int | None, kind: str, output: str) -> None:
    """Write the signed assessment of an application (producing and archiving it when it does not exist yet)."""
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
        job = document_services.request_assessment(submission.id, round_number, kind, None, inline=True)
        if job.status != "done" or job.document is None:
            raise click.ClickException(f"the document could not be produced: {job.error}")
        document = job.document
        click.echo(f"produced and archived in {time.perf_counter() - started:.2f}s", err=True)
    Path(output).write_bytes(document_services.document_bytes(document))
    click.echo(f"{output}: {document.size} bytes, sha256 {document.sha256}, document {document.uid}")


def register_review_cli(app: Flask) -> None:
    add_group(app, reviews_cli, {"send-reminders": "send-reminders", "send-digests": "send-digests"})
    add_aliases(app, documents_cli, {"render-pdf": "render"})
