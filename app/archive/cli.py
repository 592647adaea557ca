"""`flask archive verify FILE`: is this PDF an intact, trusted signed assessment, and the archived one?"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.archive.services.verification import verify_pdf_bytes
from app.core.cli import add_group

archive_cli = AppGroup("archive", help="The archive of signed assessments.")


@archive_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def verify_pdf_command(path: str) -> None:
    """Exit 0 when the PDF's signature is intact and trusted and it is an archived document, else 1."""
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


def register_archive_cli(app: Flask) -> None:
    add_group(app, archive_cli, {"verify-pdf": "verify"})
