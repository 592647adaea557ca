"""`flask reports ...`: the footprint report's kept sums."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.cli import add_group
from app.extensions import db
from app.reports import tally

reports_cli = AppGroup("reports", help="Institution-level reports.")


@reports_cli.command("rebuild-tally")
def rebuild_tally_command() -> None:
    """Recompute the footprint report's sums from every application (after loading data around the app)."""
    counted = tally.rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"footprint sums rebuilt from {counted} applications")


def register_reports_cli(app: Flask) -> None:
    add_group(app, reports_cli)
