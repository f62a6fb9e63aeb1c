"""Small builders for analysis requests, so each test shows only what it is about."""

from __future__ import annotations

from typing import Any

from nlp import analyze

ORG = "lumos-lighting.cn"
SENDER = {"name": "Wei Zhang", "email": f"wei.zhang@{ORG}"}
SIGNATURE = "Best regards,\nWei Zhang\nZhongshan Lumos Lighting Co., Ltd."
ADDRESS = "No. 12 Guzhen Lighting Avenue, Guzhen Town, Zhongshan 528421, Guangdong, China"


def person(email: str, name: str = "") -> dict[str, str]:
    return {"name": name, "email": email}


def contact(email: str, name: str, company: str, country: str, **kw: Any) -> dict[str, Any]:
    return {"email": email, "name": name, "company": company, "country": country, "kind": "b2b", **kw}


def request(
    body: str,
    *,
    to: list | None = None,
    cc: list | None = None,
    bcc: list | None = None,
    subject: str = "LED track lights",
    html: str | None = None,
    reply: bool = False,
    attachments: list | None = None,
    contacts: list | None = None,
    history: list | None = None,
    policy: dict | None = None,
    locale: str = "en",
    headers: dict | None = None,
    now: str = "2026-11-20T08:00:00Z",
) -> dict[str, Any]:
    return {
        "draft": {
            "from": SENDER,
            "to": to if to is not None else [person("anna.schmidt@mueller-licht.de", "Anna Schmidt")],
            "cc": cc or [],
            "bcc": bcc or [],
            "subject": subject,
            "body": {"text": body, "html": html},
            "attachments": attachments or [],
            "thread": {"is_reply": reply, "previous_messages": 2 if reply else 0},
            "headers": headers or {},
        },
        "context": {
            "now": now,
            "locale": locale,
            "org": {"domains": [ORG], "postal_address": ADDRESS, "policy": policy or {}},
            "contacts": contacts or [],
            "history": history or [],
        },
    }


def codes(req: dict) -> set[str]:
    return {f["code"] for f in analyze(req)["findings"]}


def finding(req: dict, code: str) -> dict[str, Any] | None:
    return next((f for f in analyze(req)["findings"] if f["code"] == code), None)


CUSTOMER = contact(
    "anna.schmidt@mueller-licht.de",
    "Anna Schmidt",
    "Müller Licht GmbH",
    "DE",
    stage="customer",
    role="purchasing",
    consent={"status": "opt_in"},
    interactions=[
        {
            "date": "2026-10-02",
            "direction": "in",
            "subject": "Samples received",
            "summary": "Asked for the 4000K version and a price for 2,000 pcs",
        }
    ],
)

PITCH = (
    "Dear Anna,\n\nI saw on your website that Müller Licht is opening a showroom in Köln. "
    "We make LED track lights with CRI 97 for shops and galleries; our new 2027 range is now available.\n\n"
    "Could I send you our catalogue?\n\n"
    + SIGNATURE
    + "\n"
    + ADDRESS
    + '\n\nIf you\'d rather not hear from us, reply "unsubscribe" and we will not write again.'
)

REPLY = (
    "Hi Anna,\n\nThe 4000K version is available for all three beam angles. For 2,000 pcs the price is "
    "EUR 14.20 per piece, FOB Shenzhen, lead time 25 days after the deposit.\n\n" + SIGNATURE
)
