"""One clock: nothing in the backend or the engine reads the wall clock behind it,
and the API answers by the app's clock."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from backend.clock import FixedClock, SystemClock
from tests.backend.test_sent import TEMPLATE, draft
from tests.conftest import NOW, ORG_DOMAIN, PROJECT_ROOT, Http, serving

WALL_CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
    ("time", "time"),
    ("datetime", "today"),
    ("time", "time_ns"),
}
CLOCK_MODULES = {Path("backend/clock.py"), Path("nlp/clock.py")}


def wall_clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in WALL_CLOCK_READS:
                found.append(f"{path}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_only_the_clock_modules_read_the_wall_clock():
    sources = [
        p.relative_to(PROJECT_ROOT) for folder in ("backend", "nlp") for p in (PROJECT_ROOT / folder).rglob("*.py")
    ]
    reads = [r for p in sources if p not in CLOCK_MODULES for r in wall_clock_reads(PROJECT_ROOT / p)]
    assert reads == []


def test_the_scan_sees_a_wall_clock_read(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import datetime\nwhen = datetime.datetime.now(datetime.timezone.utc)\n")
    assert wall_clock_reads(probe) == [f"{probe}:2 datetime.now()"]


def test_fixed_clock_stands_still_until_moved():
    clock = FixedClock(datetime(2026, 11, 27, 18, 0, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == datetime(2026, 11, 27, 10, 0, tzinfo=UTC) == clock.now()
    clock.advance(timedelta(days=1))
    assert clock.now() == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2026, 1, 1))


def test_system_clock_can_be_moved_for_the_suites_later_run(monkeypatch):
    monkeypatch.setenv("SENDWISE_TEST_CLOCK_SHIFT_DAYS", "730")
    ahead = SystemClock().now() - datetime.now(UTC)
    assert timedelta(days=729, hours=23) < ahead < timedelta(days=730, minutes=1)
    monkeypatch.setenv("SENDWISE_TEST_CLOCK_SHIFT_DAYS", "two years")
    with pytest.raises(ValueError, match="SENDWISE_TEST_CLOCK_SHIFT_DAYS"):
        SystemClock()


def test_a_sent_message_without_a_time_is_dated_by_the_apps_clock(make_app, demo_org, clock):
    with serving(make_app()) as base:
        http = Http(base)
        clock.advance(timedelta(hours=5))
        answer = http.post_json("/api/v1/sent", {"draft": draft("buyer@lakeside-lighting.com")})
    assert answer.status == 201, answer.body
    assert answer.json()["sent"]["sent_at"] == (NOW + timedelta(hours=5)).isoformat().replace("+00:00", "Z")


def test_stored_history_is_judged_by_the_servers_time_not_the_callers(make_app, demo_org, clock):
    """Template reuse looks back from the server's clock: a request cannot
    move `context.now` to a quiet week to escape it."""
    recipients = [f"buyer{i}@shop{i}.de" for i in range(6)]
    with serving(make_app()) as base:
        http = Http(base)
        for i, to in enumerate(recipients):
            sent = {
                "draft": draft(to),
                "message_id": f"<t{i}@{ORG_DOMAIN}>",
                "sent_at": (NOW - timedelta(days=2)).isoformat(),
            }
            assert http.post_json("/api/v1/sent", sent).status == 201
        request = {"draft": draft("new@another-shop.de", text=TEMPLATE), "context": {"now": "2020-01-01T00:00:00Z"}}
        report = http.post_json("/api/v1/analyze", request).json()
    assert "mass.template_reuse" in {f["code"] for f in report["findings"]}
