"""POST /api/v1/overrides and the stored audit of dismissed findings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, select

from backend.storage import overrides, queries
from backend.storage.migrate import alembic_config
from backend.storage.models import Override
from tests.conftest import NOW, Http, serving


def post(http: Http, body, headers=None):
    return http.post_json("/api/v1/overrides", body, headers=headers)


def test_a_dismissal_is_recorded_with_the_app_clock_and_the_caller(http, database):
    reply = post(
        http,
        {
            "code": "mass.exposed_recipients",
            "reason": "  They all\n know each other ",
            "user": "Tom.Li@Brightway-Lighting.cn",
        },
    )
    assert reply.status == 201, reply.body
    body = reply.json()["override"]
    assert body["at"] == "2026-11-27T10:00:00Z"
    assert (body["code"], body["reason"], body["user"]) == (
        "mass.exposed_recipients",
        "They all know each other",
        "tom.li@brightway-lighting.cn",
    )
    assert body["actor"].startswith("demo@127.0.0.1")
    with database.session() as session:
        row = session.scalars(select(Override)).one()
        assert row.at == NOW and row.message_id is None


def test_an_api_key_caller_records_into_its_own_organisation(make_app, make_tenant, database):
    acme = make_tenant("acme")
    with serving(make_app(DEMO_MODE=False)) as base:
        http = Http(base)
        assert post(http, {"code": "mass.bulk_bcc", "reason": "newsletter"}).status == 401
        reply = post(http, {"code": "mass.bulk_bcc", "reason": "newsletter", "message_id": "<a@b>"}, acme.auth)
    assert reply.status == 201
    assert reply.json()["override"]["actor"] == f"apikey:{acme.key[:11]}"
    with database.session() as session:
        rows, total = overrides.list_for_org(session, queries.org_by_slug(session, "acme"))
        assert total == 1 and rows[0].message_id == "<a@b>"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"reason": "x"}, "'code'"),
        ({"code": "mass.no_such_thing", "reason": "x"}, "unknown finding code"),
        ({"code": "mass.bulk_bcc"}, "'reason'"),
        ({"code": "mass.bulk_bcc", "reason": "   "}, "'reason'"),
        ({"code": "mass.bulk_bcc", "reason": "x" * 501}, "longer than 500"),
        ({"code": "mass.bulk_bcc", "reason": "x", "user": "not an address"}, "'user'"),
        ({"code": "mass.bulk_bcc", "reason": "x", "message_id": ""}, "'message_id'"),
    ],
)
def test_bad_dismissals_are_refused(http, body, fragment, database):
    reply = post(http, body)
    assert reply.status == 400
    assert fragment in reply.json()["error"]["message"]
    with database.session() as session:
        assert session.scalars(select(Override)).all() == []


def test_overrides_list_newest_first_with_paging_and_filters(database, demo_org, clock):
    with database.session() as session:
        org = queries.org_by_slug(session, "demo")
        for i in range(5):
            overrides.record(
                session,
                org,
                at=clock.now() + timedelta(minutes=i),
                actor="demo",
                code="mass.bulk_bcc" if i % 2 else "mass.send_burst",
                reason=f"r{i}",
            )
    with database.session() as session:
        org = queries.org_by_slug(session, "demo")
        page, total = overrides.list_for_org(session, org, limit=2, offset=1)
        assert total == 5 and [r.reason for r in page] == ["r3", "r2"]
        bulk, total = overrides.list_for_org(session, org, code="mass.bulk_bcc")
        assert total == 2 and [r.reason for r in bulk] == ["r3", "r1"]
        recent, total = overrides.list_for_org(session, org, since=clock.now() + timedelta(minutes=3))
        assert [r.reason for r in recent] == ["r4", "r3"]
        assert overrides.describe(page[0])["at"] == "2026-11-27T10:03:00Z"


def test_migration_0008_goes_down_and_up(database):
    with database.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0007")
        assert "overrides" not in inspect(conn).get_table_names()
        command.upgrade(alembic_config(conn), "head")
        assert {"at", "code", "reason", "actor", "user_email", "message_id"} <= {
            c["name"] for c in inspect(conn).get_columns("overrides")
        }
