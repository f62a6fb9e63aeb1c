"""HubSpot: contacts through the CRM v3 API and the official client
(`hubspot-api-client`). The only module that imports it.

Requests (private-app token as `Authorization: Bearer`, scopes
crm.objects.contacts.read and crm.objects.companies.read):

    GET  /crm/v3/objects/contacts?limit=100&properties=…&associations=companies&after=…
         every contact (a full sync)
    POST /crm/v3/objects/contacts/search         only contacts modified since a time (an incremental
         sync): `lastmodifieddate` GTE that time in epoch milliseconds, sorted ascending by it
    POST /crm/v4/associations/contacts/companies/batch/read
         the companies of searched contacts (a search answer carries no associations)
    POST /crm/v3/objects/companies/batch/read    the associated companies, ≤100 ids a call, each id once per sync

Contract field     HubSpot
-----------------  --------------------------------------------------------------
email              `email`, lower-cased; a record without a usable address is skipped
name               `firstname` + `lastname`
company            `name` of the associated company (the primary association, else the
                   first), else the contact's `company` property
country            the contact's `country`, else the company's, through
                   nlp.jurisdiction.country_code ("Germany", "Italia", "DE" → DE); else none
role               `jobtitle`
industry           the contact's `industry`, else the company's ("COMPUTER_SOFTWARE" →
                   "computer software")
stage              `lifecyclestage` (table below); `hs_lead_status` only when it is empty
unsubscribed       `hs_email_optout` = true (opted out of all email)
consent            opted out → opt_out; `hs_legal_basis` naming consent → opt_in;
                   "Legitimate interest – existing customer" → soft_opt_in; else unknown.
                   Other legitimate interests are not consent: under ePrivacy they never
                   replace it (see shared/docs/compliance.md)
interactions       activity dates, below

Lifecycle stage → stage, and why:

    subscriber                      prospect     asked for content (blog, newsletter); no sales talk yet
    lead, marketingqualifiedlead,   prospect     interest shown, no deal: our first stage
    salesqualifiedlead
    opportunity                     negotiation  a deal is open: quoting and negotiating
    customer                        customer
    evangelist                      repeat       a customer who keeps buying and recommends us; the engine
                                                 treats both as customers (warm, soft opt-in), and "repeat"
                                                 picks the follow-ups for returning buyers
    other, custom stage ids, empty  hs_lead_status decides: OPEN_DEAL → negotiation, any other value →
                                    prospect; without one, none (unknown beats a guess)

HubSpot has no "sample" stage, so a sync never sets it.

Activity → interactions. Dates only: what was said stays in HubSpot.

- `hs_last_sales_activity_type` EMAIL_REPLY, MEETING_BOOKED or FORM_SUBMITTED at
  `hs_last_sales_activity_timestamp`, and `hs_sales_email_last_replied`: the
  contact wrote to us, so direction "in" ("HubSpot: replied to a sales email").
  Opens, clicks and site visits are not exchanges and are left out.
- `notes_last_updated` (Last Activity Date: a call, email, meeting, note or task
  someone logged): a dated note "HubSpot activity" with direction "out".
  HubSpot does not say who acted, and the engine counts anything that is not
  "out" as the contact writing to us (warm relationship, CASL implied
  consent), so only a known inbound exchange may be "in". Left out when an
  inbound exchange is on the same day.
- `lastmodifieddate` is not activity (any edit of the record sets it): it
  only selects the contacts of an incremental sync.

Kind (the contract's b2b/b2c) is not mapped. HubSpot has no property that
says whether a contact is a business or a consumer. The company's `type`
(PROSPECT, PARTNER, RESELLER, VENDOR, OTHER) says what the company is to
us, which the lifecycle stage already gives as far as the contract has
words for it (it has no partner or supplier). Reading "has an associated
company" as b2b would add nothing the engine does not infer from the
address without a kind (a company domain is a business, a freemail one an
individual; HubSpot associates companies by email domain too), and would
store a guess as a fact that outranks that inference: a UK sole trader
with a company record is still an individual under PECR
(shared/docs/compliance.md).

Incremental syncs and the search limit. HubSpot's search returns at most
SEARCH_LIMIT (10,000) results per query and answers 400 to a page beyond
them. The search is sorted by `lastmodifieddate`, so when a query reaches
the limit a new one starts from the last modification time seen; contacts
at exactly that time come again and are passed over (each contact is
yielded once per sync). More than SEARCH_LIMIT contacts modified in the same
millisecond cannot be paged this way: the sync then fails and says to run a
full one.

Errors become `ConnectorError` with one line: a refused token (401/403),
connection failures, time-outs, 5xx, unexpected answers. A 429 is retried
after its Retry-After (at most MAX_RATE_LIMIT_RETRIES times, waiting at most
MAX_RETRY_AFTER seconds each). The token never appears in a message.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, overload
from urllib.parse import urlsplit

from backend.clock import Clock, default_clock
from backend.connectors.base import ConnectorError, CrmContact, CrmInteraction, Page, Progress

SOURCE = "hubspot"
DEFAULT_BASE_URL = "https://api.hubapi.com"
BASE_URL_ENV = "SENDWISE_HUBSPOT_BASE_URL"
PAGE_SIZE = 100  # the most HubSpot's list endpoint returns
SEARCH_LIMIT = 10_000  # results one search query can page through
MODIFIED = "lastmodifieddate"
PRIMARY_COMPANY = 1  # association type (HUBSPOT_DEFINED) of a contact's primary company, in API v4
BATCH_SIZE = 100  # the most ids a batch read takes
DEFAULT_TIMEOUT = 30.0  # seconds, for connecting and for each read
MAX_RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 60.0  # seconds; a longer wait fails the sync instead of hanging it
DEFAULT_RETRY_AFTER = 10.0  # HubSpot's limits are per 10 s; used when a 429 names no wait

CONTACT_PROPERTIES = [
    "email",
    "firstname",
    "lastname",
    "company",
    "country",
    "jobtitle",
    "industry",
    "lifecyclestage",
    "hs_lead_status",
    "hs_email_optout",
    "hs_legal_basis",
    "notes_last_updated",
    "hs_last_sales_activity_timestamp",
    "hs_last_sales_activity_type",
    "hs_sales_email_last_replied",
]
COMPANY_PROPERTIES = ["name", "country", "industry"]

LIFECYCLE_STAGES = {
    "subscriber": "prospect",
    "lead": "prospect",
    "marketingqualifiedlead": "prospect",
    "salesqualifiedlead": "prospect",
    "opportunity": "negotiation",
    "customer": "customer",
    "evangelist": "repeat",
}
INBOUND_ACTIVITY = {
    "EMAIL_REPLY": "HubSpot: replied to a sales email",
    "MEETING_BOOKED": "HubSpot: booked a meeting",
    "FORM_SUBMITTED": "HubSpot: submitted a form",
}
ACTIVITY_SUBJECT = "HubSpot activity"

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{1,63}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ENUM = re.compile(r"[A-Z0-9_]+")

# Column sizes in backend/storage/models.py: longer CRM values are cut, not refused.
_MAX = {"name": 200, "company": 200, "role": 100, "industry": 100, "consent_source": 200}


class HubSpotConnector:
    """Contacts of one HubSpot account (see the module docstring).

    `token` is a private-app access token; `token_label` names where it came
    from ("$HUBSPOT_TOKEN") in error messages. `base_url` may point at any
    https host, or plain http on this machine (tests). `progress` gets a line
    when a rate limit makes the sync wait. `sleep` is time.sleep; `clock`
    (backend/clock.py) reads a Retry-After given as a date.
    """

    source = SOURCE

    def __init__(
        self,
        token: str,
        *,
        token_label: str = "the token",
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
    ):
        token = (token or "").strip()
        if not token:
            raise ConnectorError(f"no HubSpot token: {token_label} is empty", "config")
        if any(ch.isspace() for ch in token):
            raise ConnectorError(f"{token_label} is not a HubSpot token (it contains spaces or line breaks)", "config")
        self._token = token
        self._token_label = token_label
        self.base_url = check_base_url(base_url)
        self._timeout = (timeout, timeout)  # (connect, read) for urllib3
        self._progress = progress or (lambda line: None)
        self._sleep = sleep
        self._clock = clock or default_clock()
        self._client: Any = None
        self._apis: dict[str, Any] = {}
        self._companies: dict[str, dict[str, str | None]] = {}  # id -> properties, once per sync

    # -- the protocol -----------------------------------------------------------

    def pages(self, since: datetime | None = None) -> Iterator[Page]:
        """Every contact, or those modified at or after `since` (see the module docstring)."""
        return self._modified(since) if since else self._everything()

    def close(self) -> None:
        """Release the connections; may be called more than once."""
        for api in self._apis.values():
            api.api_client.close()
            api.api_client.rest_client.pool_manager.clear()
        self._apis.clear()
        self._client = None

    def _everything(self) -> Iterator[Page]:
        after: str | None = None
        seen: set[str] = set()
        while True:
            response = self._call(
                "reading contacts",
                self._api("contacts").get_page,
                limit=PAGE_SIZE,
                after=after,
                properties=CONTACT_PROPERTIES,
                associations=["companies"],
                archived=False,
            )
            records = _results(response, "reading contacts", self.base_url)
            yield self._page(records, {str(r.id): _primary_company_id(r) for r in records})
            after = _next_after(response)
            if after is None:
                return
            if after in seen:
                raise ConnectorError("HubSpot returned the same page of contacts twice; stopped", "bad_response")
            seen.add(after)

    def _modified(self, since: datetime) -> Iterator[Page]:
        start = _millis(since)
        done: set[str] = set()
        while True:  # one search query per SEARCH_LIMIT contacts
            after, fetched, last = None, 0, start
            while fetched < SEARCH_LIMIT:
                query = _search(start, min(PAGE_SIZE, SEARCH_LIMIT - fetched), after)
                response = self._call(
                    "searching contacts", self._api("search").do_search, public_object_search_request=query
                )
                records = _results(response, "searching contacts", self.base_url)
                fetched += len(records)
                stamps = (_millis(_moment(_props(r).get(MODIFIED))) for r in records)
                last = max([last, *(stamp for stamp in stamps if stamp is not None)])
                fresh = [r for r in records if str(r.id) not in done]
                done.update(str(r.id) for r in fresh)
                yield self._page(fresh, self._primary_companies([str(r.id) for r in fresh]))
                after = _next_after(response)
                if after is None or not records:
                    return
            if last <= start:
                raise ConnectorError(
                    f"more than {SEARCH_LIMIT} HubSpot contacts have the same modification time, "
                    "which HubSpot's search cannot page through; run a full sync (--full)",
                    "bad_response",
                )
            start = last
            self._progress(
                f"HubSpot's search stops after {SEARCH_LIMIT} contacts; searching again from "
                f"{_EPOCH + timedelta(milliseconds=start):%Y-%m-%d %H:%M:%S} UTC"
            )

    def _page(self, records: list[Any], company_of: dict[str, str | None]) -> Page:
        """`records` mapped, with the primary company (id) of each contact."""
        self._load_companies([c for c in company_of.values() if c])
        page = Page()
        for record in records:
            contact, reason = self.map_contact(record, company_of.get(str(record.id)))
            if contact is None:
                page.skipped.append((str(getattr(record, "id", "?")), reason))
            else:
                page.contacts.append(contact)
        return page

    # -- mapping ----------------------------------------------------------------

    def map_contact(self, record: Any, company_id: str | None = None) -> tuple[CrmContact | None, str]:
        """A HubSpot contact record in our terms, with the properties of its
        primary company `company_id` (loaded before), or (None, why it cannot
        be stored)."""
        props = _props(record)
        email = _text(props.get("email"))
        if email is None:
            return None, "without email"
        email = email.lower()
        if len(email) > 320 or not _EMAIL.fullmatch(email):
            return None, "invalid email"
        company = self._companies.get(company_id or "", {})

        name = " ".join(filter(None, (_text(props.get("firstname")), _text(props.get("lastname"))))) or None
        unsubscribed = _text(props.get("hs_email_optout"), "").lower() == "true"
        consent_status, consent_source = _consent(unsubscribed, _text(props.get("hs_legal_basis")))
        return CrmContact(
            email=email,
            name=_clip(name, "name"),
            company=_clip(_text(company.get("name")) or _text(props.get("company")), "company"),
            country=_country(_text(props.get("country"))) or _country(_text(company.get("country"))),
            role=_clip(_text(props.get("jobtitle")), "role"),
            industry=_clip(_industry(props.get("industry")) or _industry(company.get("industry")), "industry"),
            stage=stage_of(props.get("lifecyclestage"), props.get("hs_lead_status")),
            consent_status=consent_status,
            consent_source=_clip(consent_source, "consent_source"),
            unsubscribed=unsubscribed,
            interactions=interactions_of(props),
        ), ""

    # -- HubSpot calls ----------------------------------------------------------

    def _api(self, name: str) -> Any:
        """The client's api object `name`, one per sync: each
        `client.crm...…_api` access builds a new ApiClient with its own
        connection pool."""
        if name not in self._apis:
            crm = self._hubspot().crm
            self._apis[name] = {
                "contacts": lambda: crm.contacts.basic_api,
                "search": lambda: crm.contacts.search_api,
                "associations": lambda: crm.associations.v4.batch_api,
                "companies": lambda: crm.companies.batch_api,
            }[name]()
        return self._apis[name]

    def _hubspot(self) -> Any:
        if self._client is None:
            from hubspot import HubSpot
            from urllib3.util.retry import Retry

            # One quick reconnect for a dropped connection; nothing else is
            # retried by urllib3 (its default would also retry reads, three
            # times). Status codes are ours to handle: see _call.
            retry = Retry(total=1, connect=1, read=0, status=0, other=0, redirect=False, raise_on_status=False)
            self._client = HubSpot(access_token=self._token, host=self.base_url, retry=retry)
        return self._client

    def _load_companies(self, ids: list[str]) -> None:
        from hubspot.crm.companies import BatchReadInputSimplePublicObjectId, SimplePublicObjectId

        wanted = [i for i in dict.fromkeys(ids) if i not in self._companies]
        for start in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[start : start + BATCH_SIZE]
            body = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in chunk],
                properties=COMPANY_PROPERTIES,
                properties_with_history=[],
            )
            response = self._call(
                "reading companies", self._api("companies").read, batch_read_input_simple_public_object_id=body
            )
            for company in _results(response, "reading companies", self.base_url):
                self._companies[str(company.id)] = dict(getattr(company, "properties", None) or {})
            for i in chunk:  # ids HubSpot did not return (deleted, no access): don't ask again
                self._companies.setdefault(i, {})

    def _primary_companies(self, contact_ids: list[str]) -> dict[str, str | None]:
        """Contact id -> the id of its primary company (else its first), for
        contacts that come without their associations."""
        from hubspot.crm.associations.v4 import (
            BatchInputPublicFetchAssociationsBatchRequest,
            PublicFetchAssociationsBatchRequest,
        )

        if not contact_ids:
            return {}
        body = BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in contact_ids]
        )
        # Contacts without a company come back as errors (207), not as results: no company.
        response = self._call(
            "reading the companies of contacts",
            self._api("associations").get_page,
            from_object_type="contacts",
            to_object_type="companies",
            batch_input_public_fetch_associations_batch_request=body,
        )
        found: dict[str, str | None] = {}
        for item in _results(response, "reading the companies of contacts", self.base_url):
            links = list(getattr(item, "to", None) or [])
            primary = next((link for link in links if _is_primary(link)), links[0] if links else None)
            if primary is not None:
                found[str(item._from.id)] = _text(getattr(primary, "to_object_id", None))
        return found

    def _call(self, what: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        """`method(**kwargs)` with our time-out; every failure becomes a
        one-line ConnectorError, a 429 is waited out a bounded number of times."""
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            try:
                return method(_request_timeout=self._timeout, **kwargs)
            except Exception as exc:
                status = _api_status(exc)
                if status == 429:
                    wait = _retry_after(exc, self._clock.now())
                    if wait > MAX_RETRY_AFTER:
                        raise ConnectorError(
                            f"HubSpot rate limit (429) while {what}: it asks to wait {wait:.0f} s; try again later",
                            "rate_limited",
                        ) from None
                    if attempt == MAX_RATE_LIMIT_RETRIES:
                        raise ConnectorError(
                            f"HubSpot rate limit (429) while {what}, still after "
                            f"{MAX_RATE_LIMIT_RETRIES} retries; try again later",
                            "rate_limited",
                        ) from None
                    self._progress(
                        f"rate limited by HubSpot; waiting {wait:g} s (retry {attempt + 1} of {MAX_RATE_LIMIT_RETRIES})"
                    )
                    self._sleep(wait)
                    continue
                raise self._error(what, exc, status) from None
        raise AssertionError("unreachable")

    def _error(self, what: str, exc: Exception, status: int | None) -> ConnectorError:
        if status is not None and status > 0:
            reason = _text(getattr(exc, "reason", None), "")
            detail = self._scrub(_hubspot_message(getattr(exc, "body", None)))
            if status == 401:
                return ConnectorError(
                    f"HubSpot rejected {self._token_label} (401 {reason or 'Unauthorized'}) "
                    f"while {what}: check the private-app token",
                    "auth",
                )
            if status == 403:
                detail = detail or "the token lacks a scope (crm.objects.contacts.read, crm.objects.companies.read)"
                return ConnectorError(f"HubSpot refused access (403) while {what}: {detail}", "auth")
            code = f"{status} {reason}".strip()
            if status >= 500:
                return ConnectorError(f"HubSpot server error ({code}) while {what}", "server")
            return ConnectorError(
                f"HubSpot answered {code} while {what}" + (f": {detail}" if detail else ""), "bad_response"
            )
        return _network_error(exc, what, self.base_url, self._timeout[1])

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if text else text


# -- mapping helpers (pure) ---------------------------------------------------------


def stage_of(lifecycle: Any, lead_status: Any = None) -> str | None:
    """Our stage for a HubSpot lifecycle stage, or for the lead status when
    the lifecycle stage is empty or not one of HubSpot's own; None when
    neither says anything (see the module docstring)."""
    stage = LIFECYCLE_STAGES.get(_text(lifecycle, "").lower())
    if stage:
        return stage
    status = _text(lead_status, "").upper()
    if status:
        return "negotiation" if status == "OPEN_DEAL" else "prospect"
    return None


def interactions_of(props: dict[str, Any]) -> tuple[CrmInteraction, ...]:
    """Dated interactions from a contact's activity properties (see the
    module docstring): inbound exchanges, then the last logged activity."""
    inbound: dict[tuple[date, str], CrmInteraction] = {}
    kind = _text(props.get("hs_last_sales_activity_type"), "").upper()
    when = _day(props.get("hs_last_sales_activity_timestamp"))
    if kind in INBOUND_ACTIVITY and when:
        inbound[when, INBOUND_ACTIVITY[kind]] = CrmInteraction(when, "in", INBOUND_ACTIVITY[kind])
    replied = _day(props.get("hs_sales_email_last_replied"))
    if replied:
        subject = INBOUND_ACTIVITY["EMAIL_REPLY"]
        inbound.setdefault((replied, subject), CrmInteraction(replied, "in", subject))
    out = sorted(inbound.values(), key=lambda i: (i.date, i.subject))
    last = _day(props.get("notes_last_updated"))
    if last and all(i.date != last for i in out):
        out.append(CrmInteraction(last, "out", ACTIVITY_SUBJECT))
    return tuple(sorted(out, key=lambda i: i.date))


def check_base_url(url: str) -> str:
    """`url` without a trailing slash; https, or http only to this machine
    (a token must not cross a network in the clear). Raises ConnectorError."""
    value = (url or "").strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectorError(f"HubSpot base URL {value!r} is not an http(s) URL", "config")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConnectorError(
            f"HubSpot base URL {value!r} must use https (plain http only to 127.0.0.1/localhost)", "config"
        )
    if parts.query or parts.fragment or parts.username:
        raise ConnectorError(f"HubSpot base URL {value!r} must not carry a query, fragment or user", "config")
    return value


def _consent(unsubscribed: bool, legal_basis: str | None) -> tuple[str, str | None]:
    if unsubscribed:
        return "opt_out", "HubSpot: opted out of all email"
    for basis in (legal_basis or "").split(";"):
        text = " ".join(basis.split())
        if "consent" in text.lower():
            return "opt_in", f"HubSpot legal basis: {text}"
    for basis in (legal_basis or "").split(";"):
        text = " ".join(basis.split())
        if "existing customer" in text.lower():
            return "soft_opt_in", f"HubSpot legal basis: {text}"
    return "unknown", None


def _country(value: str | None) -> str | None:
    if not value:
        return None
    from nlp.jurisdiction import country_code  # the engine's one table of country names

    code = country_code(value)
    return code if re.fullmatch(r"[A-Z]{2}", code or "") else None


def _industry(value: Any) -> str | None:
    text = _text(value)
    if text and _ENUM.fullmatch(text):  # company industries are enum values
        return text.replace("_", " ").lower()
    return text


def _search(start: int, limit: int, after: str | None) -> Any:
    """The search for contacts modified at or after `start` (epoch ms), oldest first."""
    from hubspot.crm.contacts import Filter, FilterGroup, PublicObjectSearchRequest

    return PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[Filter(property_name=MODIFIED, operator="GTE", value=str(start))])],
        sorts=[{"propertyName": MODIFIED, "direction": "ASCENDING"}],
        properties=[*CONTACT_PROPERTIES, MODIFIED],
        limit=limit,
        after=after,
    )


def _props(record: Any) -> dict[str, Any]:
    return dict(getattr(record, "properties", None) or {})


def _primary_company_id(record: Any) -> str | None:
    associations = getattr(record, "associations", None) or {}
    companies = associations.get("companies") if isinstance(associations, dict) else None
    results = list(getattr(companies, "results", None) or [])
    if not results:
        return None
    # "contact_to_company" is the primary association; others are "…_unlabeled" or labels.
    primary = next((r for r in results if getattr(r, "type", None) == "contact_to_company"), results[0])
    return _text(getattr(primary, "id", None))


def _is_primary(link: Any) -> bool:
    """Whether a v4 association (MultiAssociatedObjectWithLabel) is to the primary company."""
    return any(
        (getattr(kind, "category", None), getattr(kind, "type_id", None)) == ("HUBSPOT_DEFINED", PRIMARY_COMPANY)
        for kind in getattr(link, "association_types", None) or []
    )


def _results(response: Any, what: str, base_url: str) -> list[Any]:
    # The client turns a body that is not JSON (a proxy's HTML page, say)
    # into an empty model instead of an error: that must not look like "no contacts".
    results = getattr(response, "results", None)
    if not isinstance(results, list):
        raise ConnectorError(f"unexpected answer from HubSpot at {base_url} while {what}", "bad_response")
    return results


def _next_after(response: Any) -> str | None:
    following = getattr(getattr(response, "paging", None), "next", None)
    return _text(getattr(following, "after", None))


def _day(value: Any) -> date | None:
    """The UTC day of a HubSpot timestamp."""
    moment = _moment(value)
    return moment.date() if moment else None


def _moment(value: Any) -> datetime | None:
    """A HubSpot timestamp, ISO 8601 (v3) or epoch milliseconds, in UTC; None if it is neither."""
    text = _text(value)
    if not text:
        return None
    try:
        if text.isdigit():
            moment = _EPOCH + timedelta(milliseconds=int(text))
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@overload
def _millis(moment: datetime) -> int: ...
@overload
def _millis(moment: datetime | None) -> int | None: ...
def _millis(moment: datetime | None) -> int | None:
    """Epoch milliseconds, as HubSpot's filters take them."""
    return (moment - _EPOCH) // timedelta(milliseconds=1) if moment else None


@overload
def _text(value: Any, default: str) -> str: ...
@overload
def _text(value: Any, default: None = None) -> str | None: ...
def _text(value: Any, default: str | None = None) -> str | None:
    if value is None:
        return default
    text = " ".join(str(value).split())
    return text or default


def _clip(value: str | None, field: str) -> str | None:
    limit = _MAX[field]
    return value if value is None or len(value) <= limit else value[: limit - 1] + "…"


# -- error helpers --------------------------------------------------------------------


def _api_status(exc: Exception) -> int | None:
    """The HTTP status of an error answer, None for anything else."""
    # Each HubSpot sub-package has its own ApiException class (no common base).
    from hubspot.crm.associations.v4.exceptions import ApiException as AssociationsApiException
    from hubspot.crm.companies.exceptions import ApiException as CompaniesApiException
    from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException

    if isinstance(exc, (ContactsApiException, CompaniesApiException, AssociationsApiException)):
        status = getattr(exc, "status", None)
        return status if isinstance(status, int) else None
    return None


def _retry_after(exc: Exception, now: datetime) -> float:
    headers = getattr(exc, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if value is None:
        return DEFAULT_RETRY_AFTER
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def _hubspot_message(body: Any) -> str:
    """The `message` of a HubSpot error body, one line, at most 200 characters."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        message = json.loads(body).get("message") if body else None
    except (ValueError, AttributeError):
        message = None
    text = _text(message, "") or ""
    return text if len(text) <= 200 else text[:199] + "…"


def _network_error(exc: Exception, what: str, base_url: str, timeout: float) -> ConnectorError:
    from urllib3 import exceptions as u3

    reason = exc.reason if isinstance(exc, u3.MaxRetryError) and exc.reason is not None else exc
    where = f"HubSpot at {base_url}"
    if isinstance(reason, u3.NameResolutionError):
        return ConnectorError(f"cannot reach {where}: host name not found", "unreachable")
    if isinstance(reason, u3.NewConnectionError):  # before ConnectTimeoutError: it is a subclass
        cause = "connection refused" if "refused" in str(reason).lower() else "connection failed"
        return ConnectorError(f"cannot reach {where}: {cause}", "unreachable")
    if isinstance(reason, u3.ConnectTimeoutError):
        return ConnectorError(f"cannot reach {where}: no connection within {timeout:g} s", "timeout")
    if isinstance(reason, (u3.TimeoutError, TimeoutError)):
        return ConnectorError(f"{where} did not answer within {timeout:g} s while {what}", "timeout")
    if isinstance(reason, u3.SSLError):
        return ConnectorError(f"TLS error talking to {where}", "unreachable")
    if isinstance(reason, (u3.ProtocolError, ConnectionError)):
        return ConnectorError(f"the connection to {where} broke while {what}", "unreachable")
    if isinstance(reason, ValueError):  # a body the client could not decode
        return ConnectorError(f"unexpected answer from {where} while {what}", "bad_response")
    return ConnectorError(f"unexpected {type(reason).__name__} from the HubSpot client while {what}", "error")
