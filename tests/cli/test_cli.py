"""The `sendwise` command through real subprocesses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, draft_to, drain, internal_draft, serve_subprocess

COLD_PITCH = PROJECT_ROOT / "examples" / "cold-pitch.json"
DRAFT_EML = PROJECT_ROOT / "examples" / "draft.eml"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def env(tmp_path):
    # Never touch the developer's instance/ database.
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PYTHONIOENCODING": "utf-8"}


@pytest.fixture
def run(env):
    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", *args],
            input=stdin,
            capture_output=True,
            cwd=PROJECT_ROOT,
            env=env,
            timeout=120,
        )

    return run


def report_of(result) -> dict:
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["contract"] == "1.1" and report["verdict"] in {"ok", "review", "block"}
    return report


def one_line_error(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr.decode())
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("sendwise: error: ")
    return lines[0]


# --- check -----------------------------------------------------------------


def test_check_prints_json_when_piped_and_exits_0_with_findings(run):
    report = report_of(run("check", str(COLD_PITCH)))
    assert report["findings"], "the cold pitch example should raise findings"


def test_check_locale_changes_titles_not_codes(run):
    en = report_of(run("check", str(COLD_PITCH)))
    zh = report_of(run("check", "--locale", "zh-CN", str(COLD_PITCH)))
    assert [f["code"] for f in zh["findings"]] == [f["code"] for f in en["findings"]]
    assert all(CJK.search(f["title"]) for f in zh["findings"])


def test_check_reads_a_saved_eml_draft(run):
    report = report_of(run("check", str(DRAFT_EML)))
    assert "anna.schmidt@mueller-leuchten.de" in {r["email"] for r in report["recipients"]}


@pytest.mark.parametrize("source", [COLD_PITCH, DRAFT_EML], ids=["json", "eml"])
def test_check_reads_stdin_and_detects_the_format(run, source):
    from_file = report_of(run("check", str(source)))
    from_stdin = report_of(run("check", "-", stdin=source.read_bytes()))
    assert [f["code"] for f in from_stdin["findings"]] == [f["code"] for f in from_file["findings"]]


def test_check_internal_draft_is_ok(run):
    report = report_of(run("check", "-", stdin=json.dumps({"draft": internal_draft()}).encode()))
    assert (report["verdict"], report["findings"]) == ("ok", [])


BAD_INPUTS = [
    pytest.param(["check", "no/such/file.json"], b"", "cannot read", id="missing-file"),
    pytest.param(["check", "examples"], b"", "cannot read", id="directory"),
    pytest.param(["check", "-"], b"", "neither", id="empty-stdin"),
    pytest.param(["check", "-"], b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff", "neither", id="binary-stdin"),
    pytest.param(["check", "-"], b'{"draft": ', "malformed JSON", id="bad-json"),
    pytest.param(["check", "-"], b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deep-nesting"),
    pytest.param(["check", "-"], b'{"context": {}}', "missing 'draft'", id="missing-draft"),
    pytest.param(["check", "-"], b'{"draft": {"to": [{"email": "not-an-address"}]}}', "", id="invalid-address"),
    pytest.param(["check", "-"], b'{"draft": {"to": "a@b.de"}}', "", id="to-not-array"),
    pytest.param(["check", "-"], b'{"draft": {"subject": "\\ud800"}}', "draft.subject contains", id="lone-surrogate"),
    pytest.param(["check"], b"", "Missing argument", id="no-file"),
    pytest.param(["check", "--frobnicate", "x.json"], b"", "No such option", id="unknown-option"),
    pytest.param(["fly"], b"", "No such command", id="unknown-command"),
]


@pytest.mark.parametrize("args, stdin, reason", BAD_INPUTS)
def test_bad_input_exits_2_with_one_line(run, args, stdin, reason):
    assert reason in one_line_error(run(*args, stdin=stdin))


def test_binary_file_named_json_or_eml_is_refused(run, tmp_path):
    for name in ("junk.json", "junk.eml"):
        path = tmp_path / name
        path.write_bytes(bytes(range(256)) * 4)
        one_line_error(run("check", str(path)))


# --- stored context (--org) ------------------------------------------------


def test_org_context_from_the_database(run):
    assert run("db", "upgrade").returncode == 0
    seeded = run("demo", "seed")
    assert seeded.returncode == 0, seeded.stderr.decode()

    # Stored: Marco Rossi unsubscribed. Offline the CLI cannot know that.
    request = json.dumps({"draft": draft_to("m.rossi@rossi-illuminazione.it")}).encode()
    stored = report_of(run("check", "--org", "demo", "-", stdin=request))
    offline = report_of(run("check", "-", stdin=request))
    assert "compliance.suppressed_recipient" in {f["code"] for f in stored["findings"]}
    assert "compliance.suppressed_recipient" not in {f["code"] for f in offline["findings"]}

    # Stored: the cold template was sent to six prospects this week.
    pitch = report_of(run("check", "--org", "demo", str(COLD_PITCH)))
    assert "mass.template_reuse" in {f["code"] for f in pitch["findings"]}


def test_unknown_org_is_an_error(run):
    assert run("db", "upgrade").returncode == 0
    assert "no organisation 'acme'" in one_line_error(run("check", "--org", "acme", str(COLD_PITCH)))


def test_database_problems_exit_1_with_one_line(run, env):
    # Not migrated yet: storage says so, the CLI prints it with the hint.
    result = run("org", "list")
    assert result.returncode == 1 and result.stdout == b""
    (line,) = result.stderr.decode().splitlines()
    assert re.fullmatch(r"sendwise: error: database error: no such table: \w+ \(run `sendwise db upgrade`\)", line)
    env["DATABASE_URL"] = "nosuchdriver://nowhere"
    result = run("org", "list")
    assert result.returncode == 1
    (line,) = result.stderr.decode().splitlines()
    assert line.startswith("sendwise: error: cannot open database: ")


# --- explain / codes -------------------------------------------------------


def test_codes_lists_every_code_with_its_default_severity(run):
    result = run("codes")
    assert result.returncode == 0, result.stderr.decode()
    rows = [line.split() for line in result.stdout.decode().splitlines()]
    assert all(len(row) == 2 and row[1] in {"info", "warn", "block"} for row in rows)
    codes = {row[0] for row in rows}
    assert {"mass.exposed_recipients", "compliance.suppressed_recipient", "relationship.cold_contact"} <= codes


def test_explain_prints_what_why_instead(run):
    result = run("explain", "personalization.generic_greeting")
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "personalization.generic_greeting" in out and "warn" in out
    for heading in ("What it flags", "Why it matters", "Instead"):
        assert heading in out


def test_explain_in_chinese(run):
    result = run("explain", "compliance.suppressed_recipient", "--locale", "zh-CN")
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert CJK.search(out)
    for heading in ("What it flags", "Why it matters", "Instead", "default severity"):
        assert heading not in out
    assert "默认严重程度" in out and "为什么重要" in out


def test_explain_unknown_code_points_to_codes(run):
    assert "sendwise codes" in one_line_error(run("explain", "mass.nonsense"))


def test_help_works(run):
    result = run("--help")
    assert result.returncode == 0 and b"check" in result.stdout and b"explain" in result.stdout


# --- serve -----------------------------------------------------------------


def test_serve_migrates_seeds_and_answers_over_http(env, tmp_path):
    log = tmp_path / "serve.log"
    with serve_subprocess(env, log, "--demo") as http:
        health = http.get("/api/v1/health")
        assert health.status == 200, health.body
        assert (
            http.post_json("/api/v1/analyze", b" " * (10 * 1024 * 1024)).json()["error"]["code"] == "request_too_large"
        )
        report = http.post_json("/api/v1/analyze", {"draft": internal_draft()}).json()
        assert report["verdict"] == "ok"
        relayed = http.post_json("/api/v1/analyze", {"draft": internal_draft()}, {"X-Forwarded-For": "203.0.113.9"})
        assert relayed.status == 401
        port = http.base.rpartition(":")[2]
        rebound = http.post_json("/api/v1/analyze", {"draft": internal_draft()}, {"Host": f"rebind.example:{port}"})
        assert rebound.status == 401
    printed = log.read_text()
    assert f"http://127.0.0.1:{port}/api/v1/health" in printed and "curl" in printed


@pytest.mark.parametrize(
    "args, environ",
    [
        (("--demo", "--host", "0.0.0.0"), {}),
        (("--demo", "--host", "::"), {}),
        (("--demo", "--host", "192.0.2.10"), {}),
        (("--host", "0.0.0.0"), {"SENDWISE_DEMO": "1"}),  # what `make run HOST=0.0.0.0` runs
    ],
)
def test_serve_refuses_demo_mode_on_an_address_other_machines_reach(env, args, environ):
    # Fails fast, before binding: a server that started would hang the test.
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--port", "0", *args],
        capture_output=True,
        cwd=PROJECT_ROOT,
        env={**env, **environ},
        timeout=30,
    )
    assert "loopback" in one_line_error(result)


def on_a_terminal(env, *args: str) -> str:
    """What `sendwise ARGS` prints on a terminal (a pseudo-terminal), uncoloured."""
    import pty

    import click

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "backend.cli", *args], stdout=follower, cwd=PROJECT_ROOT, env=env, timeout=120
        )
        os.close(follower)
        follower = None
        shown = drain(leader)
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)
    assert result.returncode == 0
    return click.unstyle(shown.decode())


def test_check_on_a_terminal_labels_the_summary_in_the_requested_locale(env):
    english = on_a_terminal(env, "check", str(COLD_PITCH))
    chinese = on_a_terminal(env, "check", "--locale", "zh-CN", str(COLD_PITCH))
    assert "Recipients" in english and "analysed in" in english
    assert "收件人" in chinese and "分析用时" in chinese
    for label in ("REVIEW", "BLOCK", "WARN", "recipients:", "Recipients", "From your CRM", "analysed in"):
        assert label not in chinese, label
