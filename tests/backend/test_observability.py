"""JSON request logs without message content, and Prometheus metrics
(protected by a token, summed over gunicorn workers)."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest

from tests.conftest import Http, serve_subprocess, serving

SECRET_WORDS = ("Zanzibarite", "quokkafest", "Plumbago-77")


def secret_draft(tenant) -> dict:
    draft = tenant.draft_to("marco.rossi@lucearte.it", body=f"the {SECRET_WORDS[0]} samples ship on Monday")
    draft["subject"] = f"{SECRET_WORDS[1]} catalogue"
    draft["to"][0]["name"] = f"Marco {SECRET_WORDS[2]}"
    return draft


def test_a_real_analysis_logs_one_json_line_without_the_draft(database_url, make_tenant, tmp_path):
    acme = make_tenant("acme")
    env = {**os.environ, "DATABASE_URL": database_url, "SENDWISE_DEMO": "0"}
    log = tmp_path / "serve.log"
    with serve_subprocess(env, log, "--workers", "2") as http:
        reply = http.post_json("/api/v1/analyze", {"draft": secret_draft(acme)}, acme.auth)
        assert reply.status == 200
        assert http.post_json("/api/v1/sent", {"draft": secret_draft(acme)}, acme.auth).status == 201
        assert http.post_json("/api/v1/analyze", b"{not json " + SECRET_WORDS[0].encode(), acme.auth).status == 400
    text = log.read_text()
    for word in (*SECRET_WORDS, acme.key, acme.key[:12], "lucearte"):
        assert word not in text, word
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("logger") == "sendwise.request"]
    analyses = [line for line in requests if line["route"] == "/api/v1/analyze"]
    assert [line["status"] for line in analyses] == [200, 400]
    assert analyses[0]["method"] == "POST" and analyses[0]["org"] == acme.id
    assert 0 < analyses[0]["duration_ms"] < 5000
    assert {line["route"] for line in requests} >= {"/api/v1/health", "/api/v1/sent"}


def test_metrics_are_off_without_a_token(make_app, demo_org):
    reply = make_app().test_client().get("/metrics")
    assert reply.status_code == 404 and "SENDWISE_METRICS_TOKEN" in reply.json["error"]["message"]


def test_metrics_need_the_token(make_app, demo_org):
    client = make_app(METRICS_TOKEN="s3cret-scrape").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{k}="{v}"' in match[1] for k, v in labels.items()):
            total += float(match[2])
    return total


def test_metrics_count_requests_findings_and_verdicts(make_app, make_tenant):
    acme = make_tenant("acme")
    auth = {"Authorization": "Bearer s3cret-scrape"}
    with serving(make_app(DEMO_MODE=False, METRICS_TOKEN="s3cret-scrape")) as base:
        http = Http(base)
        before = http.get("/metrics", headers=auth).body.decode()
        report = http.post_json("/api/v1/analyze", {"draft": secret_draft(acme)}, acme.auth).json()
        after = http.get("/metrics", headers=auth).body.decode()
    route = {"route": "/api/v1/analyze"}
    assert _sample(after, "sendwise_requests_total", method="POST", status="200", **route) == 1 + _sample(
        before, "sendwise_requests_total", method="POST", status="200", **route
    )
    assert _sample(after, "sendwise_request_duration_seconds_count", **route) >= 1
    verdict = {"verdict": report["verdict"]}
    assert _sample(after, "sendwise_verdicts_total", **verdict) == 1 + _sample(
        before, "sendwise_verdicts_total", **verdict
    )
    for code in {f["code"] for f in report["findings"]}:
        assert _sample(after, "sendwise_findings_total", code=code) > _sample(
            before, "sendwise_findings_total", code=code
        )
    for word in SECRET_WORDS:
        assert word not in after


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on POSIX only")
def test_metrics_add_up_over_gunicorn_workers(database_url, make_tenant, tmp_path):
    acme = make_tenant("acme")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SENDWISE_DEMO": "0",
        "SENDWISE_METRICS_TOKEN": "s3cret-scrape",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"stale file from an earlier run")
    with serve_subprocess(env, tmp_path / "serve.log", "--workers", "2") as http:
        for _ in range(12):
            assert http.get("/api/v1/org", headers=acme.auth).status == 200
        text = http.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"}).body.decode()
    assert _sample(text, "sendwise_requests_total", route="/api/v1/org", status="200") == 12
