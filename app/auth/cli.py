"""Account commands for administrators at the terminal: create the first admin, grant roles."""
from __future__ import annotations

import sys
from typing import NoReturn

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask
from flask.cli import AppGroup

from app.auth import services
from app.auth.models import find_user_by_email
from app.auth.passwords import password_problem
from app.core.cli import add_group
from app.core.permissions import GRANTABLE_ROLES, ROLES

USAGE_ERROR = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(USAGE_ERROR)


auth_cli = AppGroup("auth", help="Accounts: create one, grant a role.")


@auth_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(list(ROLES), case_sensitive=False),
    help="A role to grant; repeat for several. Everyone is an applicant.",
)
def create_user_command(email: str, name: str, roles: tuple[str, ...]) -> None:
    """Create an account, asking for its password (hidden, typed twice)."""
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        _fail(f"{email!r} is not a valid email address ({exc}).")
    name = " ".join(name.split())
    if not name:
        _fail("--name must not be empty.")
    if find_user_by_email(email) is not None:
        _fail(f"An account with the email address {email} already exists.")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, email=email, name=name)
    if problem:
        _fail(f"{problem}.")
    roles = tuple(role.lower() for role in roles)
    try:
        user = services.create_user(email=email, name=name, password=password, roles=roles)
    except services.EmailTaken:
        _fail(f"An account with the email address {email} already exists.")
    click.echo(f"Created {user.email} ({', '.join(sorted(user.roles))}).")


@auth_cli.command("grant-role")
@click.argument("email")
@click.argument("role", type=click.Choice(list(GRANTABLE_ROLES), case_sensitive=False))
def grant_role_command(email: str, role: str) -> None:
    """Give an existing account one more role."""
    user = find_user_by_email(email)
    if user is None:
        _fail(f"No account has the email address {email}.")
    if services.grant_role(user, role.lower()):
        click.echo(f"{user.email} now has the role {role.lower()}.")
    else:
        click.echo(f"{user.email} already had the role {role.lower()}.")


def register_auth_cli(app: Flask) -> None:
    add_group(app, auth_cli, {"create-user": "create-user", "grant-role": "grant-role"})
