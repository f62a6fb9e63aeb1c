"""Every `--org SLUG` in the CLI resolves the organisation the same way,
through backend.cli._org (trimmed, any case, one error message)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

import backend.cli
from tests.conftest import PROJECT_ROOT

# Arguments that get each command as far as looking up its organisation.
# A new command with --org must be added here.
ARGS = {
    "check": [str(PROJECT_ROOT / "examples" / "cold-pitch.json")],
    "org policy show": [],
    "org policy set": ["mass.bulk_bcc.severity=block"],
    "org policy reset": [],
    "apikey create": [],
    "apikey list": [],
    "apikey revoke": ["sw_12345678"],
    "contacts import": ["{contacts}"],
    "contacts export": [],
    "contacts erase": ["anna@mueller.de"],
    "sent prune": [],
    "crm sync hubspot": ["--token-env", "HUBSPOT_TOKEN"],
    "crm status": [],
    "mailbox backfill": ["--microsoft"],
    "user create": ["--email", "anna@acme.cn", "--role", "admin", "--password-stdin"],
}


def _commands_with_org(group: click.Group, path: tuple[str, ...] = ()) -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands_with_org(command, (*path, name))
        elif any("--org" in getattr(p, "opts", ()) for p in command.params):
            found.append(" ".join((*path, name)))
    return found


class Resolved(Exception):
    pass


def test_every_org_option_is_listed_here():
    assert sorted(_commands_with_org(backend.cli.cli)) == sorted(ARGS)


@pytest.mark.parametrize("command", sorted(ARGS))
def test_every_org_option_goes_through_the_one_resolver(command, monkeypatch, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email,name\nanna@mueller.de,Anna Müller\n", encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HUBSPOT_TOKEN", "not-a-real-token")
    seen: list[str] = []

    def resolver(session, slug, database):
        seen.append(slug)
        raise Resolved

    monkeypatch.setattr(backend.cli, "_org", resolver)
    args = [a.replace("{contacts}", str(contacts)) for a in ARGS[command]]
    result = CliRunner().invoke(backend.cli.cli, [*command.split(), *args, "--org", " Acme "], catch_exceptions=True)
    assert isinstance(result.exception, Resolved), (result.exception, result.output)
    assert seen == [" Acme "]
