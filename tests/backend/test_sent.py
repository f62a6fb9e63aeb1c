"""Sent mail: POST /api/v1/sent, the band index behind template reuse,
send-burst counts and erasure (backend/storage/sent.py), on every database
the `database_url` fixture provides."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import MetaData, Table, func, select

from backend.storage import queries, sent
from backend.storage.migrate import alembic_config, upgrade
from backend.storage.models import Base, Contact, Interaction, Organisation, SentBand, SentMessage, SentRecipient
from backend.storage.sent_index import DbSentIndex
from nlp.checks import REGISTRY
from nlp.fingerprint import N_BANDS, fingerprint, similarity
from tests.conftest import NOW, ORG_DOMAIN, Http, serving

ANNA = "anna.schmidt@mueller-leuchten.de"
TEMPLATE = (
    "We are Ningbo Brightway Lighting, a manufacturer of LED panel lights, linear high-bay fixtures and "
    "downlights for wholesalers and installers in Europe. All our products carry CE, RoHS and ENEC "
    "certification and a five-year warranty. Our 60x60 backlit panel is available from stock with a lead "
    "time of 15 days, and we offer private-label packaging from 500 pieces. Would you be interested in our "
    "latest catalogue and price list? I would be glad to send two free samples for your testing."
)
COLLEAGUES = ["tom.li", "lucy.wang", "grace.chen", "jack.zhou", "amy.xu", "leo.sun", "mia.wu"]


def body(greeting: str, text: str, who: str) -> str:
    name = who.replace(".", " ").title()
    return f"{greeting}\n\n{text}\n\nBest regards,\n{name}\nSales Manager\nBrightway Lighting"


def draft(
    to: list[str] | str,
    text: str = TEMPLATE,
    who: str = "tom.li",
    greeting: str = "Dear Sir or Madam,",
    subject: str = "LED panels for your range",
    **extra,
) -> dict:
    to = [to] if isinstance(to, str) else to
    return {
        "from": {"name": who.replace(".", " ").title(), "email": f"{who}@{ORG_DOMAIN}"},
        "to": [{"email": a} for a in to],
        "subject": subject,
        "body": {"text": body(greeting, text, who), "html": None},
        **extra,
    }


def now() -> datetime:
    return NOW


@pytest.fixture
def http_org(make_app, database, demo_org):
    """(Http client on a served demo-mode app, database, org id)."""
    with serving(make_app()) as base:
        yield Http(base), database, demo_org


def counts(database) -> dict[str, int]:
    with database.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (SentMessage, SentRecipient, SentBand, Interaction)
        }


# -- POST /api/v1/sent ----------------------------------------------------------


def test_sent_api_records_once_per_message_id(http_org):
    http, database, _ = http_org
    payload = {
        "draft": draft(["Info@Lichtwerk-Handel.de", "buyer@lakeside-lighting.com"]),
        "message_id": "<a1@brightway-lighting.cn>",
        "sent_at": "2026-11-20T08:30:00+08:00",
    }

    first = http.post_json("/api/v1/sent", payload)
    assert first.status == 201, first.body
    record = first.json()
    assert record["created"] is True
    assert record["sent"]["message_id"] == "<a1@brightway-lighting.cn>"
    assert record["sent"]["sender"] == f"tom.li@{ORG_DOMAIN}"
    assert record["sent"]["sent_at"] == "2026-11-20T00:30:00Z"
    assert sorted(record["sent"]["recipients"]) == ["buyer@lakeside-lighting.com", "info@lichtwerk-handel.de"]
    stored = counts(database)
    assert stored["sent_messages"] == 1 and stored["sent_recipients"] == 2 and stored["sent_bands"] == N_BANDS

    again = http.post_json("/api/v1/sent", {**payload, "sent_at": "2026-11-21T00:00:00Z"})
    assert again.status == 200
    assert again.json() == {**record, "created": False}
    assert counts(database) == stored

    # Without a message_id every report is a new message.
    assert http.post_json("/api/v1/sent", {"draft": payload["draft"]}).status == 201
    assert counts(database)["sent_messages"] == 2


def test_the_same_message_id_in_another_organisation_is_another_message(database, demo_org):
    with database.session() as session:
        demo = session.get(Organisation, demo_org)
        other = queries.upsert_org(session, "other", NOW, name="Other Co", domains=["other.cn"])
        fp = fingerprint(TEMPLATE)
        _, created_a = sent.record(
            session, demo, sender="a@x.cn", recipients=["c@d.de"], sent_at=now(), fingerprint=fp, message_id="<same@id>"
        )
        _, created_b = sent.record(
            session,
            other,
            sender="a@other.cn",
            recipients=["c@d.de"],
            sent_at=now(),
            fingerprint=fp,
            message_id="<same@id>",
        )
    assert created_a and created_b


def test_a_concurrent_report_of_the_same_message_id_gets_the_first(http_org, monkeypatch):
    """Another process recorded the id between our check and our insert:
    the unique constraint fires, and the API answers with the stored row."""
    http, database, _ = http_org
    payload = {"draft": draft(ANNA), "message_id": "<race@id>"}
    first = http.post_json("/api/v1/sent", payload).json()
    real, calls = sent._by_message_id, iter([None])
    monkeypatch.setattr(sent, "_by_message_id", lambda *a: next(calls, None) or real(*a))

    again = http.post_json("/api/v1/sent", {**payload, "draft": draft("someone@else.de")})
    assert again.status == 200 and again.json() == {**first, "created": False}
    assert counts(database)["sent_messages"] == 1 and counts(database)["sent_bands"] == N_BANDS


def test_interactions_are_written_for_known_contacts_only(http_org):
    http, database, org_id = http_org
    with database.session() as session:
        org = session.get(Organisation, org_id)
        queries.upsert_contact(
            session,
            org,
            ANNA,
            name="Anna Schmidt",
            interactions=[
                dict(date=date(2026, 10, 2), direction="in", subject="Samples received", summary="Asked for 4000K")
            ],
        )

    reply = http.post_json(
        "/api/v1/sent",
        {
            "draft": draft([ANNA.upper(), "stranger@unknown-shop.de"], subject="Quotation 60x60 panel 4000K"),
            "sent_at": "2026-11-25T09:00:00Z",
        },
    )
    assert reply.status == 201

    with database.session() as session:
        contacts = session.scalars(select(Contact)).all()
        assert [c.email for c in contacts] == [ANNA]  # no contact is created for the stranger
        latest = contacts[0].interactions[-1]
        assert (latest.date, latest.direction, latest.subject, latest.summary) == (
            date(2026, 11, 25),
            "out",
            "Quotation 60x60 panel 4000K",
            None,
        )
        assert len(contacts[0].interactions) == 2


def test_no_subject_or_text_is_stored_with_sent_mail(http_org):
    http, database, org_id = http_org
    with database.session() as session:
        queries.upsert_contact(session, session.get(Organisation, org_id), ANNA, name="Anna Schmidt")
    secret_body = "Zebrafinch quotation 7731 for the Kaleidoscope warehouse project, " + TEMPLATE
    html = f"<p>Dear Anna,</p><p>{secret_body}</p><p>Best regards,<br>Tom Li</p>"
    reply = http.post_json(
        "/api/v1/sent",
        {
            "draft": {**draft(ANNA, subject="Marmalade subject line"), "body": {"text": None, "html": html}},
            "message_id": "<m1@x>",
        },
    )
    assert reply.status == 201

    sent_tables = [SentMessage.__table__, SentRecipient.__table__, SentBand.__table__]
    assert {tuple(t.c.keys()) for t in sent_tables} == {
        ("id", "org_id", "sender", "sent_at", "message_id", "fingerprint", "codes"),
        ("sent_id", "address"),
        ("band_key", "sent_id", "org_id", "sent_minute"),
    }
    with database.engine.connect() as conn:
        everything = {t.name: conn.execute(select(t)).all() for t in Base.metadata.sorted_tables}
        codes = conn.execute(select(SentMessage.codes)).scalar_one()
    assert codes and set(codes.split()) <= set(REGISTRY)  # finding codes, nothing else
    values = [(name, v) for name, rows in everything.items() for row in rows for v in row]
    for name, value in values:
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        assert "zebrafinch" not in text.lower() and "kaleidoscope" not in text.lower(), name
        if name != "interactions":
            assert "marmalade" not in text.lower(), name
    assert [bytes(v) for name, v in values if isinstance(v, (bytes, memoryview))] == [
        fingerprint("Zebrafinch quotation 7731 for the Kaleidoscope warehouse project, " + TEMPLATE)
    ]


@pytest.mark.parametrize(
    "payload, code, reason",
    [
        ({"message_id": "<x>"}, "invalid_request", "missing 'draft'"),
        ({"draft": "text"}, "invalid_request", "'draft' must be an object"),
        ({"draft": {"to": [{"email": ANNA}], "body": {"text": TEMPLATE}}}, "invalid_request", "draft.from"),
        (
            {"draft": {"from": {"email": f"tom.li@{ORG_DOMAIN}"}, "body": {"text": TEMPLATE}}},
            "invalid_request",
            "at least one recipient",
        ),
        ({"draft": {"from": {"email": "tom"}, "to": [{"email": ANNA}]}}, "invalid_request", "draft.from"),
        ({"draft": draft(ANNA), "sent_at": "yesterday"}, "invalid_request", "sent_at"),
        ({"draft": draft(ANNA), "sent_at": 1732700000}, "invalid_request", "sent_at"),
        ({"draft": draft(ANNA), "message_id": 42}, "invalid_request", "message_id"),
        ({"draft": draft(ANNA), "message_id": "  "}, "invalid_request", "message_id"),
        ({"draft": draft(ANNA), "message_id": "<" + "x" * 1000 + ">"}, "invalid_request", "message_id"),
        ({"draft": draft(ANNA), "message_id": "<\ud800@x>"}, "invalid_request", "message_id' must be ASCII"),
        ({"draft": draft(ANNA), "sent_at": "9999-12-31T23:59:59-14:00"}, "invalid_request", "sent_at"),
        ({"draft": draft(ANNA), "sent_at": "0001-01-01T00:00:00+14:00"}, "invalid_request", "sent_at"),
        ({"draft": draft(ANNA), "sent_at": "1989-12-31T23:00:00Z"}, "invalid_request", "is before 1990"),
        ({"draft": draft(ANNA), "sent_at": "2099-01-01T00:00:00Z"}, "invalid_request", "more than a day ahead"),
        ({"draft": {**draft(ANNA), "subject": "Offer \udc00"}}, "invalid_request", "draft.subject contains an invalid"),
        (b'{"draft": ', "invalid_json", "malformed JSON"),
    ],
)
def test_sent_api_rejects_bad_input_with_a_reason(http_org, payload, code, reason):
    http, database, _ = http_org
    reply = http.post_json("/api/v1/sent", payload)
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["code"] == code and reason in error["message"]
    assert counts(database)["sent_messages"] == 0


def test_sent_api_wants_json(http_org):
    http, _, _ = http_org
    reply = http.request("POST", "/api/v1/sent", b"draft=1", {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400 and reply.json()["error"]["code"] == "unsupported_content_type"


def test_sent_api_needs_credentials_outside_demo_mode(make_app, demo_org):
    with serving(make_app(DEMO_MODE=False)) as base:
        reply = Http(base).post_json("/api/v1/sent", {"draft": draft(ANNA)})
    assert reply.status == 401 and reply.json()["error"]["code"] == "unauthorized"


# -- what the engine gets ---------------------------------------------------------


def test_colleagues_sends_make_a_draft_a_reused_template(http_org):
    """Six colleagues each sent the template to one prospect (recorded via
    the API); a seventh colleague's draft of it is reported as template
    reuse, counting the other recipients and their senders."""
    http, _, _ = http_org
    greetings = [
        "Dear Sir or Madam,",
        "Dear Purchasing Team,",
        "Hello,",
        "Dear Sales Team,",
        "Hi there,",
        "Dear Madam,",
    ]
    for i, (who, greeting) in enumerate(zip(COLLEAGUES[:6], greetings)):
        reply = http.post_json(
            "/api/v1/sent",
            {
                "draft": draft(f"buyer{i}@prospect-{i}.de", who=who, greeting=greeting),
                "message_id": f"<t{i}@{ORG_DOMAIN}>",
                "sent_at": (now() - timedelta(days=i + 1)).isoformat(),
            },
        )
        assert reply.status == 201

    report = http.post_json(
        "/api/v1/analyze", {"draft": draft("einkauf@nordlicht-elektro.at", who="mia.wu", greeting="Dear Mr. Berger,")}
    ).json()
    reuse = [f for f in report["findings"] if f["code"] == "mass.template_reuse"]
    assert len(reuse) == 1
    assert reuse[0]["message"] == "Near-identical text went to 6 other recipients from 6 sender(s) in the last 14 days."

    # The draft's own recipient is not an "other" recipient.
    report = http.post_json("/api/v1/analyze", {"draft": draft("buyer0@prospect-0.de", who="mia.wu")}).json()
    reuse = [f for f in report["findings"] if f["code"] == "mass.template_reuse"]
    assert reuse[0]["message"].startswith("Near-identical text went to 5 other recipients from 5 sender(s)")


def test_lookup_respects_the_window_and_the_organisation(database, demo_org):
    fp = fingerprint(TEMPLATE)
    t = now()
    with database.session() as session:
        demo = session.get(Organisation, demo_org)
        other = queries.upsert_org(session, "other", NOW, name="Other Co", domains=["other.cn"])
        for days, org, to in [
            (1, demo, "in@window.de"),
            (13.9, demo, "edge@window.de"),
            (14.1, demo, "old@window.de"),
            (1, other, "other@org.de"),
        ]:
            sent.record(
                session,
                org,
                sender=f"tom.li@{ORG_DOMAIN}",
                recipients=[to],
                sent_at=t - timedelta(days=days),
                fingerprint=fp,
            )
        sent.record(
            session,
            demo,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=["unrelated@x.de"],
            sent_at=t - timedelta(days=1),
            fingerprint=fingerprint(
                "Your order 2611 of linear high-bay fixtures leaves Ningbo on Friday; the bill of lading "
                "and the inspection photos follow once the vessel has departed."
            ),
        )

        hits = DbSentIndex(session, demo).lookup(fp, t - timedelta(days=14), 0.85)
        assert [h.recipients for h in hits] == [["in@window.de"], ["edge@window.de"]]  # most similar, then newest first
        assert all(h.similarity == 1.0 and h.sent_at.tzinfo is not None for h in hits)
        # The window boundary is exact, not rounded to the band rows' minutes.
        edge = hits[1].sent_at
        assert [h.recipients for h in sent.lookup(session, demo, fp, edge + timedelta(seconds=1), 0.85)] == [
            ["in@window.de"]
        ]
        assert DbSentIndex(session, other).lookup(fp, t - timedelta(days=14), 0.85)[0].recipients == ["other@org.de"]
        assert DbSentIndex(session, demo).lookup(fp, t + timedelta(minutes=1), 0.85) == []
        assert (
            DbSentIndex(session, demo).lookup(fingerprint("nothing like it at all " * 5), t - timedelta(days=14), 0.85)
            == []
        )


def test_short_messages_are_kept_but_not_indexed(http_org):
    http, database, _ = http_org
    reply = http.post_json("/api/v1/sent", {"draft": draft(ANNA, text="Thanks, received. Will check and revert.")})
    assert reply.status == 201
    stored = counts(database)
    assert stored["sent_messages"] == 1 and stored["sent_bands"] == 0


def test_band_lookup_finds_the_near_duplicates_a_text_scan_finds(database, demo_org):
    """Recall on 2,000 synthetic messages, half of them edited copies of 40
    templates, against the definition (fuzz.ratio of the normalized texts
    >= 85) and against comparing the draft's fingerprint with every stored
    one: requiring two shared bands costs almost nothing of either."""
    from rapidfuzz import fuzz

    from bench.corpus import make_corpus, near_duplicate
    from nlp.fingerprint import normalize

    rng = random.Random(7)
    bases = make_corpus(40, seed=11)
    texts = [near_duplicate(b, rng) for b in bases for _ in range(25)] + make_corpus(1000, seed=12)
    fps = [fingerprint(t) for t in texts]
    t = now()
    with database.session() as session:
        org = session.get(Organisation, demo_org)
        for i, fp in enumerate(fps):
            sent.record(
                session,
                org,
                sender=f"s{i % 40}@{ORG_DOMAIN}",
                recipients=[f"r{i}@c{i}.de"],
                sent_at=t - timedelta(hours=i % 300),
                fingerprint=fp,
            )
    norms = [normalize(x) for x in texts]
    found = {"scan": 0, "ratio": 0}
    expected = {"scan": 0, "ratio": 0}
    with database.session() as session:
        org = session.get(Organisation, demo_org)
        for probe in [near_duplicate(b, rng) for b in bases]:
            q = fingerprint(probe)
            scan = {i: similarity(q, fp) for i, fp in enumerate(fps) if similarity(q, fp) >= 0.85}
            ratio = {i for i, n in enumerate(norms) if fuzz.ratio(normalize(probe), n) >= 85}
            hits = {
                int(r.recipients[0][1:].split("@")[0]): r.similarity
                for r in sent.lookup(session, org, q, t - timedelta(days=14), 0.85)
            }
            assert all(scan.get(i) == score for i, score in hits.items())  # verified by the same similarity
            found["scan"] += len(hits.keys() & scan.keys())
            found["ratio"] += len(hits.keys() & ratio)
            expected["scan"] += len(scan)
            expected["ratio"] += len(ratio)
    assert expected["ratio"] > 400 and expected["scan"] > 400
    assert found["ratio"] / expected["ratio"] >= 0.97
    assert found["scan"] / expected["scan"] >= 0.95


# -- send bursts -------------------------------------------------------------------


def test_count_sent_counts_external_sends_of_one_sender(database, demo_org):
    t = now()
    fp = fingerprint(TEMPLATE)
    with database.session() as session:
        org = session.get(Organisation, demo_org)
        for i in range(3):
            sent.record(
                session,
                org,
                sender=f"Tom.Li@{ORG_DOMAIN}",
                recipients=[f"c{i}@cust.de"],
                sent_at=t - timedelta(minutes=10 * i),
                fingerprint=fp,
            )
        sent.record(
            session,
            org,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=[f"lucy@{ORG_DOMAIN}", f"ops@sh.{ORG_DOMAIN}"],
            sent_at=t,
            fingerprint=fp,
        )  # internal only, subdomain included
        sent.record(
            session,
            org,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=[f"lucy@{ORG_DOMAIN}", "x@cust.de"],
            sent_at=t,
            fingerprint=fp,
        )  # one external recipient is enough
        sent.record(
            session,
            org,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=["late@cust.de"],
            sent_at=t - timedelta(hours=2),
            fingerprint=fp,
        )
        sent.record(session, org, sender=f"lucy.wang@{ORG_DOMAIN}", recipients=["c@cust.de"], sent_at=t, fingerprint=fp)
        index = DbSentIndex(session, org)
        assert index.count_sent(f"tom.li@{ORG_DOMAIN}", t - timedelta(hours=1)) == 4
        assert index.count_sent(f"nobody@{ORG_DOMAIN}", t - timedelta(hours=1)) == 0


def test_thirty_recorded_sends_in_an_hour_are_a_burst(http_org):
    http, _, _ = http_org
    for i in range(30):
        reply = http.post_json(
            "/api/v1/sent",
            {
                "draft": draft(f"buyer{i}@shop{i}.de", text=f"Order {i}: " + TEMPLATE),
                "sent_at": (now() - timedelta(minutes=50) + timedelta(minutes=i)).isoformat(),
            },
        )
        assert reply.status == 201
    report = http.post_json("/api/v1/analyze", {"draft": draft(ANNA, greeting="Dear Anna,")}).json()
    burst = [f for f in report["findings"] if f["code"] == "mass.send_burst"]
    assert len(burst) == 1, [f["code"] for f in report["findings"]]
    assert burst[0]["message"] == "You sent 30 external messages in the last 60 minutes."


# -- erasure -------------------------------------------------------------------------


def test_erase_address_removes_every_message_naming_it(database, demo_org):
    fp = fingerprint(TEMPLATE)
    t = now()
    with database.session() as session:
        demo = session.get(Organisation, demo_org)
        other = queries.upsert_org(session, "other", NOW, name="Other Co", domains=["other.cn"])
        sent.record(session, demo, sender=f"tom.li@{ORG_DOMAIN}", recipients=[ANNA], sent_at=t, fingerprint=fp)
        sent.record(
            session,
            demo,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=["x@y.de", ANNA.upper()],
            sent_at=t - timedelta(days=40),
            fingerprint=fp,
        )
        sent.record(session, demo, sender=ANNA, recipients=[f"tom.li@{ORG_DOMAIN}"], sent_at=t, fingerprint=fp)
        sent.record(session, demo, sender=f"tom.li@{ORG_DOMAIN}", recipients=["x@y.de"], sent_at=t, fingerprint=fp)
        sent.record(
            session,
            demo,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=["short@y.de"],
            sent_at=t,
            fingerprint=fp,
            indexed=False,
        )
        sent.record(session, other, sender="a@other.cn", recipients=[ANNA], sent_at=t, fingerprint=fp)

    with database.session() as session:
        assert (
            sent.erase_address(session, session.get(Organisation, demo_org), " Anna.Schmidt@Mueller-Leuchten.de ") == 3
        )
    with database.session() as session:
        assert sent.erase_address(session, session.get(Organisation, demo_org), ANNA) == 0
        remaining = session.execute(
            select(SentMessage.org_id, SentRecipient.address)
            .join(SentRecipient)
            .order_by(SentMessage.org_id, SentRecipient.address)
        ).all()
        other_id = queries.org_by_slug(session, "other").id
        assert remaining == sorted([(demo_org, "x@y.de"), (demo_org, "short@y.de"), (other_id, ANNA)])
        bands = session.execute(select(SentBand.org_id, func.count()).group_by(SentBand.org_id)).all()
        assert sorted(bands) == sorted([(demo_org, N_BANDS), (other_id, N_BANDS)])  # one indexed message each
        ids = set(session.scalars(select(SentMessage.id)))
        assert set(session.scalars(select(SentBand.sent_id))) <= ids


# -- schema ---------------------------------------------------------------------------


def test_migration_0003_carries_old_rows_over(database, demo_org):
    """Rows written under 0002 (recipients as JSON) get recipient rows and
    bands; downgrading puts the JSON back."""
    from alembic import command

    with database.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    fp = fingerprint(TEMPLATE)
    with database.engine.begin() as conn:
        old = Table("sent_messages", MetaData(), autoload_with=conn)
        conn.execute(
            old.insert().values(
                org_id=demo_org,
                sender="a@x.cn",
                recipients=["C@D.de", "e@f.de"],
                sent_at=datetime(2026, 11, 20, 8),
                fingerprint=fp,
            )
        )
    upgrade(database)
    with database.session() as session:
        message = session.scalars(select(SentMessage)).one()
        assert message.addresses == ["c@d.de", "e@f.de"]
        assert message.sent_at == datetime(2026, 11, 20, 8, tzinfo=UTC)
        minute = sent.sent_minute(datetime(2026, 11, 20, 8, tzinfo=UTC))
        assert set(session.execute(select(SentBand.sent_id, SentBand.sent_minute))) == {(message.id, minute)}
        assert session.scalar(select(func.count()).select_from(SentBand)) == N_BANDS


# -- pruning the band index -------------------------------------------------------


def band_ids(session) -> set[int]:
    return set(session.scalars(select(SentBand.sent_id).distinct()))


def test_prune_keeps_band_rows_only_inside_the_window_plus_margin(database, demo_org):
    fp = fingerprint(TEMPLATE)
    t = now()
    with database.session() as session:
        demo = session.get(Organisation, demo_org)
        other = queries.upsert_org(session, "other", NOW, name="Other Co", domains=["other.cn"])
        ids = {
            days: sent.record(
                session,
                demo,
                sender=f"tom.li@{ORG_DOMAIN}",
                recipients=[f"d{days}@x.de"],
                sent_at=t - timedelta(days=days),
                fingerprint=fp,
            )[0].id
            for days in (1, 14.5, 15.5, 40)
        }
        other_old = sent.record(
            session, other, sender="a@other.cn", recipients=["c@x.de"], sent_at=t - timedelta(days=40), fingerprint=fp
        )[0].id
        assert sent.prune_due(demo, t)
        assert sent.prune_bands(session, demo, t, limit=None) == 2
        # 14 days of window + 1 day of margin; the other organisation is untouched.
        assert band_ids(session) == {ids[1], ids[14.5], other_old}
        assert not sent.prune_due(demo, t) and sent.prune_due(other, t)
        assert session.scalar(select(func.count()).select_from(SentMessage)) == 5  # fingerprints stay
        assert [h.recipients for h in sent.lookup(session, demo, fp, t - timedelta(days=14.6), 0.85)] == [
            ["d1@x.de"],
            ["d14.5@x.de"],
        ]
        # Mail recorded late into the pruned past gets no band rows; newer mail does.
        late = sent.record(
            session,
            demo,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=["late@x.de"],
            sent_at=t - timedelta(days=20),
            fingerprint=fp,
        )[0].id
        fresh = sent.record(
            session, demo, sender=f"tom.li@{ORG_DOMAIN}", recipients=["fresh@x.de"], sent_at=t, fingerprint=fp
        )[0].id
        assert late not in band_ids(session) and fresh in band_ids(session)


def test_prune_follows_the_policy_window(database, demo_org):
    fp = fingerprint(TEMPLATE)
    t = now()
    with database.session() as session:
        demo = session.get(Organisation, demo_org)
        demo.policy = {"mass.template_reuse": {"window_days": 30}}
        kept = sent.record(
            session,
            demo,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=["a@x.de"],
            sent_at=t - timedelta(days=29),
            fingerprint=fp,
        )[0].id
        sent.record(
            session,
            demo,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=["b@x.de"],
            sent_at=t - timedelta(days=32),
            fingerprint=fp,
        )
        assert sent.band_horizon(demo) == timedelta(days=31)
        assert sent.prune_bands(session, demo, t) == 1
        assert band_ids(session) == {kept}


def test_prune_in_batches_resumes_and_finishes_equal_send_times(database, demo_org):
    fp = fingerprint(TEMPLATE)
    t = now()
    old = t - timedelta(days=20)
    with database.session() as session:
        demo = session.get(Organisation, demo_org)
        for i in range(7):  # five share one send time, across the batch boundary
            sent.record(
                session,
                demo,
                sender=f"tom.li@{ORG_DOMAIN}",
                recipients=[f"r{i}@x.de"],
                sent_at=old + timedelta(minutes=max(0, i - 4)),
                fingerprint=fp,
            )
        recent = sent.record(
            session, demo, sender=f"tom.li@{ORG_DOMAIN}", recipients=["new@x.de"], sent_at=t, fingerprint=fp
        )[0].id
        assert sent.prune_bands(session, demo, t, limit=3) == 5
        assert demo.bands_pruned_before == old + timedelta(microseconds=1)
        assert sent.prune_bands(session, demo, t, limit=3) == 2
        assert sent.prune_bands(session, demo, t, limit=3) == 0
        assert band_ids(session) == {recent}


def test_recording_sent_mail_prunes_the_band_index_on_the_side(http_org):
    http, database, org_id = http_org
    fp = fingerprint(TEMPLATE)
    with database.session() as session:
        demo = session.get(Organisation, org_id)
        old = sent.record(
            session,
            demo,
            sender=f"tom.li@{ORG_DOMAIN}",
            recipients=["old@x.de"],
            sent_at=now() - timedelta(days=30),
            fingerprint=fp,
        )[0].id
        assert old in band_ids(session)
    assert http.post_json("/api/v1/sent", {"draft": draft(ANNA)}).status == 201
    with database.session() as session:
        assert old not in band_ids(session) and len(band_ids(session)) == 1
        assert session.get(Organisation, org_id).bands_pruned_before is not None
