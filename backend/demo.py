"""The demo organisation: a Ningbo lighting exporter with a small CRM and a
few days of sent history, so every part of sendwise shows something real.

`seed(session, now)` is idempotent: organisation, users and contacts are upserted
(interactions replaced), and the sent history is rebuilt relative to `now`.

Sent history is stored as fingerprints only. The texts below exist in this
source file to compute them; they never reach the database. Each one is
recorded the way `POST /api/v1/sent` records a message
(`backend.storage.sent`): fingerprinted as the engine does for
`mass.template_reuse` (greeting and signature cut off), with its band rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from backend.auth import DEMO_ORG_SLUG
from backend.storage import queries, sent
from backend.storage.models import Organisation

ORG: dict[str, Any] = {
    "name": "Ningbo Brightway Lighting Co., Ltd.",
    "domains": ["brightway-lighting.cn"],
    "postal_address": "No. 218 Jinhui Road, Yinzhou District, Ningbo 315100, Zhejiang, China",
    "default_locale": "en",
    "policy": {},
}
USERS = [
    ("tom.li@brightway-lighting.cn", "member"),
    ("lucy.wang@brightway-lighting.cn", "member"),
    ("grace.chen@brightway-lighting.cn", "admin"),
]

# The cold pitch that two colleagues keep sending (also examples/cold-pitch.json).
COLD_TEMPLATE = (
    "We are Ningbo Brightway Lighting Co., Ltd., a manufacturer of LED panel lights, "
    "linear high-bay fixtures and downlights for wholesalers and installers in Europe. "
    "All our products carry CE, RoHS and ENEC certification and a 5-year warranty.\n\n"
    "Our 60x60 backlit panel (36 W, 130 lm/W, UGR<19) is available from stock with a lead "
    "time of 15 days, and we offer private-label packaging from 500 pcs.\n\n"
    "Would you be interested in our latest catalogue and price list? I would be glad to "
    "send two free samples for your testing."
)
OTHER_SENT = [
    "Thank you for testing the samples. As requested, the 4000K version of the 60x60 panel "
    "is quoted at USD 11.80 per piece for 2,000 pcs, FOB Ningbo, delivery 25 days after deposit.",
    "We confirm your order BL-2611 for 1,200 linear high-bay fixtures. Production starts on "
    "Monday; we will send photos from the pre-shipment inspection.",
]

SENDERS = {"tom.li": "Tom Li", "lucy.wang": "Lucy Wang"}
# (address, greeting, sender, days ago) for the cold template: 6 prospects, 2 colleagues.
COLD_SENDS = [
    ("info@lichtwerk-handel.de", "Dear Sir or Madam,", "tom.li", 5.2),
    ("inkoop@brouwer-installatie.nl", "Dear Purchasing Team,", "tom.li", 4.8),
    ("achats@electro-rhone.fr", "Dear Sir/Madam,", "lucy.wang", 3.9),
    ("sales@kingsway-electrical.co.uk", "Dear Sales Team,", "lucy.wang", 2.6),
    ("buyer@lakeside-lighting.com", "Hello,", "tom.li", 1.7),
    ("einkauf@nordlicht-elektro.at", "Dear Sir/Madam,", "lucy.wang", 0.8),
]


def body(greeting: str, text: str, sender: str) -> str:
    name = SENDERS[sender]
    return f"{greeting}\n\n{text}\n\nBest regards,\n{name}\nSales Manager\n{ORG['name']}"


def _contacts(today: date) -> list[dict]:
    def ago(days: int) -> date:
        return today - timedelta(days=days)

    return [
        dict(
            email="anna.schmidt@mueller-leuchten.de",
            name="Anna Schmidt",
            company="Müller Leuchten GmbH",
            country="DE",
            kind="b2b",
            role="purchasing",
            industry="lighting wholesale",
            stage="sample",
            consent_status="opt_in",
            consent_source="Light+Building trade fair form",
            consent_date=ago(250),
            interactions=[
                dict(
                    date=ago(250),
                    direction="in",
                    subject="Visit at Light+Building, hall 3.0",
                    summary="Met at our booth; interested in 60x60 panels for office refurbishments",
                ),
                dict(
                    date=ago(56),
                    direction="in",
                    subject="Samples received",
                    summary="Asked for the 4000K version and a price for 2,000 pcs",
                ),
                dict(
                    date=ago(3),
                    direction="out",
                    subject="Quotation 60x60 panel 4000K",
                    summary="Quoted USD 11.80/pc for 2,000 pcs FOB Ningbo, 25 days delivery",
                ),
            ],
        ),
        dict(
            email="l.becker@becker-elektrotechnik.de",
            name="Lukas Becker",
            company="Becker Elektrotechnik GmbH",
            country="DE",
            kind="b2b",
            role="owner",
            industry="electrical installation",
            stage="prospect",
            consent_status="none",
            interactions=[],
        ),
        dict(
            email="j.devries@vrieslicht.nl",
            name="Jan de Vries",
            company="Vries Licht B.V.",
            country="NL",
            kind="b2b",
            role="managing director",
            industry="lighting retail",
            stage="negotiation",
            consent_status="opt_in",
            consent_source="website enquiry form",
            consent_date=ago(40),
            interactions=[
                dict(
                    date=ago(40),
                    direction="in",
                    subject="Enquiry via website",
                    summary="Looking for a private-label downlight range for 14 shops",
                ),
                dict(
                    date=ago(12),
                    direction="out",
                    subject="Quotation DL-series private label",
                    summary="Quoted 3 downlight sizes; he is comparing with a Turkish supplier",
                ),
            ],
        ),
        dict(
            email="claire.martin@lumiere-habitat.fr",
            name="Claire Martin",
            company="Lumière Habitat SARL",
            country="FR",
            kind="b2b",
            role="project manager",
            industry="interior fit-out",
            stage="customer",
            consent_status="soft_opt_in",
            consent_source="existing customer",
            consent_date=ago(300),
            interactions=[
                dict(
                    date=ago(300),
                    direction="in",
                    subject="Order LH-0412",
                    summary="800 recessed downlights for a hotel project",
                ),
                dict(
                    date=ago(30),
                    direction="in",
                    subject="New hotel project in Lyon",
                    summary="Asked whether our downlights are available with DALI dimming",
                ),
            ],
        ),
        dict(
            email="james.carter@carter-electrical.co.uk",
            name="James Carter",
            company="Carter Electrical Supplies Ltd",
            country="GB",
            kind="b2b",
            role="purchasing",
            industry="electrical wholesale",
            stage="repeat",
            consent_status="soft_opt_in",
            consent_source="existing customer",
            consent_date=ago(700),
            interactions=[
                dict(date=ago(95), direction="in", subject="Order BL-2611", summary="1,200 linear high-bay fixtures"),
                dict(
                    date=ago(9), direction="out", subject="Order BL-2611 confirmation", summary="Production scheduled"
                ),
            ],
        ),
        dict(
            email="mike.johnson@brightpath-supply.com",
            name="Mike Johnson",
            company="BrightPath Supply Inc.",
            country="US",
            kind="b2b",
            role="category manager",
            industry="lighting distribution",
            stage="prospect",
            consent_status="unknown",
            interactions=[
                dict(
                    date=ago(200),
                    direction="in",
                    subject="LightFair business card",
                    summary="Exchanged cards at LightFair; distributes to contractors in Texas",
                ),
            ],
        ),
        dict(
            email="s.tremblay@eclairage-nord.ca",
            name="Sophie Tremblay",
            company="Éclairage Nord Inc.",
            country="CA",
            kind="b2b",
            role="buyer",
            industry="lighting distribution",
            stage="customer",
            consent_status="opt_in",
            consent_source="signed newsletter consent",
            consent_date=ago(420),
            interactions=[
                dict(
                    date=ago(150), direction="in", subject="Order EN-77", summary="2,000 UFO high-bays for warehouses"
                ),
            ],
        ),
        dict(
            email="m.rossi@rossi-illuminazione.it",
            name="Marco Rossi",
            company="Rossi Illuminazione S.r.l.",
            country="IT",
            kind="b2b",
            role="purchasing",
            industry="lighting wholesale",
            stage="customer",
            consent_status="opt_out",
            consent_source="unsubscribe reply",
            consent_date=ago(60),
            unsubscribed=True,
            interactions=[
                dict(date=ago(380), direction="in", subject="Order RI-2024-09", summary="Track lights"),
                dict(
                    date=ago(60),
                    direction="in",
                    subject="Unsubscribe",
                    summary="Asked to receive no more offers; open orders only",
                ),
            ],
        ),
    ]


def seed(session: Session, now: datetime) -> Organisation:
    """Create or refresh the demo organisation (slug `demo`), its contacts'
    history and sent mail dated relative to `now`. Requires the engine
    (`nlp`) to fingerprint the sent history."""
    import nlp

    org = queries.upsert_org(session, DEMO_ORG_SLUG, now, **ORG)
    for email, role in USERS:
        queries.upsert_user(session, org, email, role)
    for contact in _contacts(now.date()):
        queries.upsert_contact(session, org, **contact)

    history = [(to, greeting, COLD_TEMPLATE, who, timedelta(days=days)) for to, greeting, who, days in COLD_SENDS]
    history += [
        ("anna.schmidt@mueller-leuchten.de", "Dear Anna,", OTHER_SENT[0], "tom.li", timedelta(days=3, hours=2)),
        ("james.carter@carter-electrical.co.uk", "Dear James,", OTHER_SENT[1], "lucy.wang", timedelta(days=9)),
    ]
    rows = []
    for to, greeting, text, who, ago in history:
        message = nlp.sent_fingerprint(_draft(to, greeting, text, who))
        rows.append(
            dict(
                sender=message.sender,
                recipients=message.recipients,
                sent_at=now - ago,
                fingerprint=message.fingerprint,
                indexed=sent.indexable(message),
            )
        )
    sent.replace_all(session, org, rows)
    return org


def _draft(to: str, greeting: str, text: str, sender: str) -> dict:
    """A sent message as a contract draft (what the add-ins would post)."""
    return {
        "from": {"name": SENDERS[sender], "email": f"{sender}@{ORG['domains'][0]}"},
        "to": [{"email": to}],
        "body": {"text": body(greeting, text, sender)},
    }
