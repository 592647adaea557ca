"""`flask admin backup DIR` and `flask admin restore DIR` (the work is done by app/core/backup.py)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.backup import BackupError, backup, restore
from app.core.cli import add_group

admin_cli = AppGroup("admin", help="Administration: backup and restore.")


@admin_cli.command("backup")
@click.argument("directory", type=click.Path(file_okay=False))
def backup_command(directory: str) -> None:
    """Write the database and the archived PDFs to DIRECTORY (new or empty)."""
    try:
        manifest = backup(directory, echo=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(entry["rows"] for entry in manifest["tables"])
    click.echo(f"Backup written to {directory}: {rows} rows in {len(manifest['tables'])} tables, "
               f"{len(manifest['archive'])} archived files.")


@admin_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def restore_command(directory: str) -> None:
    """Load a backup from DIRECTORY into an empty, migrated database and the archive."""
    try:
        manifest = restore(directory, echo=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(entry["rows"] for entry in manifest["tables"])
    click.echo(f"Restored {rows} rows in {len(manifest['tables'])} tables and "
               f"{len(manifest['archive'])} archived files from {directory}. "
               "Run `flask --app wsgi audit verify` to check the audit chain.")


def register_admin_cli(app: Flask) -> None:
    add_group(app, admin_cli, {"backup": "backup", "restore": "restore"})
