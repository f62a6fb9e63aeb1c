"""The admin page's views. Reading is open to every signed-in user; changing
needs the admin role. Bad input re-renders the form with the reason next to
the field (status 400), never a server error."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Response,
    current_app,
    g,
    redirect,
    request,
    send_from_directory,
    session,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select

from backend import contacts_file, db
from backend.admin import (
    SESSION_HOURS,
    _t,
    actor,
    admin_only,
    bp,
    csrf_token,
    current_org,
    oidc,
    page,
    refuse,
    start_session,
)
from backend.admin.i18n import LOCALES, N_
from backend.clock import app_clock
from backend.config import PROJECT_ROOT
from backend.errors import BadRequest
from backend.services import contacts_import, simulation
from backend.storage import activity, apikeys
from backend.storage import users as user_store
from backend.storage.contacts import audit, erase
from backend.storage.errors import InvalidValue
from backend.storage.models import ApiKey, AuditEvent, Contact, Organisation, Override, User

log = logging.getLogger("sendwise")
PAGE_SIZE = 50
VENDOR_DIR = PROJECT_ROOT / "admin" / "dist"
EXAMPLES_DIR = PROJECT_ROOT / "examples"  # the sample drafts the policy simulation runs
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
FAMILIES = ("mass", "personalization", "compliance", "deliverability", "relationship")
CONSENTS = ("opt_in", "soft_opt_in", "unknown", "opt_out")
STAGES = ("prospect", "sample", "negotiation", "customer", "repeat")
FIELD_NAMES = {
    "email": N_("Email"),
    "name": N_("Name"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "company": N_("Company"),
    "country": N_("Country"),
    "kind": N_("Kind"),
    "role": N_("Role"),
    "industry": N_("Industry"),
    "stage": N_("Stage"),
    "consent": N_("Consent"),
    "consent_source": N_("Consent source"),
    "consent_date": N_("Consent date"),
    "unsubscribed": N_("Unsubscribed"),
}


# --- sign-in -----------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        now = app_clock().now()
        result = user_store.sign_in(db.session(), email, password, now)
        db.session().commit()
        if result.user is not None:
            start_session(result.user, now)
            return redirect(_after_sign_in(request.args.get("next")))
        if result.problem == "locked":
            error = _t("Too many wrong passwords: this account is locked for 15 minutes.")
        else:
            error = _t("Wrong email or password.")
    return page("admin/sign_in.html", 401 if error else 200, error=error, email=email)


def _after_sign_in(target: str | None) -> str:
    # Only a path on this site: never an absolute or protocol-relative URL.
    if not target or not target.startswith("/admin/") or target.startswith("//"):
        return url_for("admin.dashboard")
    return target


@bp.get("/sign-in/<provider>")
def oidc_start(provider: str) -> ResponseReturnValue:
    remote = oidc.client(provider)
    if remote is None:
        return refuse(404, _t("This sign-in is not set up on this server."))
    session["oidc_next"] = request.args.get("next") or ""
    try:
        return remote.authorize_redirect(url_for("admin.oidc_callback", provider=provider, _external=True))
    except Exception as exc:  # the provider's metadata cannot be read
        log.warning("sign-in with %s unavailable: %s", provider, type(exc).__name__)
        return page(
            "admin/sign_in.html",
            503,
            error=_t(
                "{provider} cannot be reached; sign in with your password.", provider=oidc.PROVIDERS[provider].label
            ),
            email="",
        )


@bp.get("/sign-in/<provider>/callback")
def oidc_callback(provider: str) -> ResponseReturnValue:
    if oidc.client(provider) is None:
        return refuse(404, _t("This sign-in is not set up on this server."))
    label = oidc.PROVIDERS[provider].label
    try:
        email = oidc.verified_email(provider)
    except oidc.SignInFailed as exc:
        error = _t(
            "Sign-in with {provider} failed ({reason}). Try again, or sign in with your password.",
            provider=label,
            reason=str(exc),
        )
        return page("admin/sign_in.html", 401, error=error, email="")
    user = user_store.by_email(db.session(), email)
    org = db.session().get(Organisation, user.org_id) if user is not None else None
    if user is None or org is None or email.rpartition("@")[2] not in (org.domains or ()):
        error = _t("{email} has no sendwise account. Ask your administrator to add one.", email=email)
        return page("admin/sign_in.html", 403, error=error, email=email)
    target = session.pop("oidc_next", None)
    start_session(user, app_clock().now())
    return redirect(_after_sign_in(target))


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("admin.sign_in"))


@bp.get("/language/<lang>")
def language(lang: str) -> ResponseReturnValue:
    if lang in LOCALES:
        session["lang"] = lang
    target = request.args.get("next") or ""
    if not target.startswith("/admin/") or target.startswith("//"):
        target = url_for("admin.dashboard")
    return redirect(target)


@bp.get("/vendor/<path:name>")
def vendor(name: str) -> ResponseReturnValue:
    """Chart library built from npm into admin/dist (`make run` builds it); no CDN."""
    return send_from_directory(current_app.config.get("ADMIN_VENDOR_DIR") or VENDOR_DIR, name, max_age=86400)


# --- dashboard ---------------------------------------------------------------


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    session_ = db.session()
    org = current_org()
    now = app_clock().now()
    since30 = activity.window_start(now, 30)
    since7 = activity.window_start(now, 7)
    codes = activity.daily(session_, org, "code", since30)
    verdicts = activity.daily(session_, org, "verdict", since30)
    days = [since30 + timedelta(days=i) for i in range(30)]
    by_code: dict[str, dict[str, int]] = {}
    for day, code, count in codes:
        by_code.setdefault(code, {})[day.isoformat()] = count
    verdict_totals: dict[str, int] = {}
    for _day, verdict, count in verdicts:
        verdict_totals[verdict] = verdict_totals.get(verdict, 0) + count
    warnings_week = sum(c for d, v, c in verdicts if d >= since7 and v in ("review", "block"))
    overrides = activity.overrides_by_code(session_, org, now - timedelta(days=30))
    overrides_week = session_.scalar(
        select(func.count()).where(Override.org_id == org.id, Override.at >= now - timedelta(days=7))
    )
    latest_reasons = session_.scalars(
        select(Override).where(Override.org_id == org.id).order_by(Override.at.desc(), Override.id.desc()).limit(10)
    ).all()
    clusters = activity.template_clusters(session_, org, now - timedelta(days=14))
    countries = activity.countries_without_consent(session_, org)
    charts = {
        "days": [d.isoformat() for d in days],
        "codes": {code: [per_day.get(d.isoformat(), 0) for d in days] for code, per_day in sorted(by_code.items())},
        "verdicts": verdict_totals,
        "verdictNames": {"ok": _t("Ready to send"), "review": _t("Warned"), "block": _t("Blocked")},
        "overrides": overrides,
        "countries": countries,
        "labels": {
            "findings": _t("Findings per day by code"),
            "verdicts": _t("Verdicts of sent mail"),
            "overrides": _t("Overrides by code"),
            "countries": _t("Contacts without consent on record, by country"),
        },
    }
    return page(
        "admin/dashboard.html",
        warnings_week=warnings_week,
        overrides_week=overrides_week or 0,
        largest=clusters[0] if clusters else None,
        clusters=clusters,
        latest_reasons=latest_reasons,
        charts_json=json.dumps(charts, ensure_ascii=False).replace("</", "<\\/"),
        has_data=bool(codes or verdicts or overrides or countries),
    )


# --- policy -------------------------------------------------------------------


def _policy_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    from nlp import explain
    from nlp.checks import REGISTRY

    rows = []
    for family in FAMILIES:
        checks = []
        for code, check in REGISTRY.items():
            if not code.startswith(family + "."):
                continue
            text = explain(code, g.locale)
            thresholds = [
                {
                    "name": name,
                    "key": f"{code}.{name}",
                    "value": values.get(f"{code}.{name}", ""),
                    "description": _t(t.description),
                    "unit": _t(t.unit),
                    "minimum": t.minimum,
                    "maximum": t.maximum,
                    "default": t.default,
                    "step": "any" if t.kind is float else "1",
                }
                for name, t in check.thresholds.items()
            ]
            checks.append(
                {
                    "code": code,
                    "title": text["title"],
                    "what": text["what"],
                    "default": check.severity,
                    "severity": values.get(f"{code}.severity", check.severity),
                    "thresholds": thresholds,
                }
            )
        rows.append({"family": family, "checks": checks})
    return rows


def _policy_values(policy: dict[str, Any], org) -> dict[str, Any]:
    from nlp import policy as P

    described = P.describe(policy)
    values: dict[str, Any] = {}
    for code, settings in described.items():
        for name, value in settings.items():
            values[f"{code}.{name}"] = value
    values["domains"] = "\n".join(org.domains or ())
    values["postal_address"] = org.postal_address or ""
    values["default_locale"] = org.default_locale
    return values


@bp.get("/policy")
def policy() -> ResponseReturnValue:
    from nlp import policy as P

    org = current_org()
    stored, warnings = P.effective(org.policy)
    values = _policy_values(stored, org)
    return page("admin/policy.html", groups=_policy_rows(values), values=values, errors={}, warnings=warnings)


def _typed(raw: str) -> Any:
    # As the CLI reads `set CODE.SETTING=VALUE`: numbers are numbers, words are words.
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@dataclass
class _PolicyForm:
    """The policy page's form, read and checked: the policy it asks for,
    the organisation settings beside it, and the errors by field."""

    values: dict[str, Any]
    policy: dict[str, Any] = field(default_factory=dict)
    domains: list[str] = field(default_factory=list)
    postal: str = ""
    locale: str = "en"
    errors: dict[str, str] = field(default_factory=dict)


def _read_policy_form(form) -> _PolicyForm:
    from nlp import policy as P
    from nlp.checks import REGISTRY

    read = _PolicyForm(values=dict(form.items()))
    errors = read.errors
    wanted: dict[str, dict[str, Any]] = {}
    for code, check in REGISTRY.items():
        settings: dict[str, Any] = {}
        severity = form.get(f"{code}.severity", check.severity)
        if severity != check.severity:
            settings["severity"] = severity
        for name, t in check.thresholds.items():
            raw = form.get(f"{code}.{name}", "").strip()
            value = t.default if raw == "" else _typed(raw)
            if value != t.default or type(value) is not type(t.default):
                settings[name] = value
        for name, value in settings.items():
            try:
                P.validate({code: {name: value}})
            except P.PolicyError as exc:
                errors[f"{code}.{name}"] = str(exc)
        if settings:
            wanted[code] = settings
    defaults = P.OnSend().model_dump()
    on_send = {k: form.get(f"on_send.{k}", default) for k, default in defaults.items()}
    on_send = {k: v for k, v in on_send.items() if v != defaults[k]}
    if on_send:
        wanted["on_send"] = on_send
        for name, value in on_send.items():
            try:
                P.validate({"on_send": {name: value}})
            except P.PolicyError as exc:
                errors[f"on_send.{name}"] = str(exc)
    domains = [d.strip().lower().lstrip("@") for d in re.split(r"[\s,;]+", form.get("domains", "")) if d.strip()]
    bad = [d for d in domains if not _DOMAIN.match(d)]
    if bad:
        errors["domains"] = _t("Not a mail domain: {domains}", domains=", ".join(bad))
    elif not domains:
        errors["domains"] = _t("Give at least one mail domain of the organisation.")
    read.domains = list(dict.fromkeys(domains))
    read.postal = form.get("postal_address", "").strip()
    if len(read.postal) > 500:
        errors["postal_address"] = _t("At most 500 characters.")
    read.locale = form.get("default_locale", "en")
    if read.locale not in LOCALES:
        errors["default_locale"] = _t("One of: {allowed}", allowed=", ".join(LOCALES))
    if not errors:
        try:
            read.policy = P.validate(wanted)
        except P.PolicyError as exc:
            errors["policy"] = str(exc)
    return read


@bp.post("/policy/simulate")
@admin_only
def policy_simulate() -> ResponseReturnValue:
    """The policy page with the form as entered and what it would change
    (nothing is saved)."""
    from nlp import policy as P

    org = current_org()
    read = _read_policy_form(request.form)
    groups = _policy_rows(read.values)
    if read.errors:
        return page("admin/policy.html", 400, groups=groups, values=read.values, errors=read.errors, warnings=[])
    current, _ = P.effective(org.policy)
    now = app_clock().now()
    recorded = simulation.over_recorded(db.session(), org, current, read.policy, now)
    examples = simulation.over_examples(EXAMPLES_DIR, read.domains, read.postal or None, current, read.policy, now)
    return page(
        "admin/policy.html",
        groups=groups,
        values=read.values,
        errors={},
        warnings=[],
        simulation={"recorded": recorded, "examples": examples, "outcomes": simulation.OUTCOMES},
    )


@bp.post("/policy")
@admin_only
def policy_save() -> ResponseReturnValue:
    org = current_org()
    read = _read_policy_form(request.form)
    if read.errors:
        groups = _policy_rows(read.values)
        return page("admin/policy.html", 400, groups=groups, values=read.values, errors=read.errors, warnings=[])
    new_policy, new_domains, postal, locale = read.policy, read.domains, read.postal, read.locale
    now = app_clock().now()
    session_ = db.session()
    before = org.policy or {}
    if new_policy != before:
        org.policy = new_policy
        audit(session_, org, actor(), now, "org.policy", {"before": before, "after": new_policy})
    settings_before = {
        "domains": org.domains,
        "postal_address": org.postal_address,
        "default_locale": org.default_locale,
    }
    settings_after = {"domains": new_domains, "postal_address": postal or None, "default_locale": locale}
    if settings_after != settings_before:
        org.domains = new_domains
        org.postal_address = postal or None
        org.default_locale = locale
        audit(session_, org, actor(), now, "org.settings", {"before": settings_before, "after": settings_after})
    session_.commit()
    session["flash"] = "saved"
    return redirect(url_for("admin.policy"))


# --- contacts -----------------------------------------------------------------


def _contact_filters() -> tuple[list[Any], dict[str, str]]:
    org = current_org()
    args = {k: request.args.get(k, "").strip() for k in ("q", "country", "stage", "role", "consent")}
    where: list[Any] = [Contact.org_id == org.id]
    if args["q"]:
        like = "%" + args["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(
                Contact.email.like(like, escape="\\"),
                func.lower(Contact.name).like(like, escape="\\"),
                func.lower(Contact.company).like(like, escape="\\"),
            )
        )
    if args["country"]:
        where.append(Contact.country == args["country"].upper())
    if args["stage"]:
        where.append(Contact.stage == args["stage"])
    if args["role"]:
        where.append(func.lower(Contact.role) == args["role"].lower())
    if args["consent"] == "none":
        where.append(or_(Contact.consent_status.is_(None), Contact.consent_status == "unknown"))
    elif args["consent"] == "unsubscribed":
        where.append(Contact.unsubscribed.is_(True))
    elif args["consent"]:
        where.append(Contact.consent_status == args["consent"])
    return where, args


@bp.get("/contacts")
def contacts() -> ResponseReturnValue:
    where, args = _contact_filters()
    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    session_ = db.session()
    total = session_.scalar(select(func.count()).select_from(Contact).where(*where)) or 0
    rows = session_.scalars(
        select(Contact).where(*where).order_by(Contact.email).limit(PAGE_SIZE).offset((page_number - 1) * PAGE_SIZE)
    ).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return page(
        "admin/contacts.html",
        contacts=rows,
        total=total,
        page_number=page_number,
        pages=pages,
        args=args,
        consents=CONSENTS,
        stages=STAGES,
        query={k: v for k, v in args.items() if v},
    )


@bp.get("/contacts/export.csv")
def contacts_export() -> ResponseReturnValue:
    where, _ = _contact_filters()
    database = db.database()

    def rows():
        # A session of its own: the request's is closed before a streamed body is read.
        with database.session() as session_:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            out.write("\ufeff")
            writer.writerow(contacts_file.EXPORT_COLUMNS)
            for contact in session_.scalars(
                select(Contact).where(*where).order_by(Contact.email).execution_options(yield_per=1000)
            ):
                writer.writerow(contacts_file.export_cells(contact))
                if out.tell() > 65536:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
            yield out.getvalue()

    audit(db.session(), current_org(), actor(), app_clock().now(), "contacts.export", {"filter": request.args})
    db.session().commit()
    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=contacts.csv", "Cache-Control": "no-store"},
    )


def _contact(contact_id: int) -> Contact | None:
    contact = db.session().get(Contact, contact_id)
    return contact if contact is not None and contact.org_id == current_org().id else None


@bp.get("/contacts/<int:contact_id>")
def contact(contact_id: int) -> ResponseReturnValue:
    found = _contact(contact_id)
    if found is None:
        return refuse(404, _t("No such contact."))
    return page("admin/contact.html", contact=found, consents=CONSENTS, errors={}, values={})


@bp.post("/contacts/<int:contact_id>")
@admin_only
def contact_save(contact_id: int) -> ResponseReturnValue:
    found = _contact(contact_id)
    if found is None:
        return refuse(404, _t("No such contact."))
    form = request.form
    errors: dict[str, str] = {}
    status = form.get("consent_status", "")
    if status not in ("", *CONSENTS):
        errors["consent_status"] = _t("One of: {allowed}", allowed=", ".join(CONSENTS))
    source = form.get("consent_source", "").strip()
    if len(source) > 200:
        errors["consent_source"] = _t("At most 200 characters.")
    raw_date = form.get("consent_date", "").strip()
    consent_date: date | None = None
    if raw_date:
        try:
            consent_date = date.fromisoformat(raw_date)
        except ValueError:
            errors["consent_date"] = _t("A date such as 2026-03-10.")
        else:
            if consent_date > app_clock().now().date():
                errors["consent_date"] = _t("A consent date cannot be in the future.")
    unsubscribed = form.get("unsubscribed") == "yes"
    if errors:
        return page("admin/contact.html", 400, contact=found, consents=CONSENTS, errors=errors, values=form)
    before = _consent(found)
    found.consent_status = status or None
    found.consent_source = source or None
    found.consent_date = consent_date
    found.unsubscribed = unsubscribed
    after = _consent(found)
    if after != before:
        audit(
            db.session(),
            current_org(),
            actor(),
            app_clock().now(),
            "contact.consent",
            {"before": before, "after": after},
        )
    db.session().commit()
    session["flash"] = "saved"
    return redirect(url_for("admin.contact", contact_id=contact_id))


def _consent(contact: Contact) -> dict[str, Any]:
    # The contact by id only: the audit log keeps no address of a person who may later be erased.
    return {
        "contact_id": contact.id,
        "status": contact.consent_status,
        "source": contact.consent_source,
        "date": contact.consent_date.isoformat() if contact.consent_date else None,
        "unsubscribed": contact.unsubscribed,
    }


@bp.post("/contacts/<int:contact_id>/erase")
@admin_only
def contact_erase(contact_id: int) -> ResponseReturnValue:
    found = _contact(contact_id)
    if found is None:
        return refuse(404, _t("No such contact."))
    if request.form.get("confirm", "").strip().lower() != found.email:
        errors = {"confirm": _t("Type the address exactly to confirm the erasure.")}
        return page("admin/contact.html", 400, contact=found, consents=CONSENTS, errors=errors, values={})
    erase(db.session(), current_org(), found.email, actor(), app_clock().now())
    db.session().commit()
    session["flash"] = "erased"
    return redirect(url_for("admin.contacts"))


def _upload_dir() -> Path:
    folder = Path(current_app.config.get("ADMIN_UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


_TOKEN = re.compile(r"^[0-9]{1,12}_[0-9a-f]{32}$")
# An upload waits for its import at most as long as a session lasts; one
# whose preview was left (tab closed, a new file chosen) is swept after that.
UPLOAD_TTL = timedelta(hours=SESSION_HOURS)
_UPLOAD_NAME = re.compile(r"^[0-9]+-(?P<stamp>[0-9]{1,12})_[0-9a-f]{32}\.(?:csv|xlsx)$")


def _upload_path(token: str, suffix: str) -> Path:
    return _upload_dir() / f"{current_org().id}-{token}{suffix}"


def _sweep_uploads(now: datetime) -> None:
    """Delete the uploads whose time is up; their token names when they came
    (by the app's clock, as everything else)."""
    oldest = (now - UPLOAD_TTL).timestamp()
    for path in _upload_dir().iterdir():
        found = _UPLOAD_NAME.match(path.name)
        if found and int(found["stamp"]) < oldest:
            path.unlink(missing_ok=True)


@bp.get("/contacts/import")
@admin_only
def contacts_import_form() -> ResponseReturnValue:
    return page("admin/import.html", step="upload", error=None)


@bp.post("/contacts/import")
@admin_only
def contacts_import_upload() -> ResponseReturnValue:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return page("admin/import.html", 400, step="upload", error=_t("Choose a CSV or XLSX file."))
    now = app_clock().now()
    _sweep_uploads(now)
    earlier = session.pop("upload", None)
    if earlier and _TOKEN.match(str(earlier.get("token"))):  # a preview left for a new file
        _upload_path(earlier["token"], earlier["suffix"]).unlink(missing_ok=True)
    token = f"{int(now.timestamp())}_{secrets.token_hex(16)}"
    suffix = ".xlsx" if upload.filename.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    path = _upload_path(token, suffix)
    upload.save(path)
    try:
        table = contacts_file.read_table(path)
    except BadRequest as exc:
        path.unlink(missing_ok=True)
        message = str(exc).replace(path.name, upload.filename)
        return page("admin/import.html", 400, step="upload", error=message)
    session["upload"] = {"token": token, "suffix": suffix, "name": Path(upload.filename).name[:200]}
    columns = contacts_file.map_columns(table.headers)
    return _preview(table, columns, token)


def _preview(table, columns, token: str, status: int = 200, error: str | None = None) -> Response:
    by_index = {i: name for name, i in columns.index.items()}
    headers = [{"index": i, "text": str(h), "field": by_index.get(i, "")} for i, h in enumerate(table.headers)]
    return page(
        "admin/import.html",
        status,
        step="preview",
        error=error,
        token=token,
        description=table.description,
        records=len(table.records),
        headers=headers,
        fields=FIELD_NAMES,
        preview=contacts_import.preview(table, columns),
        preview_fields=list(columns.index),
    )


@bp.post("/contacts/import/<token>")
@admin_only
def contacts_import_run(token: str) -> ResponseReturnValue:
    upload = session.get("upload") or {}
    if not _TOKEN.match(token) or upload.get("token") != token:
        return refuse(400, _t("This upload is no longer available. Upload the file again."))
    path = _upload_path(token, upload["suffix"])
    try:
        table = contacts_file.read_table(path)
    except BadRequest:
        return refuse(400, _t("This upload is no longer available. Upload the file again."))
    index: dict[str, int] = {}
    for i in range(len(table.headers)):
        field = request.form.get(f"column{i}", "")
        if field in FIELD_NAMES and field not in index:
            index[field] = i
    columns = contacts_file.Columns(index=index)
    if "email" not in index:
        return _preview(table, columns, token, 400, _t("Choose the column that holds the email address."))
    if request.form.get("action") == "preview":
        return _preview(table, columns, token)
    org = current_org()
    result = contacts_import.run(
        db.session(),
        org,
        table,
        columns,
        name=upload["name"],
        actor=actor(),
        now=app_clock().now(),
        allow_erased=False,
    )
    db.session().commit()
    path.unlink(missing_ok=True)
    session.pop("upload", None)
    return page("admin/import.html", step="done", result=result, shown=result.rejected[:500], error=None)


# --- settings: accounts and API keys --------------------------------------------


def _settings_page(status: int = 200, errors: dict[str, str] | None = None, new_key: str | None = None, **values):
    session_ = db.session()
    org = current_org()
    return page(
        "admin/settings.html",
        status,
        users=user_store.for_org(session_, org),
        keys=apikeys.for_org(session_, org),
        roles=user_store.ROLES,
        errors=errors or {},
        values=values,
        new_key=new_key,
        now=app_clock().now(),
    )


@bp.get("/settings")
def settings() -> ResponseReturnValue:
    return _settings_page()


def _account(user_id: int) -> User | None:
    found = db.session().get(User, user_id)
    return found if found is not None and found.org_id == current_org().id else None


@bp.post("/settings/users")
@admin_only
def user_add() -> ResponseReturnValue:
    form = request.form
    email, role = form.get("email", "").strip().lower(), form.get("role", "viewer")
    session_ = db.session()
    # Not a silent password reset; a mailbox user (no password) may be given an account.
    if any(u.email == email and u.password_hash for u in user_store.for_org(session_, current_org())):
        return _settings_page(
            400, {"email": _t("{email} already has an account.", email=email)}, email=email, role=role
        )
    try:
        row = user_store.create(session_, current_org(), email, role, form.get("password", ""), app_clock().now())
    except InvalidValue as exc:
        session_.rollback()
        return _settings_page(400, {"email": str(exc)}, email=email, role=role)
    audit(session_, current_org(), actor(), app_clock().now(), "user.create", {"email": row.email, "role": role})
    session_.commit()
    session["flash"] = "saved"
    return redirect(url_for("admin.settings"))


@bp.post("/settings/users/<int:user_id>")
@admin_only
def user_change(user_id: int) -> ResponseReturnValue:
    found = _account(user_id)
    if found is None:
        return refuse(404, _t("No such account."))
    session_ = db.session()
    action = request.form.get("action")
    before = {"email": found.email, "role": found.role}
    detail: dict[str, Any]
    try:
        if action == "role":
            user_store.change_role(session_, found, request.form.get("role", ""))
            event, detail = "user.role", {"before": before, "after": {"email": found.email, "role": found.role}}
        elif action == "unlock":
            user_store.unlock(session_, found)
            event, detail = "user.unlock", before
        elif action == "remove":
            user_store.remove(session_, found)
            event, detail = "user.remove", before
        else:
            return refuse(400, _t("Unknown action."))
    except InvalidValue as exc:
        session_.rollback()
        return _settings_page(400, {f"user-{user_id}": str(exc)})
    audit(session_, current_org(), actor(), app_clock().now(), event, detail)
    session_.commit()
    session["flash"] = "saved"
    return redirect(url_for("admin.settings"))


@bp.post("/settings/keys")
@admin_only
def key_create() -> ResponseReturnValue:
    label = request.form.get("label", "").strip()
    if len(label) > 200:
        return _settings_page(400, {"label": _t("At most 200 characters.")}, label=label)
    session_ = db.session()
    row, key = apikeys.create(session_, current_org(), app_clock().now(), label or None)
    audit(session_, current_org(), actor(), app_clock().now(), "apikey.create", {"prefix": row.prefix, "label": label})
    session_.commit()
    # Shown on this answer only: the key is stored as a hash and never again readable.
    return _settings_page(201, new_key=key)


@bp.post("/settings/keys/<int:key_id>/revoke")
@admin_only
def key_revoke(key_id: int) -> ResponseReturnValue:
    session_ = db.session()
    found = session_.get(ApiKey, key_id)
    if found is None or found.org_id != current_org().id:
        return refuse(404, _t("No such key."))
    if found.revoked_at is None:
        found.revoked_at = app_clock().now()
        audit(session_, current_org(), actor(), app_clock().now(), "apikey.revoke", {"prefix": found.prefix})
        session_.commit()
    session["flash"] = "saved"
    return redirect(url_for("admin.settings"))


# --- audit --------------------------------------------------------------------


def _audit_query() -> tuple[list[Any], dict[str, str]]:
    org = current_org()
    args = {k: request.args.get(k, "").strip() for k in ("action", "actor")}
    where: list[Any] = [AuditEvent.org_id == org.id]
    if args["action"]:
        where.append(AuditEvent.action.like(args["action"].replace("%", "") + "%"))
    if args["actor"]:
        where.append(AuditEvent.actor.like("%" + args["actor"].replace("%", "") + "%"))
    return where, args


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    where, args = _audit_query()
    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    session_ = db.session()
    total = session_.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    events = session_.scalars(
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page_number - 1) * PAGE_SIZE)
    ).all()
    overrides = session_.scalars(
        select(Override)
        .where(Override.org_id == current_org().id)
        .order_by(Override.at.desc(), Override.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return page(
        "admin/audit.html",
        events=[(e, json.dumps(e.detail, ensure_ascii=False, sort_keys=True)) for e in events],
        overrides=overrides,
        total=total,
        page_number=page_number,
        pages=max(1, -(-total // PAGE_SIZE)),
        args=args,
        query={k: v for k, v in args.items() if v},
    )


@bp.get("/audit.csv")
def audit_export() -> ResponseReturnValue:
    where, _ = _audit_query()
    session_ = db.session()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["at", "actor", "action", "detail"])
    events = session_.scalars(select(AuditEvent).where(*where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    for event in events:
        detail = json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
        writer.writerow(
            [
                event.at.isoformat(),
                contacts_file.defuse_cell(event.actor),
                event.action,
                contacts_file.defuse_cell(detail),
            ]
        )
    overrides = session_.scalars(
        select(Override).where(Override.org_id == current_org().id).order_by(Override.at.desc(), Override.id.desc())
    )
    for row in overrides:
        detail = json.dumps({"code": row.code, "reason": row.reason, "user": row.user_email}, ensure_ascii=False)
        writer.writerow(
            [row.at.isoformat(), contacts_file.defuse_cell(row.actor), "override", contacts_file.defuse_cell(detail)]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit.csv", "Cache-Control": "no-store"},
    )


@bp.app_template_global()
def flash_message() -> str | None:
    kind = session.pop("flash", None)
    return {"saved": _t("Saved."), "erased": _t("Erased.")}.get(kind) if kind else None


@bp.app_template_global()
def csrf_field() -> str:
    from markupsafe import Markup, escape

    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">')
