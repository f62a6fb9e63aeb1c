"""`sendwise org policy show|set|reset` and `sendwise schema` through real subprocesses."""

from __future__ import annotations

import json

import pytest

from backend.storage import queries
from tests.cli.test_contacts_cli import ok, one_line_error


@pytest.fixture
def acme(make_tenant) -> str:
    return make_tenant("acme").slug


def stored_policy(database, slug: str) -> dict:
    with database.session() as session:
        return queries.org_by_slug(session, slug).policy


def test_set_validates_each_setting_and_stores_them_together(sendwise_cli, database, acme):
    out = ok(
        sendwise_cli(
            "org",
            "policy",
            "set",
            "--org",
            acme.upper(),
            "mass.bulk_bcc.severity=block",
            "mass.template_reuse.similarity=0.9",
            "on_send.review=hold_once",
        )
    )
    expected = {
        "mass.bulk_bcc": {"severity": "block"},
        "mass.template_reuse": {"similarity": 0.9},
        "on_send": {"review": "hold_once"},
    }
    assert json.loads(out) == expected
    assert stored_policy(database, acme) == expected


@pytest.mark.parametrize(
    "setting, message",
    [
        (
            "mass.template_reuse.similarity=85",
            "mass.template_reuse.similarity: 85 is out of range (allowed: 0.5 to 1.0",
        ),
        ("mass.bulk_bcc.severty=block", "mass.bulk_bcc.severty: unknown setting (allowed: severity, min_recipients)"),
        ("mass.bulk_bcc.severity=loud", "mass.bulk_bcc.severity: 'loud' is not allowed (one of: 'off', 'info'"),
        ("mass.bulk_bcc.min_recipients=2.5", "mass.bulk_bcc.min_recipients: 2.5 is not allowed (a whole number)"),
        ("mass.bcc.severity=off", "mass.bcc: unknown finding code"),
        ("on_send.unreachable=maybe", "on_send.unreachable: 'maybe' is not allowed (one of: 'send' or 'hold')"),
        ("severity", "expected CODE.SETTING=VALUE"),
    ],
)
def test_an_invalid_setting_is_refused_naming_the_key_and_nothing_changes(
    sendwise_cli, database, acme, setting, message
):
    ok(sendwise_cli("org", "policy", "set", "--org", acme, "mass.bulk_bcc.severity=block"))
    error = one_line_error(
        sendwise_cli("org", "policy", "set", "--org", acme, "deliverability.shouting.severity=off", setting)
    )
    assert message in error
    assert stored_policy(database, acme) == {"mass.bulk_bcc": {"severity": "block"}}


def test_set_from_a_file_replaces_the_policy(sendwise_cli, database, acme, tmp_path):
    ok(sendwise_cli("org", "policy", "set", "--org", acme, "mass.bulk_bcc.severity=block"))
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"deliverability.spam_phrases": {"severity": "off"}}))
    ok(sendwise_cli("org", "policy", "set", "--org", acme, str(path)))
    assert stored_policy(database, acme) == {"deliverability.spam_phrases": {"severity": "off"}}


def test_show_falls_back_per_key_and_warns_about_what_no_longer_validates(sendwise_cli, database, acme):
    with database.session() as session:
        queries.org_by_slug(session, acme).policy = {"mass.template_reuse": {"similarity": 85, "window_days": 7}}
    result = sendwise_cli("org", "policy", "show", "--org", acme, "--all")
    effective = json.loads(ok(result))
    assert effective["mass.template_reuse"] == {
        "severity": "warn",
        "similarity": 0.85,
        "min_recipients": 5,
        "window_days": 7,
        "min_words": 20,
    }
    assert effective["on_send"] == {"review": "send", "unreachable": "send", "override": "with_reason"}
    assert "warning: mass.template_reuse.similarity: 85 is out of range" in result.stderr.decode()


def test_reset_one_code_or_everything(sendwise_cli, database, acme):
    ok(sendwise_cli("org", "policy", "set", "--org", acme, "mass.bulk_bcc.severity=block", "on_send.review=hold_once"))
    ok(sendwise_cli("org", "policy", "reset", "--org", acme, "mass.bulk_bcc"))
    assert stored_policy(database, acme) == {"on_send": {"review": "hold_once"}}
    assert "not set in the policy" in one_line_error(
        sendwise_cli("org", "policy", "reset", "--org", acme, "mass.bulk_bcc")
    )
    ok(sendwise_cli("org", "policy", "reset", "--org", acme))
    assert stored_policy(database, acme) == {}


def test_every_org_option_finds_the_organisation_whatever_its_case(sendwise_cli, acme, tmp_path):
    request = tmp_path / "draft.json"
    request.write_text(json.dumps({"draft": {"to": [{"email": "anna@mueller.de"}], "body": {"text": "Hi"}}}))
    ok(sendwise_cli("check", str(request), "--json", "--org", acme.upper()))
    ok(sendwise_cli("org", "policy", "show", "--org", acme.upper()))
    ok(sendwise_cli("apikey", "list", "--org", acme.upper()))


@pytest.mark.parametrize("which", ["request", "report", "policy"])
def test_schema_prints_json_schema(sendwise_cli, which):
    schema = json.loads(ok(sendwise_cli("schema", which)))
    assert schema["type"] == "object" and schema["properties"]
