"""schemathesis against a running `sendwise serve` (its own process, real
HTTP on loopback, demo mode off), from the server's own
/api/v1/openapi.json: requests that fit the document and requests that do
not, with an API key of an organisation that has stored contacts, sent
mail and a policy. Whatever is sent, the server answers without a 5xx,
with a status the document lists for the operation, in the documented
media type and a body that validates against the documented schema.

Bounded for the normal suite; `make fuzz` (SENDWISE_FUZZ=1) sends many
more. The Gmail add-on's endpoints are left out: they accept only
Google-signed tokens, which tests/gmail covers with keys it makes. The
slowest answer met is printed at the end."""

from __future__ import annotations

import os
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.storage import Database, apikeys, queries
from tests.conftest import serve_subprocess
from tests.fuzzing import Slowest, bounded

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
DOMAIN = "brightway-lighting.cn"
SLOW = 0.25  # seconds: an answer slower than this is timed again
CONTACTS = ["anna.schmidt@mueller-gmbh.de", "wang.fang@ningbo-trade.cn", "j.dupont@lumiere.fr"]
slowest = Slowest()
statuses: Counter[str] = Counter()
_lock = threading.Lock()


def seed(url: str) -> str:
    """An organisation with contacts, sent mail and a policy; its API key."""
    now = datetime.now(UTC)
    database = Database(url)
    try:
        with database.session() as session:
            org = queries.upsert_org(
                session,
                "fuzz",
                now,
                name="Brightway Lighting",
                domains=[DOMAIN],
                postal_address="88 Huangpu Road, Ningbo",
                default_locale="en",
                policy={"mass.exposed_recipients": {"severity": "block"}},
            )
            for i, email in enumerate(CONTACTS):
                queries.upsert_contact(
                    session,
                    org,
                    email,
                    name=email.split("@")[0].replace(".", " ").title(),
                    country=["DE", "CN", "FR"][i],
                    consent_status="opt_in",
                    consent_date=date(2026, 3, 10),
                    interactions=[dict(date=date(2026, 10, 2), direction="in", subject="Samples", summary="4000K")],
                )
            _, key = apikeys.create(session, org, now)
            session.commit()
    finally:
        database.dispose()
    return key


@pytest.fixture(scope="module")
def server(migrated_db_file, tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(migrated_db_file, folder / "sendwise.db")
    url = f"sqlite:///{folder / 'sendwise.db'}"
    key = seed(url)
    env = {**os.environ, "DATABASE_URL": url, "SENDWISE_DEMO": "0", "PYTHONIOENCODING": "utf-8"}
    with serve_subprocess(env, folder / "server.log", "--no-demo") as http:
        # A sent message, so analyses see the organisation's template history.
        draft = {"from": {"email": f"tom@{DOMAIN}"}, "to": [{"email": CONTACTS[0]}], "body": "Dear Anna, samples."}
        assert http.post_json("/api/v1/sent", {"draft": draft}, {"Authorization": f"Bearer {key}"}).status == 201
        yield http.base, {"Authorization": f"Bearer {key}"}
    if slowest.count:
        print(
            f"\nschemathesis: {slowest.count} requests, slowest {slowest.seconds * 1000:.0f} ms ({slowest.what}), "
            f"mean {slowest.total / slowest.count * 1000:.1f} ms"
        )
        print("answers: " + ", ".join(f"{k} x{n}" for k, n in sorted(statuses.items())))


@pytest.fixture(scope="module")
def api(server):
    base, _ = server
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    return schema.exclude(path_regex="^/gmail/")


def _run(case, server, session: requests.Session) -> None:
    base, auth = server
    response = case.call_and_validate(base_url=base, session=session, headers=dict(auth), checks=CHECKS, timeout=30)
    seconds = response.elapsed
    if seconds > SLOW:  # again, twice: a pause of this shared machine is not a slow request
        seconds = min(seconds, *(case.call(base, session, dict(auth), timeout=30).elapsed for _ in range(2)))
    with _lock:
        size = len(response.request.body or b"")
        slowest.add(seconds, f"{case.method} {case.path} -> {response.status_code}, request body {size:,} bytes")
        statuses[f"{case.method} {case.path} {response.status_code}"] += 1


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_holds_to_its_document_under_generated_requests(api, server, mode):
    session = requests.Session()

    @bounded(1000)
    @given(case=api.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        _run(case, server, session)

    run()


def test_the_slowest_answer_is_under_a_second(server):
    # Runs after the fuzzing above (file order): what it met, not a benchmark.
    if not slowest.count:
        pytest.skip("no fuzzing ran in this session")
    assert slowest.seconds < 1.0, f"{slowest.what}: {slowest.seconds:.2f} s"
