"""Scheduled jobs, run by cron: `flask send-reminders` and `flask send-digests`."""
from __future__ import annotations

import click
from flask import Flask

from app.core.mail import send_digests
from app.reviews.services import send_reminders


def register_review_cli(app: Flask) -> None:
    @app.cli.command("send-reminders")
    def reminders() -> None:
        """Mail reviewers whose review is due within two days or overdue (at most once a day each)."""
        click.echo(f"{send_reminders()} reminder(s) queued.")

    @app.cli.command("send-digests")
    def digests() -> None:
        """Send each user who chose a daily digest one mail with everything held for them."""
        click.echo(f"{send_digests()} digest(s) queued.")
