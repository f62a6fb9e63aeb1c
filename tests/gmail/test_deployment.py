"""`sendwise gmail deployment`: the descriptor gcloud deploys."""

from __future__ import annotations

import json

from click.testing import CliRunner

from backend.cli import cli
from gmail_addon.deployment import SCOPES


def test_the_descriptor_names_every_endpoint_and_only_the_needed_scopes(tmp_path):
    out = tmp_path / "deployment.json"
    result = CliRunner().invoke(
        cli, ["gmail", "deployment", "--base-url", "https://sendwise.example.com/", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    d = json.loads(out.read_text())
    gmail = d["addOns"]["gmail"]
    assert d["addOns"]["common"]["homepageTrigger"]["runFunction"] == "https://sendwise.example.com/gmail/homepage"
    assert gmail["composeTrigger"]["draftAccess"] == "METADATA"
    assert gmail["composeTrigger"]["actions"][0]["runFunction"] == "https://sendwise.example.com/gmail/compose"
    assert gmail["contextualTriggers"] == [
        {"unconditional": {}, "onTriggerFunction": "https://sendwise.example.com/gmail/contextual"}
    ]
    assert d["addOns"]["httpOptions"] == {"authorizationHeader": "SYSTEM_ID_TOKEN"}
    assert d["oauthScopes"] == list(SCOPES)
    assert "https://www.googleapis.com/auth/gmail.addons.current.action.compose" in d["oauthScopes"]
    assert not {"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.readonly"} & set(d["oauthScopes"])


def test_stdout_and_bad_urls():
    result = CliRunner().invoke(cli, ["gmail", "deployment", "--base-url", "https://h.example.com", "-o", "-"])
    assert json.loads(result.output)["addOns"]["common"]["name"] == "sendwise"
    for bad in ("http://h.example.com", "https://", "https://h.example.com/?x=1"):
        result = CliRunner().invoke(cli, ["gmail", "deployment", "--base-url", bad, "-o", "-"])
        assert result.exit_code == 2 and "--base-url" in result.output
