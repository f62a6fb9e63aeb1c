"""The `sendwise` command line.

Exit codes: 0 success (also when the draft has findings); 2 invalid input or
usage, with one line `sendwise: error: <reason>` on stderr; 1 anything else
(engine missing, database down), also as one line.
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

import click

from backend.clock import default_clock
from backend.connectors.cli import crm
from backend.errors import BadRequest
from backend.mailbox_cli import mailbox

if TYPE_CHECKING:
    from backend.storage import Database

# Saved drafts carry their attachments, so allow far more than an API request.
MAX_INPUT_BYTES = 50 * 1024 * 1024
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")  # RFC 5322 field name then colon


class Failure(click.ClickException):
    """An error that is not the user's input: exit 1, one line."""

    exit_code = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """sendwise: check export sales emails before they are sent."""


@cli.command()
@click.argument("source", metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report even on a terminal.")
@click.option("--locale", help="Language of titles and messages (en, zh-CN); overrides context.locale.")
@click.option("--org", "org_slug", metavar="SLUG", help="Also use this organisation's stored context (database).")
def check(source: str, as_json: bool, locale: str | None, org_slug: str | None) -> None:
    """Analyse a draft: FILE.json (analysis request), FILE.eml (saved
    draft) or - for stdin (JSON or eml, detected).

    Offline by default: only the context inside the request is used."""
    from backend import analysis

    request = read_request(source)
    if locale:
        request = {**request, "context": {**(request.get("context") or {}), "locale": locale}}
    given = request.get("context")
    context = given if isinstance(given, dict) else {}
    shown_locale = context.get("locale") if isinstance(context.get("locale"), str) else None
    try:
        if org_slug:
            report, org_locale = _analyze_for_org(request, org_slug)
            shown_locale = shown_locale or org_locale  # as storage.context picks it
        else:
            report = analysis.analyze(request, now=default_clock().now())
    except analysis.EngineUnavailable as exc:
        raise Failure(str(exc)) from None

    if as_json or not sys.stdout.isatty():
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        from backend.i18n import normalize_locale
        from backend.terminal import render

        click.echo(render(report, normalize_locale(shown_locale)))


@cli.command()
@click.argument("code")
@click.option("--locale", default="en", show_default=True, help="en or zh-CN.")
def explain(code: str, locale: str) -> None:
    """Explain a finding code: what it flags, why it matters, what to do instead."""
    try:
        doc = _engine().explain(code, locale)
    except KeyError:
        raise BadRequest(f"unknown code {code!r}; run `sendwise codes` to list them") from None
    from backend.i18n import N_, gettext, normalize_locale

    shown = normalize_locale(locale)
    severity = gettext(N_("default severity: {severity}"), shown).format(severity=gettext(doc["severity"], shown))
    click.echo(f"{click.style(doc['code'], bold=True)} — {doc['title']}  ({severity})")
    for heading, key in ((N_("What it flags"), "what"), (N_("Why it matters"), "why"), (N_("Instead"), "instead")):
        click.echo(f"\n{click.style(gettext(heading, shown), bold=True)}\n  {doc[key]}")


@cli.command()
def codes() -> None:
    """List every finding code with its default severity."""
    nlp = _engine()
    for code in nlp.CODES:
        click.echo(f"{code:<42} {nlp.explain(code)['severity']}")


@cli.group()
def db() -> None:
    """Database maintenance (DATABASE_URL)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest revision."""
    from backend.storage.migrate import current_revision, upgrade

    with open_database() as database:
        upgrade(database)
        click.echo(f"database {_safe_url(database.url)} at revision {current_revision(database)}")


@cli.group()
def demo() -> None:
    """The demo organisation."""


@demo.command("seed")
def demo_seed() -> None:
    """Create or refresh the demo organisation (idempotent; migrates first)."""
    from backend.storage.migrate import upgrade

    with open_database() as database:
        upgrade(database)
        org = _seed(database)
        click.echo(f"demo organisation '{org.slug}' ({org.name}) ready in {_safe_url(database.url)}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), help="[default: 8000, or 8443 with --tls]")
@click.option(
    "--demo/--no-demo",
    "demo_mode",
    default=None,
    help="Callers on this machine act as the demo organisation, without credentials "
    "(default: SENDWISE_DEMO, which `make run` sets). Loopback addresses only.",
)
@click.option(
    "--tls", is_flag=True, help="HTTPS, for sideloading into Outlook (a certificate for localhost is made once)."
)
@click.option(
    "--cert",
    type=click.Path(dir_okay=False, exists=True),
    help="With --tls: this certificate (PEM), e.g. from office-addin-dev-certs.",
)
@click.option(
    "--key", type=click.Path(dir_okay=False, exists=True), help="With --tls: the certificate's private key (PEM)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    envvar="SENDWISE_WORKERS",
    default=1,
    show_default=True,
    help="Worker processes (SENDWISE_WORKERS); more than 1 serves with gunicorn (Linux, macOS). One per core.",
)
@click.option(
    "--server",
    "server_name",
    type=click.Choice(["auto", "waitress", "gunicorn"]),
    envvar="SENDWISE_SERVER",
    default="auto",
    show_default=True,
    help="WSGI server (SENDWISE_SERVER): auto is waitress for one worker, gunicorn for several.",
)
def serve(
    host: str,
    port: int | None,
    demo_mode: bool | None,
    tls: bool,
    cert: str | None,
    key: str | None,
    workers: int,
    server_name: str,
) -> None:
    """Migrate the database, seed the demo organisation in demo mode, and serve the API and the Outlook add-in."""
    from backend.config import demo_requested, load_config

    config = load_config()
    config["DEMO_MODE"] = demo_requested() if demo_mode is None else demo_mode
    use_gunicorn = server_name == "gunicorn" or (server_name == "auto" and workers > 1)
    if use_gunicorn:
        from backend import serving

        if not serving.gunicorn_available():
            raise BadRequest("several workers need gunicorn (Linux, macOS); on Windows serve one worker with waitress")
        if tls:
            raise click.UsageError("--tls serves one process; behind a TLS reverse proxy use --workers (see README)")
    elif workers > 1:
        raise click.UsageError("waitress runs one process; several workers need --server gunicorn (or auto)")
    if config["DEMO_MODE"] and config["TRUSTED_PROXIES"]:
        raise BadRequest(
            "demo mode answers only callers on this machine and cannot sit behind a proxy: "
            "unset SENDWISE_TRUSTED_PROXIES or turn demo mode off"
        )
    if config["DEMO_MODE"] and not _is_loopback(host):
        raise BadRequest(
            f"demo mode answers this machine only, but {host!r} is not a loopback address: serve it on "
            "--host 127.0.0.1, or turn demo mode off (--no-demo, SENDWISE_DEMO=0) and give callers API keys"
        )
    if (cert or key) and not (tls and cert and key):
        raise click.UsageError("--cert and --key go together, with --tls")

    import waitress

    from backend import analysis, create_app, version
    from backend.storage.migrate import upgrade

    if use_gunicorn:
        serving.prepare_multiprocess_metrics()  # before prometheus_client is imported
    from backend.observability import configure_json_logging

    configure_json_logging(config["LOG_LEVEL"])
    demo_admin = None
    with open_database() as database:
        upgrade(database)
        if config["DEMO_MODE"]:
            _seed(database)
            demo_admin = _demo_admin(database)
    if config["DEMO_MODE"] and not config["SECRET_KEY"]:
        import secrets

        config["SECRET_KEY"] = secrets.token_hex(32)  # sessions end when this server stops
    app = create_app(config)
    port = port if port is not None else (8443 if tls else 8000)

    local_name = "localhost" if tls else "127.0.0.1"  # the certificate's name
    base = f"{'https' if tls else 'http'}://{local_name if host in ('0.0.0.0', '::') else host}:{port}"
    mode = "demo mode" if config["DEMO_MODE"] else "credentials required"
    processes = f"gunicorn, {workers} worker{'s' if workers > 1 else ''}" if use_gunicorn else "waitress"
    click.echo(f"sendwise {version()} on {base}  ({mode}; {processes})")
    click.echo(f"  database: {_safe_url(config['DATABASE_URL'])}")
    if not analysis.engine_loaded():
        click.secho("  warning: analysis engine not loaded; /analyze answers 503", fg="yellow")
    else:
        analysis.engine().warm_up()  # the first draft must not wait for the pipelines to load
    click.echo(f"  open:     {base}/")
    click.echo(f"  health:   {base}/api/v1/health")
    click.echo(
        "  analyze:  curl -s -H 'Content-Type: application/json' "
        f"--data @examples/cold-pitch.json {base}/api/v1/analyze"
    )
    click.echo(f"  add-in:   {base}/addin/taskpane.html  (in a browser: the compose playground)")
    click.echo(f"  manifest: {base}/addin/manifest.xml  (sideload it into Outlook; see README)")
    if demo_admin:
        click.echo(f"  admin:    {base}/admin/  sign in as {demo_admin[0]} with password {demo_admin[1]}")
    elif not config["SECRET_KEY"]:
        click.echo("  admin:    off (set SECRET_KEY to sign in at /admin/)")
    if tls:
        from backend import tls as dev_tls

        if cert is None or key is None:  # neither was given (checked above)
            cert, key = (str(p) for p in dev_tls.ensure_certificate(default_clock().now()))
            click.echo(f"  certificate: {cert} (trust it once: see README, 'Use it in Outlook')")
        click.echo("Press Ctrl+C to stop.")
        dev_tls.serve(app, host, port, cert, key)
        return
    click.echo("Press Ctrl+C to stop.")
    if use_gunicorn:
        from backend import serving

        app.extensions["sendwise.db"].dispose()  # this process only supervises; each worker builds its own app
        serving.run_gunicorn(lambda: create_app(config), host, port, workers=workers, threads=config["THREADS"])
        return
    import signal

    # SIGTERM (systemd, docker stop) ends waitress like Ctrl+C does, instead of killing it mid-request.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # Keep proxy headers: waitress would strip them, and auth.is_local needs
    # them to tell a relayed outside caller from a local one.
    waitress.serve(
        app, host=host, port=port, threads=config["THREADS"], ident="sendwise", clear_untrusted_proxy_headers=False
    )


def _demo_admin(database) -> tuple[str, str]:
    """The demo organisation's administrator, with a new password at each start."""
    import secrets

    from backend.auth import DEMO_ORG_SLUG
    from backend.storage import queries, users

    password = secrets.token_urlsafe(12)
    with database.session() as session:
        demo = queries.org_by_slug(session, DEMO_ORG_SLUG)
        email = f"admin@{(demo.domains or ['example.com'])[0]}" if demo else "admin@example.com"
        if demo is not None:
            users.create(session, demo, email, "admin", password, default_clock().now())
    return email, password


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@cli.command("manifest")
@click.option(
    "--base-url", required=True, metavar="URL", help="Where the server is reached, e.g. https://sendwise.example.com"
)
@click.option(
    "--id", "addin_id", metavar="GUID", help="The add-in's Id (default: the template's; give each deployment its own)."
)
def manifest_command(base_url: str, addin_id: str | None) -> None:
    """Print the Outlook add-in manifest for a server at URL (sideload it,
    or upload it in the Microsoft 365 admin centre)."""
    from backend import manifest
    from backend.config import load_config

    config = load_config()  # SENDWISE_MS_CLIENT_ID: Office SSO's app
    text = manifest.render(
        base_url, addin_id, microsoft_client_id=config["MS_CLIENT_ID"], microsoft_audience=config["MS_AUDIENCE"]
    )
    click.echo(text, nl=False)


@cli.group()
def gmail() -> None:
    """The Gmail add-on (Google Workspace add-on on this server)."""


@gmail.command("deployment")
@click.option("--base-url", required=True, metavar="URL", help="Where Google reaches this server: https://HOST")
@click.option(
    "--output",
    "-o",
    default="deployment.json",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write; - for stdout.",
)
def gmail_deployment(base_url: str, output: str) -> None:
    """Write the deployment descriptor for `gcloud workspace-add-ons
    deployments create NAME --deployment-file=FILE`."""
    from pathlib import Path

    from gmail_addon.deployment import deployment

    try:
        descriptor = deployment(base_url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--base-url") from None
    text = json.dumps(descriptor, indent=2) + "\n"
    if output == "-":
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}; then: gcloud workspace-add-ons deployments create sendwise --deployment-file={output}")


# --- organisations, API keys, contacts -----------------------------------

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_MS_TENANT_HELP = "The Entra ID Directory (tenant) ID whose users sign in to this organisation from Outlook (a GUID)."
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@cli.group()
def org() -> None:
    """Organisations (tenants): each has its own contacts, policy, keys and sent history."""


@org.command("create")
@click.argument("slug")
@click.option(
    "--domain",
    "domains",
    multiple=True,
    required=True,
    metavar="DOMAIN",
    help="A mail domain of the organisation (repeat for several); recipients there are internal.",
)
@click.option("--postal-address", help="Postal address for commercial mail (CAN-SPAM).")
@click.option("--name", help="Display name (default: SLUG).")
@click.option(
    "--locale",
    type=click.Choice(["en", "zh-CN"]),
    default="en",
    show_default=True,
    help="Default language of findings.",
)
@click.option("--microsoft-tenant", metavar="TENANT_ID", help=_MS_TENANT_HELP)
def org_create(
    slug: str,
    domains: tuple[str, ...],
    postal_address: str | None,
    name: str | None,
    locale: str,
    microsoft_tenant: str | None,
) -> None:
    """Create organisation SLUG (migrates the database first)."""
    from backend.storage import queries
    from backend.storage.contacts import audit
    from backend.storage.migrate import upgrade

    slug = slug.strip().lower()
    if not _SLUG.match(slug):
        raise BadRequest(f"invalid slug {slug!r}: use lower-case letters, digits and '-' (at most 64)")
    clean_domains = []
    for domain in domains:
        domain = domain.strip().lower().lstrip("@")
        if not _DOMAIN.match(domain):
            raise BadRequest(f"invalid domain {domain!r}: give a mail domain such as acme-export.cn")
        if domain not in clean_domains:
            clean_domains.append(domain)
    with open_database() as database:
        upgrade(database)
        with database.session() as session:
            if queries.org_by_slug(session, slug) is not None:
                raise BadRequest(f"organisation {slug!r} already exists")
            tenant = _free_tenant(session, microsoft_tenant, slug) if microsoft_tenant is not None else None
            now = default_clock().now()
            created = queries.upsert_org(
                session,
                slug,
                now,
                name=(name or slug).strip(),
                domains=clean_domains,
                postal_address=(postal_address or "").strip() or None,
                default_locale=locale,
                policy={},
                microsoft_tenant=tenant,
            )
            details = {"domains": clean_domains, "locale": locale, "microsoft_tenant": tenant}
            audit(session, created, _cli_actor(), now, "org.create", details)
    click.echo(f"organisation '{slug}' created ({', '.join(clean_domains)}); next: sendwise apikey create --org {slug}")


@org.command("update")
@click.argument("slug")
@click.option(
    "--microsoft-tenant", metavar="TENANT_ID", help=_MS_TENANT_HELP + " An empty value removes it.", required=True
)
def org_update(slug: str, microsoft_tenant: str) -> None:
    """Change organisation SLUG's settings."""
    from backend.storage.contacts import audit
    from backend.storage.migrate import upgrade

    with open_database() as database:
        upgrade(database)
        with database.session() as session:
            organisation = _org(session, slug, database)
            tenant = _free_tenant(session, microsoft_tenant, organisation.slug) if microsoft_tenant.strip() else None
            organisation.microsoft_tenant = tenant
            shown = organisation.slug
            audit(
                session, organisation, _cli_actor(), default_clock().now(), "org.update", {"microsoft_tenant": tenant}
            )
    click.echo(f"organisation '{shown}': Microsoft tenant {tenant or 'none'}")


def _free_tenant(session, tenant: str, slug: str) -> str:
    """`tenant` as stored (lower case), if it is a tenant id no other organisation has."""
    from backend.microsoft_auth import TENANT_ID
    from backend.storage import queries

    tenant = tenant.strip().lower()
    if not TENANT_ID.match(tenant):
        raise BadRequest(f"invalid Microsoft tenant id {tenant!r}: the Directory (tenant) ID, a GUID")
    holder = queries.org_by_microsoft_tenant(session, tenant)
    if holder is not None and holder.slug != slug:
        raise BadRequest(f"Microsoft tenant {tenant} already belongs to organisation '{holder.slug}'")
    return tenant


@org.command("list")
def org_list() -> None:
    """List the organisations: slug, name, domains, default locale, contacts."""
    from sqlalchemy import func, select

    from backend.storage.models import Contact, Organisation

    with open_database() as database, database.session() as session:
        counts = dict(session.execute(select(Contact.org_id, func.count()).group_by(Contact.org_id)).all())
        orgs = session.scalars(select(Organisation).order_by(Organisation.slug)).all()
        for organisation in orgs:
            click.echo(
                f"{organisation.slug}  {organisation.name}  {', '.join(organisation.domains)}  "
                f"{organisation.default_locale}  {_count(counts.get(organisation.id, 0), 'contact')}"
            )
    if not orgs:
        click.echo("no organisations yet: create one with `sendwise org create`", err=True)


@org.group("policy")
def org_policy() -> None:
    """What an organisation's checks report and how strictly (see `sendwise schema policy`)."""


@org_policy.command("show")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
@click.option("--all", "show_all", is_flag=True, help="Every setting with its value, defaults included.")
def org_policy_show(org_slug: str, show_all: bool) -> None:
    """Print the stored policy as JSON (with --all, the effective one)."""
    from nlp import policy as P

    with open_database() as database, database.session() as session:
        stored, warnings = P.effective(_org(session, org_slug, database).policy)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(json.dumps(P.describe(stored) if show_all else stored, ensure_ascii=False, indent=2))


@org_policy.command("set")
@click.argument("settings", nargs=-1, required=True, metavar="CODE.SETTING=VALUE... | FILE.json")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
def org_policy_set(settings: tuple[str, ...], org_slug: str) -> None:
    """Change settings, e.g. `mass.bulk_bcc.severity=block
    mass.template_reuse.similarity=0.9 on_send.review=hold_once`, or replace
    the whole policy with a JSON file. An invalid setting is refused, naming
    the key and the allowed values; nothing is changed then."""
    from nlp import policy as P

    with open_database() as database, database.session() as session:
        organisation = _org(session, org_slug, database)
        if len(settings) == 1 and "=" not in settings[0]:
            try:
                with open(settings[0], encoding="utf-8") as handle:
                    wanted = json.load(handle)
            except (OSError, ValueError) as exc:
                raise BadRequest(f"cannot read {settings[0]} as a JSON policy: {exc}") from None
        else:
            wanted, _ = P.effective(organisation.policy)
            for item in settings:
                key, sep, raw = item.partition("=")
                code, _, name = key.strip().rpartition(".")
                if not sep or not code or not name:
                    raise BadRequest(f"{item!r}: expected CODE.SETTING=VALUE, e.g. mass.bulk_bcc.severity=block")
                wanted.setdefault(code, {})[name] = _setting_value(raw.strip())
        try:
            organisation.policy = P.validate(wanted)
        except P.PolicyError as exc:
            raise BadRequest(str(exc)) from None
        _audit_policy(session, organisation)
    click.echo(json.dumps(organisation.policy, ensure_ascii=False, indent=2))


@org_policy.command("reset")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
@click.argument("codes", nargs=-1, metavar="[CODE...]")
def org_policy_reset(org_slug: str, codes: tuple[str, ...]) -> None:
    """Back to the defaults: for the CODEs given, or entirely."""
    with open_database() as database, database.session() as session:
        organisation = _org(session, org_slug, database)
        policy = dict(organisation.policy or {})
        unknown = [c for c in codes if c not in policy]
        if unknown:
            raise BadRequest(f"not set in the policy of '{organisation.slug}': {', '.join(unknown)}")
        organisation.policy = {k: v for k, v in policy.items() if k not in codes} if codes else {}
        _audit_policy(session, organisation)
    click.echo(json.dumps(organisation.policy, ensure_ascii=False, indent=2))


def _setting_value(raw: str) -> Any:
    # Numbers and words as typed: 0.9 is a number, block is a word.
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _audit_policy(session, organisation) -> None:
    from backend.storage.contacts import audit

    audit(session, organisation, _cli_actor(), default_clock().now(), "org.policy", {"policy": organisation.policy})


@cli.command()
@click.argument("which", type=click.Choice(["request", "report", "policy"]))
def schema(which: str) -> None:
    """Print the JSON Schema of the analysis request, the report or the policy."""
    from nlp.contract import schemas

    click.echo(json.dumps(schemas()[which], ensure_ascii=False, indent=2))


@cli.group()
def apikey() -> None:
    """API keys for `Authorization: Bearer <key>` (stored hashed, shown once)."""


@apikey.command("create")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
@click.option("--label", help="What the key is for (shown in `apikey list`).")
def apikey_create(org_slug: str, label: str | None) -> None:
    """Create a key and print it on stdout, alone: KEY=$(sendwise apikey create --org acme)."""
    from backend.storage import apikeys
    from backend.storage.contacts import audit

    with open_database() as database, database.session() as session:
        organisation = _org(session, org_slug, database)
        now = default_clock().now()
        row, key = apikeys.create(session, organisation, now, label=label)
        audit(session, organisation, _cli_actor(), now, "apikey.create", {"prefix": row.prefix, "label": label})
    click.echo(key)
    click.echo(f"API key {row.prefix}… for '{organisation.slug}': it is shown only this once.", err=True)


@apikey.command("list")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
def apikey_list(org_slug: str) -> None:
    """List the organisation's keys: prefix, created, last used, revoked, label."""
    from backend.storage import apikeys

    def when(value) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    with open_database() as database, database.session() as session:
        keys = apikeys.for_org(session, _org(session, org_slug, database))
        for key in keys:
            click.echo(
                f"{key.prefix}…  created {when(key.created_at)}  last used {when(key.last_used_at)}  "
                f"{'revoked ' + when(key.revoked_at) if key.revoked_at else 'active'}  {key.label or ''}".rstrip()
            )


@apikey.command("revoke")
@click.argument("prefix")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
def apikey_revoke(prefix: str, org_slug: str) -> None:
    """Revoke the key starting with PREFIX (as `apikey list` shows it, or the whole key)."""
    from backend.storage import apikeys
    from backend.storage.contacts import audit

    prefix = prefix.strip().rstrip("…")
    if len(prefix) < apikeys.PREFIX_LENGTH:
        raise BadRequest(
            f"give the key's prefix as `sendwise apikey list` shows it ({apikeys.PREFIX_LENGTH} characters)"
        )
    with open_database() as database, database.session() as session:
        organisation = _org(session, org_slug, database)
        now = default_clock().now()
        revoked = apikeys.revoke(session, organisation, prefix, now)
        if not revoked:
            raise BadRequest(f"no active key {prefix}… in '{organisation.slug}'")
        for key in revoked:
            audit(session, organisation, _cli_actor(), now, "apikey.revoke", {"prefix": key.prefix})
    click.echo(f"revoked {', '.join(k.prefix + '…' for k in revoked)}")


@cli.group()
def user() -> None:
    """People who sign in to the admin page (/admin/)."""


@user.command("create")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
@click.option("--email", required=True, help="The address they sign in with.")
@click.option("--role", type=click.Choice(["admin", "viewer"]), required=True, help="admin changes, viewer looks.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def user_create(org_slug: str, email: str, role: str, password_stdin: bool) -> None:
    """Create an account (or give an existing one a new role and password).
    The password is asked for twice, or read from stdin; it is stored as
    a scrypt hash."""
    from backend.storage import users
    from backend.storage.contacts import audit
    from backend.storage.errors import InvalidValue

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_database() as database, database.session() as session:
        organisation = _org(session, org_slug, database)
        now = default_clock().now()
        try:
            row = users.create(session, organisation, email, role, password, now)
        except InvalidValue as exc:
            raise BadRequest(str(exc)) from None
        audit(session, organisation, _cli_actor(), now, "user.create", {"email": row.email, "role": role})
    click.echo(f"{row.email} can sign in to '{organisation.slug}' as {role} at /admin/")


@cli.group()
def contacts() -> None:
    """The organisation's CRM contacts: import, export, erase."""


@contacts.command("import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--org", "org_slug", required=True, metavar="SLUG")
@click.option(
    "--allow-erased",
    is_flag=True,
    help="Import addresses erased earlier (the people came back and consented again) "
    "and take them off the erased list.",
)
def contacts_import(path: str, org_slug: str, allow_erased: bool) -> None:
    """Import contacts from a CSV or XLSX file (English or Chinese headers),
    creating new ones and updating existing ones by email.

    Each rejected row is reported on stderr with its line and reason; the
    valid rows are saved all the same. Empty cells keep stored values, and
    an import never re-subscribes an unsubscribed contact. Rows with an
    address erased by `contacts erase` are rejected unless --allow-erased."""
    from pathlib import Path

    from backend import contacts_file
    from backend.services import contacts_import

    with open_database() as database, database.session() as session:
        organisation = _org(session, org_slug, database)
        table = contacts_file.read_table(path)
        columns = contacts_file.map_columns(table.headers)
        name = Path(path).name
        if columns.ignored:
            click.echo(f"{name}: ignored columns: {', '.join(columns.ignored)}", err=True)

        # A progress bar only where someone watches, and only when it is long.
        show_progress = sys.stderr.isatty() and len(table.records) > PROGRESS_MIN_ROWS
        with _progress(show_progress, len(table.records), f"checking {name}") as bar:
            checked = contacts_import.check(
                session, organisation, table, columns, allow_erased=allow_erased, progress=bar.update
            )
        for rejection in checked.rejected:
            click.echo(f"{name}:{rejection.line}: rejected: {'; '.join(rejection.reasons)}", err=True)
        with _progress(show_progress, len(checked.rows), f"saving {name}") as bar:
            result = contacts_import.run(
                session,
                organisation,
                table,
                columns,
                name=name,
                actor=_cli_actor(),
                now=default_clock().now(),
                allow_erased=allow_erased,
                checked=checked,
                progress=bar.update,
            )
    readmitted = result.readmitted
    click.echo(
        f"{name} ({table.description}): imported {result.created}, updated {result.updated}, "
        f"rejected {len(result.rejected)}"
        + (f"; {_count(readmitted, 'erased contact')} readmitted" if readmitted else "")
    )


@contacts.command("export")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="csv: the import's columns (round-trips); json: {\"contacts\": [...]} in the contract's shape, with interactions.",
)
def contacts_export(org_slug: str, fmt: str) -> None:
    """Write every contact of the organisation to stdout (GDPR access, backups, round trips).

    CSV is UTF-8 with a BOM, for Excel, and cells that would start a
    formula get an apostrophe in front, which `contacts import` removes."""
    import csv
    import io

    from backend import contacts_file
    from backend.storage.contacts import iter_contacts
    from backend.storage.context import contact_to_contract

    # UTF-8 whatever the terminal's encoding: the file is for other programs.
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    try:
        with open_database() as database, database.session() as session:
            organisation = _org(session, org_slug, database)
            if fmt == "csv":
                out.write("\ufeff")  # Excel reads a CSV without a BOM in the local code page, garbling Chinese
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(contacts_file.EXPORT_COLUMNS)
                for contact in iter_contacts(session, organisation):
                    writer.writerow(contacts_file.export_cells(contact))
            else:
                out.write('{"contacts": [')
                for i, contact in enumerate(iter_contacts(session, organisation, with_interactions=True)):
                    out.write(
                        ("," if i else "") + "\n  " + json.dumps(contact_to_contract(contact), ensure_ascii=False)
                    )
                out.write("\n]}\n")
    finally:
        out.flush()
        out.detach()  # leave sys.stdout's buffer open


@contacts.command("erase")
@click.argument("email")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
@click.option(
    "--force",
    is_flag=True,
    help="Erase an address that is not a contact: its sent messages, and keep it out of imports and syncs.",
)
def contacts_erase(email: str, org_slug: str, force: bool) -> None:
    """GDPR erasure of EMAIL in the organisation: the contact, its
    interactions and every stored sent message naming it; audited. The
    address (as a keyed hash) then keeps CRM syncs and imports from
    bringing the person back. An address that is not a contact needs
    --force: it is more often a typo than a request."""
    from sqlalchemy import select

    from backend.storage.contacts import erase
    from backend.storage.models import Contact

    address = email.strip().lower()
    if "@" not in address:
        raise BadRequest(f"{email!r} is not an email address")
    with open_database() as database, database.session() as session:
        organisation = _org(session, org_slug, database)
        known = session.scalar(
            select(Contact.id).where(Contact.org_id == organisation.id, Contact.email == address).limit(1)
        )
        if known is None and not force:
            raise BadRequest(
                f"{address} is not a contact of '{organisation.slug}': check the spelling, or erase it "
                "anyway with --force (its sent messages, and imports and syncs will skip it)"
            )
        erased = erase(session, organisation, address, _cli_actor(), default_clock().now())
    click.echo(
        f"erased {address} from '{organisation.slug}': {_count(erased.contacts, 'contact')}, "
        f"{_count(erased.interactions, 'interaction')}, {_count(erased.sent_messages, 'sent message')}; "
        "CRM syncs and imports will skip it"
    )


@cli.group()
def sent() -> None:
    """The organisation's sent-mail fingerprints."""


@sent.command("prune")
@click.option("--org", "org_slug", metavar="SLUG", help="one organisation (default: all)")
def sent_prune(org_slug: str | None) -> None:
    """Drop the band index rows of mail older than each organisation's
    template-reuse window (plus a day); fingerprints stay. Recording sent
    mail over the API does this a batch at a time; run it after an import
    of old history or on a schedule."""
    from sqlalchemy import select

    from backend.storage import sent as sent_store
    from backend.storage.models import Organisation

    with open_database() as database, database.session() as session:
        orgs = (
            [_org(session, org_slug, database)]
            if org_slug
            else session.scalars(select(Organisation).order_by(Organisation.slug)).all()
        )
        now = default_clock().now()
        for organisation in orgs:
            pruned = sent_store.prune_bands(session, organisation, now, limit=None)
            session.commit()
            click.echo(
                f"{organisation.slug}: pruned the band rows of {_count(pruned, 'message')} sent before "
                f"{organisation.bands_pruned_before:%Y-%m-%d %H:%M} UTC"
            )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


PROGRESS_MIN_ROWS = 5000


@contextmanager
def _progress(show: bool, length: int, label: str):
    """click's progress bar on stderr, or a stand-in that draws nothing."""
    if not show:
        yield _NoProgress()
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar


class _NoProgress:
    def update(self, n: int) -> None:
        pass


def _org(session, slug: str, database):
    from backend.storage import queries

    found = queries.org_by_slug(session, slug.strip().lower())
    if found is None:
        raise BadRequest(
            f"no organisation {slug!r} in {_safe_url(database.url)} (create it with `sendwise org create`)"
        )
    return found


def _cli_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


# --- helpers -------------------------------------------------------------


def read_request(source: str) -> dict[str, Any]:
    """Read FILE or stdin (`-`) and turn it into an analysis request: `.json`
    and `.eml` by extension, otherwise by content. Raises `BadRequest`."""
    from backend.adapters.eml import parse_eml
    from backend.adapters.json_request import parse_request

    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise BadRequest(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise BadRequest(f"{source} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB")

    name = source.lower()
    if name.endswith(".eml"):
        return parse_eml(data)
    if name.endswith(".json"):
        return parse_request(data, max_string=MAX_INPUT_BYTES)
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] in (b"{", b"["):
        return parse_request(data, max_string=MAX_INPUT_BYTES)
    if _HEADER_LINE.match(start):
        return parse_eml(data)
    label = "stdin" if source == "-" else source
    raise BadRequest(f"{label} is neither a JSON analysis request nor an email message (.eml)")


def _engine():
    from backend import analysis

    try:
        return analysis.engine()
    except analysis.EngineUnavailable as exc:
        raise Failure(str(exc)) from None


def _analyze_for_org(request: dict[str, Any], slug: str) -> tuple[dict[str, Any], str]:
    """The report with the organisation's stored context, and the organisation's default locale."""
    from backend import analysis

    with open_database() as database, database.session() as session:
        org = _org(session, slug, database)
        return analysis.analyze(request, now=default_clock().now(), session=session, org=org), org.default_locale


def _seed(database):
    from backend import demo as demo_data

    with database.session() as session:
        return demo_data.seed(session, default_clock().now())


def open_database() -> AbstractContextManager[Database]:
    """`backend.storage.open_database()`, imported when a command needs it:
    SQLAlchemy adds ~0.3 s to commands that never touch the database."""
    from backend.storage import open_database

    return open_database()


def _safe_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


cli.add_command(crm)
cli.add_command(mailbox)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the command, turn every error into one line."""
    from backend.errors import describe_exception

    try:
        status = cli.main(args=argv, prog_name="sendwise", standalone_mode=False)
    except BadRequest as exc:
        _fail(str(exc), 2)
    except click.exceptions.Abort:
        _fail("aborted", 1)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        _fail(exc.format_message() + hint, exc.exit_code)
    except click.ClickException as exc:  # Failure: exit 1
        _fail(exc.format_message(), exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()  # reader went away (e.g. `| head`); nothing to report
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        # Imported only now: storage loads SQLAlchemy, which most commands never need.
        from backend.storage.errors import StorageError

        if isinstance(exc, StorageError):  # database unreachable or not migrated
            _fail(str(exc), 1)
        _fail(f"internal error: {describe_exception(exc)}", 1)
    sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str, code: int) -> None:
    first_line = message.strip().splitlines()[0] if message.strip() else "error"
    click.echo(f"sendwise: error: {first_line}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
