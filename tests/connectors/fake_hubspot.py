"""A local stand-in for HubSpot's CRM API, as far as the connector uses it,
behind a Bearer token: the contacts list (v3, paging with `after`,
`properties`, `associations`), the contacts search (v3: filter groups,
one sort, `limit` up to 200, `after` as an offset, and the limit of
results one query can page through, 10,000 at HubSpot and settable here),
the contact-to-company associations batch read (v4: 207 with an error for
each contact without a company) and the companies batch read. Runs on
127.0.0.1 in a thread; faults (status codes, Retry-After, slow answers) and
pauses are scripted per test, and every request is recorded."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "pat-eu1-test-0123456789abcdef"
CONTACTS_PATH = "/crm/v3/objects/contacts"
SEARCH_PATH = "/crm/v3/objects/contacts/search"
ASSOCIATIONS_PATH = "/crm/v4/associations/contacts/companies/batch/read"
COMPANIES_BATCH_PATH = "/crm/v3/objects/companies/batch/read"
STAMP = "2026-01-15T09:30:00.000Z"  # createdate and, unless a record has its own, lastmodifieddate
SEARCH_MAX_PAGE = 200
# Association type ids (category HUBSPOT_DEFINED) in API v4: a primary
# company has both, any other company only the second.
PRIMARY, UNLABELED = 1, 279


@dataclass
class Fault:
    """Answer `status` (after `delay` seconds) to the next `times` requests
    on `path` (and, if given, page cursor `after`) instead of the real answer."""

    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    times: int = 1
    after: str | None = None
    delay: float = 0.0
    raw: bytes | None = None  # a body that is not JSON


@dataclass
class Pause:
    """Hold requests on `path` (and cursor `after`, if given) until `release()`."""

    path: str
    after: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    resume: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.resume.set()


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


def contact(cid: str, companies: list[tuple[str, str]] = (), **props: Any) -> dict[str, Any]:
    """A contact record; `companies` are (company id, association type)."""
    return {"id": cid, "properties": props, "companies": list(companies)}


# Six contacts on three pages of two, as HubSpot would hold them.
CONTACTS = [
    contact(
        "101",
        [("9001", "contact_to_company")],
        email="anna.schmidt@mueller-leuchten.de",
        firstname="Anna",
        lastname="Schmidt",
        jobtitle="Head of Purchasing",
        lifecyclestage="opportunity",
        hs_legal_basis="Freely given consent from contact",
        hs_last_sales_activity_type="EMAIL_REPLY",
        hs_last_sales_activity_timestamp="2026-10-01T07:00:00.000Z",
        notes_last_updated="2026-10-02T08:15:00.000Z",
    ),
    contact(
        "102",
        email="M.Rossi@Rossi-Illuminazione.IT",
        firstname="Marco",
        lastname="Rossi",
        company="Rossi Illuminazione S.r.l.",
        country="Italia",
        lifecyclestage="customer",
        hs_email_optout="true",
        notes_last_updated="1759300000000",
    ),  # epoch milliseconds: 2025-10-01
    contact("103", firstname="No", lastname="Address", lifecyclestage="lead"),
    contact(
        "104",
        [("9003", "contact_to_company_unlabeled"), ("9002", "contact_to_company")],
        email="j.dupont@electro-rhone.fr",
        firstname="Jean",
        lastname="Dupont",
        country="FR",
        lifecyclestage="lead",
        hs_legal_basis="Legitimate interest – prospect/lead",
    ),
    contact(
        "105",
        email="tim@kingsway-electrical.co.uk",
        firstname="Tim",
        lastname="Walker",
        company="Kingsway Electrical Ltd",
        country="United Kingdom",
        lifecyclestage="evangelist",
        hs_legal_basis="Legitimate interest - existing customer",
        hs_last_sales_activity_type="EMAIL_OPEN",
        hs_last_sales_activity_timestamp="2026-11-20T10:00:00.000Z",
    ),
    contact(
        "106",
        email="buyer@lakeside-lighting.com",
        lifecyclestage="1234567",
        hs_lead_status="OPEN_DEAL",
        hs_sales_email_last_replied="2026-11-02T16:45:00.000Z",
        notes_last_updated="2026-11-05T09:00:00.000Z",
    ),
]
COMPANIES = {
    "9001": {"name": "Müller Leuchten GmbH", "country": "Germany", "industry": "ELECTRICAL_ELECTRONIC_MANUFACTURING"},
    "9002": {"name": "Électro Rhône SARL", "country": "France", "industry": "WHOLESALE"},
    "9003": {"name": "Rhône Holding", "country": "France", "industry": None},
}


class FakeHubSpot:
    def __init__(
        self,
        contacts: list[dict] = CONTACTS,
        companies: dict[str, dict] = COMPANIES,
        *,
        token: str = TOKEN,
        page_size: int = 2,
        search_limit: int = 10_000,
    ):
        self.contacts = contacts
        self.companies = companies
        self.token = token
        self.page_size = page_size
        self.search_limit = search_limit
        self.faults: list[Fault] = []
        self.pauses: list[Pause] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------

    def fail(self, path: str, status: int, **kw: Any) -> Fault:
        fault = Fault(path, status, **kw)
        self.faults.append(fault)
        return fault

    def pause(self, path: str, after: str | None = None) -> Pause:
        pause = Pause(path, after)
        self.pauses.append(pause)
        return pause

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def modify(self, cid: str, stamp: str, **props: Any) -> None:
        """Change contact `cid` as an edit in HubSpot would: new values and a new lastmodifieddate."""
        self.contacts = [
            dict(c, properties={**c["properties"], **props, "lastmodifieddate": stamp}) if c["id"] == cid else c
            for c in self.contacts
        ]

    # -- lifecycle ---------------------------------------------------------------

    def __enter__(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def log_message(self, *args):  # keep test output clean
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request, client_address):  # a client that gave up (time-out)
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self._stop.set()  # ends slow answers and pauses
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    # -- answering ---------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with self._lock:
            self.requests.append(Seen(method, url.path, query, dict(handler.headers), body))
            fault = self._take_fault(url.path, query)
            pause = next(
                (
                    p
                    for p in self.pauses
                    if p.path == url.path
                    and not p.arrived.is_set()
                    and p.after in (None, (query.get("after") or [None])[0])
                ),
                None,
            )
        if pause is not None:
            pause.arrived.set()
            while not (pause.resume.wait(0.05) or self._stop.is_set()):
                pass
        if fault is not None:
            if fault.delay and self._stop.wait(fault.delay):
                return
            payload = fault.raw if fault.raw is not None else fault.body or _error_body(fault.status)
            return _send(handler, fault.status, payload, fault.headers)
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return _send(handler, 401, _error_body(401))
        if method == "GET" and url.path == CONTACTS_PATH:
            return _send(handler, 200, self._contacts_page(query))
        if method == "POST" and url.path == SEARCH_PATH:
            return _send(handler, *self._search(body or {}))
        if method == "POST" and url.path == ASSOCIATIONS_PATH:
            return _send(handler, *self._associations(body or {}))
        if method == "POST" and url.path == COMPANIES_BATCH_PATH:
            return _send(handler, 200, self._companies_batch(body or {}))
        return _send(
            handler,
            404,
            {"status": "error", "message": f"no route {method} {url.path}", "category": "OBJECT_NOT_FOUND"},
        )

    def _take_fault(self, path: str, query: dict[str, list[str]]) -> Fault | None:
        after = (query.get("after") or [None])[0]
        for fault in self.faults:
            if fault.times > 0 and fault.path == path and (fault.after is None or fault.after == after):
                fault.times -= 1
                return fault
        return None

    def _contacts_page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        # The client sends `properties=a&properties=b`; HubSpot also takes `a,b`.
        wanted = {p for value in query.get("properties", []) for p in value.split(",") if p}
        start = int((query.get("after") or ["c0"])[0].lstrip("c"))
        size = min(self.page_size, int((query.get("limit") or ["10"])[0]))
        chunk = self.contacts[start : start + size]
        results = []
        for record in chunk:
            item = _object(record, wanted)
            if "companies" in query.get("associations", []) and record["companies"]:
                item["associations"] = {
                    "companies": {"results": [{"id": cid, "type": kind} for cid, kind in record["companies"]]}
                }
            results.append(item)
        page: dict[str, Any] = {"results": results}
        if start + size < len(self.contacts):
            after = f"c{start + size}"
            page["paging"] = {"next": {"after": after, "link": f"{CONTACTS_PATH}?after={after}"}}
        return page

    def _search(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /crm/v3/objects/contacts/search: (status, answer)."""
        limit, after = int(body.get("limit") or 10), int(body.get("after") or 0)
        if not 0 < limit <= SEARCH_MAX_PAGE:
            return 400, _validation_error(f"limit must be between 1 and {SEARCH_MAX_PAGE}")
        if after + limit > self.search_limit:
            return 400, _validation_error(
                f"The search API returns at most {self.search_limit} results (after={after}, limit={limit})"
            )
        sorts = body.get("sorts") or []
        if len(sorts) > 1:
            return 400, _validation_error("only one sort is allowed")
        groups = body.get("filterGroups") or []
        matches = [
            c
            for c in self.contacts
            if not groups or any(all(_matches(c, f) for f in g.get("filters") or []) for g in groups)
        ]
        if sorts:
            sort = sorts[0] if isinstance(sorts[0], dict) else {"propertyName": sorts[0]}
            key = sort.get("propertyName")
            matches.sort(
                key=lambda c: (_sortable(key, _value(c, key)), int(c["id"])),
                reverse=sort.get("direction") == "DESCENDING",
            )
        wanted = set(body.get("properties") or ["email", "firstname", "lastname"])
        # HubSpot pages a search by offset; `size` may be less than the limit here (page_size).
        size = min(self.page_size, limit)
        answer: dict[str, Any] = {
            "total": len(matches),
            "results": [_object(c, wanted) for c in matches[after : after + size]],
        }
        if after + size < len(matches):
            answer["paging"] = {"next": {"after": str(after + size)}}
        return 200, answer

    def _associations(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /crm/v4/associations/contacts/companies/batch/read: (status, answer)."""
        by_id = {c["id"]: c for c in self.contacts}
        results, errors = [], []
        for item in body.get("inputs") or []:
            cid = str(item.get("id"))
            links = by_id.get(cid, {}).get("companies") or []
            if not links:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "context": {"fromObjectId": [cid]},
                        "message": f"No company is associated with contact {cid}.",
                    }
                )
                continue
            results.append(
                {
                    "from": {"id": cid},
                    "to": [
                        {
                            "toObjectId": int(company),
                            "associationTypes": [
                                {
                                    "category": "HUBSPOT_DEFINED",
                                    "typeId": kind_id,
                                    "label": "Primary" if kind_id == PRIMARY else None,
                                }
                                for kind_id in ((PRIMARY, UNLABELED) if kind == "contact_to_company" else (UNLABELED,))
                            ],
                        }
                        for company, kind in links
                    ],
                }
            )
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": STAMP, "completedAt": STAMP}
        if errors:
            answer.update(numErrors=len(errors), errors=errors)
        return (207 if errors else 200), answer

    def _companies_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = body.get("properties") or []
        results = []
        for item in body.get("inputs") or []:
            company = self.companies.get(item.get("id"))
            if company is not None:
                props = {"hs_object_id": item["id"], **{p: company.get(p) for p in wanted}}
                results.append(
                    {"id": item["id"], "properties": props, "createdAt": STAMP, "updatedAt": STAMP, "archived": False}
                )
        return {"status": "COMPLETE", "results": results, "startedAt": STAMP, "completedAt": STAMP}


def _value(record: dict[str, Any], name: str) -> Any:
    if name == "lastmodifieddate":
        return record["properties"].get(name) or STAMP
    if name == "hs_object_id":
        return record["id"]
    return record["properties"].get(name)


def _object(record: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
    """A contact as the API returns it, with the properties asked for."""
    modified = _value(record, "lastmodifieddate")
    props = {"hs_object_id": record["id"], "createdate": STAMP, "lastmodifieddate": modified}
    props.update({p: record["properties"].get(p) for p in wanted if p not in props})
    return {"id": record["id"], "properties": props, "createdAt": STAMP, "updatedAt": modified, "archived": False}


def _sortable(name: str, value: Any) -> Any:
    """Dates as epoch milliseconds (filters give them so, or as ISO 8601), ids as numbers."""
    if value is None:
        return -1
    if name in ("lastmodifieddate", "createdate"):
        text = str(value)
        if text.isdigit():
            return int(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    if name == "hs_object_id":
        return int(value)
    return str(value)


def _matches(record: dict[str, Any], flt: dict[str, Any]) -> bool:
    name, operator = flt["propertyName"], flt["operator"]
    have, want = _sortable(name, _value(record, name)), _sortable(name, flt.get("value"))
    return {
        "EQ": have == want,
        "NEQ": have != want,
        "GT": have > want,
        "GTE": have >= want,
        "LT": have < want,
        "LTE": have <= want,
    }[operator]


def _validation_error(message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "category": "VALIDATION_ERROR"}


def _error_body(status: int) -> dict[str, Any]:
    return {
        401: {
            "status": "error",
            "category": "INVALID_AUTHENTICATION",
            "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
        },
        429: {
            "status": "error",
            "errorType": "RATE_LIMIT",
            "policyName": "TEN_SECONDLY_ROLLING",
            "message": "You have reached your ten_secondly_rolling limit.",
        },
    }.get(status, {"status": "error", "message": "internal error", "category": "INTERNAL_ERROR"})


def _send(handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)
    except OSError:  # the client gave up
        pass
