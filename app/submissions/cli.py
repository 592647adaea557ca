"""CLI: `flask questionnaire validate FILE`."""
from __future__ import annotations

import sys

import click
from flask import Flask

from app.questionnaires.loader import validate_file


def register_submission_cli(app: Flask) -> None:
    @app.cli.group("questionnaire")
    def questionnaire_group() -> None:
        """Questionnaire definition tools."""

    @questionnaire_group.command("validate")
    @click.argument("path", type=click.Path(dir_okay=False))
    def validate(path: str) -> None:
        """Check a questionnaire file; print every error with its path and exit 1 when there are any."""
        errors = validate_file(path)
        for error in errors:
            click.echo(f"{path}: {error}", err=True)
        if errors:
            click.echo(f"{len(errors)} error(s) found.", err=True)
            sys.exit(1)
        click.echo(f"{path}: valid.")
