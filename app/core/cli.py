"""Command-line plumbing: one group per feature, the older top-level names kept as aliases, `flask audit`."""
from __future__ import annotations

import copy
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.core.audit import verify_chain

audit_cli = AppGroup("audit", help="Audit trail tools.")


def add_group(app: Flask, group: click.Group, aliases: dict[str, str] | None = None) -> None:
    """Register a feature's group, and each older top-level name (alias -> command of the group) beside it."""
    app.cli.add_command(group)
    add_aliases(app, group, aliases or {})


def add_aliases(app: Flask, group: click.Group, aliases: dict[str, str]) -> None:
    """Keep older top-level command names working: each alias runs the group's command of that name."""
    for alias, name in aliases.items():
        command = group.commands[name]
        old = copy.copy(command)
        old.name = alias
        old.help = f"{command.help or ''}\n\nOlder name of `flask {group.name} {name}`, kept working."
        old.short_help = f"Same as `flask {group.name} {name}`."
        app.cli.add_command(old, alias)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the audit hash chain end to end; exit 1 if any event was altered, removed or reordered."""
    checked, problems = verify_chain()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"Audit chain BROKEN at {problems[0].split(':')[0]}: {len(problems)} problem(s) "
                   f"in {checked} events.", err=True)
        sys.exit(1)
    click.echo(f"Audit chain intact: {checked} events verified.")


def register_core_cli(app: Flask) -> None:
    add_group(app, audit_cli)
