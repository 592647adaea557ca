"""`flask demo seed` and `flask demo documents` (also `flask seed-demo` and `flask seed-demo-documents`)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.cli import add_group
from app.demo import applications, documents

demo_cli = AppGroup("demo", help="Demo data for development.")


@demo_cli.command("seed")
def seed() -> None:
    """Create the demo accounts and an application in every state (safe to run again)."""
    for line in applications.seed():
        click.echo(line)


@demo_cli.command("documents")
def seed_documents() -> None:
    """Decided demo applications with signed assessments (after `demo seed`; safe to run again)."""
    for line in documents.seed():
        click.echo(line)


def register_demo_cli(app: Flask) -> None:
    add_group(app, demo_cli, {"seed-demo": "seed", "seed-demo-documents": "documents"})
