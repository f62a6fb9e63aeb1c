"""Hypothesis strategies for analysis requests that keep the contract
(docs/contract.md): random recipients with names in several scripts,
bodies mixing Latin, CJK, Cyrillic and Arabic text with HTML, links,
merge fields and long runs; stored-context-like inline contacts and
history. `invalid_requests` breaks them in the ways callers do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from nlp.contract import CONSENT_STATUSES, KINDS, MAX_BODY_CHARS, STAGES
from tests.fuzzing import FUZZ

ORG_DOMAIN = "brightway-lighting.cn"
# The longest repeated run appended to a body: up to the contract's limit when fuzzing.
LONG_RUN = 300_000 if FUZZ else 30_000
TLDS = ["de", "com", "cn", "fr", "co.uk", "com.br", "it", "ru", "ae", "jp", "example"]
SCRIPTS = st.sampled_from(
    [
        "Anna Schmidt Müller GmbH",
        "王芳 宁波照明有限公司 您好",
        "Дмитрий Иванов ООО Свет",
        "محمد العلي شركة الإضاءة",
        "François Dupont Société Lumière",
        "田中 太郎 株式会社",
        "Ελένη Παπαδοπούλου",
        "🙂🚀 ✓",
    ]
)
WORDS = st.sampled_from(
    [
        "Dear",
        "Hi",
        "price list",
        "LED panels",
        "free",
        "guaranteed",
        "click here",
        "unsubscribe",
        "100% discount!!!",
        "best regards",
        "samples",
        "MOQ 2,000 pcs",
        "FOB Ningbo",
        "we are a leading manufacturer",
        "http://bit.ly/x1",
        "https://brightway-lighting.cn/catalog",
        "{{first_name}}",
        "[Name]",
        "%FIRSTNAME%",
        "{company}",
        "<<Company>>",
        "$$$",
        "ACT NOW",
        "\n\n",
        "\t",
        "尊敬的客户",
        "您好",
        "报价单",
        "ООО",
        "шаг",
        "‏",
        "\u200b",
    ]
)
HTML_TAGS = st.sampled_from(
    [
        "<p>{}</p>",
        "<b>{}</b>",
        "<a href='http://bit.ly/{}'>{}</a>",
        "<img src='https://t.example.com/px.gif?{}' width=1 height=1>",
        "<table><tr><td>{}</td><td>{}</td></tr></table>",
        "<div style='display:none'>{}</div>",
        "<span style='color:#fff;font-size:1px'>{}</span>",
        "<style>p{{color:red}}</style>{}",
        "<!-- {} -->",
        "<p>{}",
        "&nbsp;&amp;{}&#x4e2d;",
        "<script>alert('{}')</script>",
        "<br>{}<br/>",
    ]
)


@st.composite
def emails(draw, domain: str | None = None) -> str:
    local = draw(st.from_regex(r"[a-z][a-z0-9]{0,10}([._-][a-z0-9]{1,8}){0,2}", fullmatch=True))
    if domain is None:
        label = draw(st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?", fullmatch=True))
        domain = f"{label}.{draw(st.sampled_from(TLDS))}"
    upper = draw(st.booleans())
    return f"{local.title() if upper else local}@{domain}"


# st.text() never yields lone surrogates: those are the invalid requests' business.
names = st.one_of(st.none(), SCRIPTS, st.text(max_size=60))


def addresses(domain: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"email": emails(domain)}, optional={"name": names})


@st.composite
def texts(draw, max_pieces: int = 60) -> str:
    pieces = draw(st.lists(st.one_of(WORDS, SCRIPTS, st.text(max_size=40)), max_size=max_pieces))
    text = " ".join(pieces)
    if draw(st.integers(0, 9)) == 0:  # now and then a long run: a pasted table, a repeated line
        text += draw(st.sampled_from(["x", "ab ", "价格 ", "1,234.00\t", "Dear Anna,\n", "<p>"])) * draw(
            st.integers(1000, LONG_RUN)
        )
    return text[:MAX_BODY_CHARS]


@st.composite
def htmls(draw) -> str:
    parts = []
    for tag in draw(st.lists(HTML_TAGS, max_size=12)):
        fill = draw(texts(max_pieces=8)).replace("{", "(").replace("}", ")")
        parts.append(tag.format(*([fill] * tag.count("{}"))))
    return "<html><body>" + "".join(parts) + draw(st.sampled_from(["</body></html>", "", "</div"]))


def bodies() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        texts(),
        st.fixed_dictionaries(
            {}, optional={"text": st.one_of(st.none(), texts()), "html": st.one_of(st.none(), htmls())}
        ),
    )


def times() -> st.SearchStrategy[str]:
    return st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    )


def dates() -> st.SearchStrategy[str]:
    return st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2060, 1, 1).date()).map(str)


@st.composite
def contacts(draw, email: str) -> dict[str, Any]:
    return draw(
        st.fixed_dictionaries(
            {"email": st.just(email)},
            optional={
                "name": SCRIPTS,
                "company": SCRIPTS,
                "country": st.sampled_from(["DE", "CN", "US", "FR", "BR", "AE", "Germany", "", "ZZ"]),
                "kind": st.sampled_from([*KINDS, "", "Other"]),
                "stage": st.sampled_from([*STAGES, "lost"]),
                "role": st.sampled_from(["purchasing", "CEO", "采购"]),
                "consent": st.fixed_dictionaries(
                    {}, optional={"status": st.sampled_from(CONSENT_STATUSES), "date": dates()}
                ),
                "unsubscribed": st.booleans(),
                "interactions": st.lists(
                    st.fixed_dictionaries(
                        {"date": dates()},
                        optional={
                            "direction": st.sampled_from(["in", "out"]),
                            "subject": texts(max_pieces=5).map(lambda t: t[:1000]),
                        },
                    ),
                    max_size=5,
                ),
            },
        )
    )


@st.composite
def requests(draw) -> dict[str, Any]:
    """A request valid per the contract."""
    external = st.lists(addresses(), max_size=draw(st.sampled_from([3, 12, 60])))
    internal = st.lists(addresses(ORG_DOMAIN), max_size=3)
    to, cc, bcc = draw(external), draw(internal), draw(external)
    draft: dict[str, Any] = {"from": draw(addresses(ORG_DOMAIN)), "to": to}
    if cc or draw(st.booleans()):
        draft["cc"] = cc
    if bcc:
        draft["bcc"] = bcc
    if draw(st.booleans()):
        draft["subject"] = draw(texts(max_pieces=12))[:2000]
    draft["body"] = draw(bodies())
    if draw(st.booleans()):
        draft["attachments"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": st.sampled_from(["catalog.pdf", "invoice.exe", "价格.xlsx", "a.zip"]),
                        "size": st.integers(0, 50_000_000),
                        "content_type": st.sampled_from(["application/pdf", "application/zip"]),
                    },
                ),
                max_size=4,
            )
        )
    if draw(st.booleans()):
        draft["thread"] = {"is_reply": draw(st.booleans()), "previous_messages": draw(st.integers(0, 50))}
    if draw(st.booleans()):
        draft["headers"] = {"List-Unsubscribe": "<mailto:u@brightway-lighting.cn>"}
    now = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1)))
    context: dict[str, Any] = {
        "now": now.replace(tzinfo=UTC).isoformat(),
        "locale": draw(st.sampled_from(["en", "zh-CN", "zh", "de", "", "xx-YY"])),
        "org": {"domains": [ORG_DOMAIN], "postal_address": draw(st.sampled_from([None, "88 Huangpu Road, Ningbo"]))},
    }
    recipients = [a["email"] for a in [*to, *cc, *bcc]]
    if recipients and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(recipients), max_size=5, unique=True))
        context["contacts"] = [draw(contacts(email)) for email in chosen]
    if draw(st.booleans()):
        sent = now.replace(tzinfo=UTC) - timedelta(hours=draw(st.integers(1, 2000)))
        body = draft["body"] if isinstance(draft["body"], str) else ""
        context["history"] = [
            {
                "sent_at": (sent - timedelta(minutes=i)).isoformat(),
                "from": draft["from"]["email"],
                "to": [f"buyer{i}@shop{i}.de"],
                "subject": "Offer",
                "body": body[:5000] or "Dear customer, our new catalogue is attached.",
            }
            for i in range(draw(st.integers(0, 12)))
        ]
    return {"draft": draft, "context": context}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
FIELDS = [
    ("draft",),
    ("draft", "to"),
    ("draft", "from"),
    ("draft", "subject"),
    ("draft", "body"),
    ("draft", "attachments"),
    ("draft", "thread"),
    ("draft", "headers"),
    ("context",),
    ("context", "now"),
    ("context", "org"),
    ("context", "contacts"),
    ("context", "history"),
    ("context", "locale"),
]


@st.composite
def invalid_requests(draw) -> Any:
    """A valid request with one field replaced by any JSON value, a lone
    surrogate or an unknown address; or any JSON value at all."""
    if draw(st.integers(0, 4)) == 0:
        return draw(JSON)
    request = draw(requests())
    where = draw(st.sampled_from(FIELDS))
    target = request
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = draw(
        st.one_of(JSON, st.just("\ud800"), st.just([{"email": "not an address"}]), st.just([{"name": "x"}]))
    )
    return request
