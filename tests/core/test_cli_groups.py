"""One command group per feature, and every older top-level command name still running the same command."""
from __future__ import annotations

import pytest

ALIASES = {
    "create-user": ("auth", "create-user"),
    "grant-role": ("auth", "grant-role"),
    "footprint": ("questionnaire", "footprint"),
    "backup": ("admin", "backup"),
    "restore": ("admin", "restore"),
    "send-reminders": ("reviews", "send-reminders"),
    "send-digests": ("reviews", "send-digests"),
    "dev-certs": ("documents", "dev-certs"),
    "render-pdf": ("documents", "render"),
    "worker": ("documents", "worker"),
    "verify-pdf": ("archive", "verify"),
    "seed-demo": ("demo", "seed"),
    "seed-demo-documents": ("demo", "documents"),
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_older_name_runs_the_groups_command(app, alias):
    group_name, name = ALIASES[alias]
    group = app.cli.get_command(None, group_name)
    command = group.get_command(None, name)
    old = app.cli.get_command(None, alias)
    assert old.callback is command.callback
    assert [p.name for p in old.params] == [p.name for p in command.params]
    runner = app.test_cli_runner()
    assert runner.invoke(args=[group_name, name, "--help"]).exit_code == 0
    help_text = runner.invoke(args=[alias, "--help"]).output
    assert f"flask {group_name} {name}" in help_text


def test_groups_list_their_commands(app):
    runner = app.test_cli_runner()
    for group, commands in {"documents": ["dev-certs", "jobs", "render", "retry", "worker"],
                            "archive": ["verify"], "demo": ["documents", "seed"], "audit": ["verify"],
                            "questionnaire": ["footprint", "validate"], "admin": ["backup", "restore"]}.items():
        output = runner.invoke(args=[group, "--help"]).output
        assert all(command in output for command in commands), (group, output)
