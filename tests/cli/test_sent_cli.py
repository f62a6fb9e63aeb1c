"""`sendwise sent prune`: the band index shrinks to the lookup window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.clock import SystemClock
from backend.storage import queries, sent
from backend.storage.models import SentBand
from nlp.fingerprint import fingerprint
from tests.backend.test_sent import TEMPLATE


def test_prune_drops_old_band_rows_of_every_org_and_keeps_recent_ones(sendwise_cli, make_tenant, database):
    now = SystemClock().now()  # `sendwise sent prune` runs on the system clock
    fp = fingerprint(TEMPLATE)
    make_tenant("acme")
    make_tenant("globex")
    with database.session() as session:
        kept = {}
        for slug in ("acme", "globex"):
            org = queries.org_by_slug(session, slug)
            sent.record(
                session,
                org,
                sender=f"a@{slug}.cn",
                recipients=["x@y.de"],
                sent_at=now - timedelta(days=60),
                fingerprint=fp,
            )
            kept[slug] = sent.record(
                session,
                org,
                sender=f"a@{slug}.cn",
                recipients=["x@y.de"],
                sent_at=now - timedelta(days=2),
                fingerprint=fp,
            )[0].id
    done = sendwise_cli("sent", "prune")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert [line.split(":")[0] for line in lines] == ["acme", "globex"]
    assert all("band rows of 1 message sent before" in line for line in lines)
    with database.session() as session:
        assert set(session.scalars(select(SentBand.sent_id).distinct())) == set(kept.values())
    again = sendwise_cli("sent", "prune", "--org", "acme")
    assert again.returncode == 0 and "of 0 messages" in again.stdout.decode()


def test_prune_of_an_unknown_org_is_one_line_exit_2(sendwise_cli, make_tenant):
    make_tenant("acme")
    done = sendwise_cli("sent", "prune", "--org", "nope")
    assert done.returncode == 2
    assert "no organisation 'nope'" in done.stderr.decode() and len(done.stderr.decode().splitlines()) == 1
