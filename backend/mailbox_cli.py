"""`sendwise mailbox backfill`: read the Sent Items of every mailbox of an
organisation's Microsoft tenant (the last 90 days) into fingerprints, with
the Mail.Read application permission. Registered in backend/cli.py.

Exit codes follow backend/cli.py: 0 done; 2 with one line `sendwise: error:
<reason>` when the organisation has no tenant, the app is not configured,
or Microsoft refuses or cannot be reached; 1 for anything else.
"""

from __future__ import annotations

import io
import sys
from typing import Any, TextIO

import click


class BackfillFailed(click.ClickException):
    exit_code = 2


@click.group()
def mailbox() -> None:
    """The organisation's own sent mail, read into fingerprints (never kept as text)."""


@mailbox.command("backfill")
@click.option("--org", "org_slug", required=True, metavar="SLUG")
@click.option(
    "--microsoft",
    is_flag=True,
    help="From Microsoft 365 through Graph, with the app's Mail.Read application permission "
    "(SENDWISE_MS_CLIENT_ID, SENDWISE_MS_CLIENT_SECRET); every mailbox of the organisation's tenant.",
)
@click.option(
    "--google",
    is_flag=True,
    help="From Google Workspace through the Gmail API, with a service account and domain-wide delegation "
    "of gmail.readonly (SENDWISE_GOOGLE_SERVICE_ACCOUNT_FILE); the organisation's users, or --mailbox.",
)
@click.option("--mailbox", "only", multiple=True, metavar="EMAIL", help="Only this mailbox (repeat for several).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def backfill_command(org_slug: str, microsoft: bool, google: bool, only: tuple[str, ...], quiet: bool) -> None:
    """Read the sent mail of the last 90 days of organisation SLUG's
    mailboxes: each message's fingerprint, recipients and time, and an
    interaction for each recipient who is a contact, as if the add-in had
    reported it when it was sent; nothing of the text is kept. Idempotent
    per message, and resumable: a second run reads only what was sent since
    the first."""
    from backend import backfill
    from backend.clock import default_clock
    from backend.storage import open_database
    from backend.storage.migrate import upgrade

    if microsoft == google:
        raise click.UsageError("say where the mail is: --microsoft or --google")
    clock = default_clock()
    with open_database() as database:
        upgrade(database)
        with database.session() as session:
            from backend.cli import _org
            from backend.storage import users

            org = _org(session, org_slug, database)
            org_id, slug, tenant = org.id, org.slug, org.microsoft_tenant
            members = [u.email for u in users.for_org(session, org)]
        wanted = [m.strip().lower() for m in only if m.strip()]
        try:
            if microsoft:
                sources = _microsoft(slug, tenant, wanted)
            else:
                sources = _google(wanted or members, slug)
            seen = recorded = count = 0
            stream: TextIO = io.StringIO() if quiet else sys.stderr
            with click.progressbar(sources, label=slug, file=stream) as bar:

                def on_page(outcome: backfill.Outcome) -> None:
                    # A mailbox can hold thousands of messages: say how far it got.
                    bar.label = f"{outcome.mailbox}: {outcome.seen} read"
                    bar.render_progress()

                for address, source in bar:
                    outcome = backfill.backfill_mailbox(database, org_id, address, source, clock.now(), on_page=on_page)
                    seen, recorded, count = seen + outcome.seen, recorded + outcome.recorded, count + 1
        except backfill.BackfillError as exc:
            raise BackfillFailed(f"backfill stopped: {exc} (run it again to resume)") from None
    click.echo(f"{slug}: {count} mailbox(es), {seen} sent message(s) read, {recorded} new")


def _microsoft(slug: str, tenant: str | None, wanted: list[str]) -> list[tuple[str, Any]]:
    from backend import backfill
    from backend.config import load_config

    if not tenant:
        raise BackfillFailed(f"'{slug}' has no Microsoft tenant: sendwise org update {slug} --microsoft-tenant ID")
    settings = backfill.Settings.from_config(load_config())
    if settings is None:
        raise BackfillFailed("set SENDWISE_MS_CLIENT_ID and SENDWISE_MS_CLIENT_SECRET (the Entra app registration)")
    http = backfill.http_session()
    client = backfill.confidential_client(settings, tenant, http)
    graph = backfill.Graph(settings.graph_url, backfill.application_token(client), http)
    return [(address, graph) for address in (wanted or list(graph.users()))]


def _google(mailboxes: list[str], slug: str) -> list[tuple[str, Any]]:
    from backend import gmail_backfill
    from backend.config import load_config

    config = load_config()
    path = config["GOOGLE_SERVICE_ACCOUNT_FILE"]
    if not path:
        raise BackfillFailed("set SENDWISE_GOOGLE_SERVICE_ACCOUNT_FILE to the service account's JSON key file")
    if not mailboxes:
        raise BackfillFailed(f"'{slug}' has no users yet: name the mailboxes with --mailbox")
    info = gmail_backfill.service_account_info(path)
    base = config["GMAIL_API_URL"] or gmail_backfill.GMAIL_URL
    return [(address, gmail_backfill.Gmail(info, address, base)) for address in mailboxes]
