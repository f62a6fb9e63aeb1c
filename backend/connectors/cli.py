"""`sendwise crm …`: sync an organisation's contacts from a CRM, and show
how the last sync went. Registered in backend/cli.py.

Exit codes follow backend/cli.py: 0 done; 2 with one line
`sendwise: error: <reason>` when the CRM cannot be read (missing token,
refused token, CRM unreachable, time-out, rate limit, server error), the
organisation does not exist, or another sync of the same CRM into the
organisation is running; 1 for anything else (database down).
"""

from __future__ import annotations

import os
import re

import click

from backend.connectors import hubspot  # constants only: the SDK is imported when a sync starts
from backend.errors import BadRequest

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SyncFailed(click.ClickException):
    """The CRM could not be read: exit 2, one line."""

    exit_code = 2


@click.group()
def crm() -> None:
    """CRM connectors: copy contacts from a CRM into an organisation.

    Analysis reads the copied contacts from the database, so a CRM that is
    down never stops it; the report's `crm` key says whether the copy is
    current."""


@crm.group()
def sync() -> None:
    """Copy contacts from a CRM into an organisation (upsert by email)."""


@sync.command("hubspot")
@click.option("--org", "org_slug", required=True, metavar="SLUG", help="The organisation to store contacts in.")
@click.option(
    "--token-env",
    required=True,
    metavar="VAR",
    help="Name of the environment variable that holds the HubSpot private-app token "
    "(scopes crm.objects.contacts.read, crm.objects.companies.read).",
)
@click.option(
    "--base-url",
    envvar=hubspot.BASE_URL_ENV,
    default=hubspot.DEFAULT_BASE_URL,
    show_default=True,
    metavar="URL",
    help=f"HubSpot API host (env {hubspot.BASE_URL_ENV}); plain http only to this machine.",
)
@click.option(
    "--timeout",
    default=hubspot.DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0.1, max=600),
    metavar="SECONDS",
    help="Give up on a connection or an answer after this long.",
)
@click.option("--full", is_flag=True, help="Read every contact, not only those modified since the last good sync.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
def sync_hubspot(org_slug: str, token_env: str, base_url: str, timeout: float, full: bool, quiet: bool) -> None:
    """Copy contacts from HubSpot into organisation SLUG.

    Reads the contacts with their company, country, job title, industry,
    lifecycle stage, email opt-out, legal basis and last activity dates,
    page by page (progress on stderr), and prints one summary line: every
    contact the first time and with --full, afterwards those modified since
    the last good sync. Addresses erased with `sendwise contacts erase` are
    skipped. Each page is committed as it arrives; the outcome (time,
    error) is recorded for the report's `crm` key and `sendwise crm
    status`. Only one sync per organisation runs at a time. The token is
    read from the environment variable VAR and never printed or stored."""
    from backend.clock import default_clock
    from backend.connectors.base import ConnectorError
    from backend.connectors.hubspot import SOURCE, HubSpotConnector
    from backend.connectors.sync import sync_contacts

    def progress(line: str) -> None:
        if not quiet:
            click.echo(line, err=True)

    def connect() -> HubSpotConnector:
        if not _ENV_NAME.fullmatch(token_env):
            # Most likely the token itself: never echo it (it would be printed and stored).
            raise ConnectorError(
                "--token-env takes the name of an environment variable that holds the token, not the token itself",
                "config",
            )
        label = f"${token_env}"
        token = os.environ.get(token_env)
        if token is None:
            raise ConnectorError(
                f"environment variable {token_env} is not set (it should hold the HubSpot token)", "config"
            )
        return HubSpotConnector(
            token,
            token_label=label,
            base_url=base_url,
            timeout=timeout,
            progress=lambda line: progress(f"{SOURCE}: {line}"),
        )

    with _database() as database:
        with database.session() as session:
            slug = _org(session, org_slug, database).slug  # as every --org: trimmed, any case
        try:
            result = sync_contacts(database, slug, SOURCE, connect, clock=default_clock(), full=full, progress=progress)
        except ConnectorError as exc:
            # "busy": refused before it began, so nothing failed.
            raise SyncFailed(str(exc) if exc.kind == "busy" else f"hubspot sync failed: {exc}") from None
        except BadRequest as exc:
            raise BadRequest(f"{exc} (create it with `sendwise org create`)") from None
    click.echo(result.summary())


@crm.command("status")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
def status(org_slug: str) -> None:
    """How the organisation's CRM syncs went: one line per CRM."""
    from backend.connectors.status import describe
    from backend.storage import queries

    with _database() as database, database.session() as session:
        org = _org(session, org_slug, database)
        rows = queries.crm_syncs(session, org)
        if not rows:
            click.echo(f"{org_slug}: no CRM connector (run `sendwise crm sync hubspot --org {org_slug} …`)")
        for row in rows:
            state = describe(row)
            stats = row.stats or {}
            counts = ", ".join(f"{stats[k]} {k}" for k in ("fetched", "created", "updated", "unchanged") if k in stats)
            detail = state.get("message") or f"synced at {state['synced_at']}"
            click.echo(f"{row.source}: {state['status']}: {detail}" + (f" ({counts})" if counts else ""))


def _org(session, slug: str, database):
    # The one --org resolver (backend.cli registers this group, so imported when used).
    from backend.cli import _org

    return _org(session, slug, database)


def _database():
    # Imported when a command runs: storage loads SQLAlchemy.
    from backend.storage import open_database

    return open_database()
