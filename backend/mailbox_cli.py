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
from typing import TextIO

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
    required=True,
    help="From Microsoft 365 through Graph, with the app's Mail.Read application permission "
    "(SENDWISE_MS_CLIENT_ID, SENDWISE_MS_CLIENT_SECRET).",
)
@click.option("--mailbox", "only", metavar="EMAIL", help="Only this mailbox, not every mailbox of the tenant.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def backfill_command(org_slug: str, microsoft: bool, only: str | None, quiet: bool) -> None:
    """Read the Sent Items of the last 90 days of each mailbox of organisation
    SLUG's Microsoft tenant: each message's fingerprint, recipients and time,
    and an interaction for each recipient who is a contact, as if the add-in
    had reported it when it was sent. Idempotent per message, and resumable:
    a second run reads only what was sent since the first."""
    from backend import backfill
    from backend.clock import default_clock
    from backend.config import load_config
    from backend.storage import open_database
    from backend.storage.migrate import upgrade

    clock = default_clock()
    with open_database() as database:
        upgrade(database)
        with database.session() as session:
            from backend.cli import _org

            org = _org(session, org_slug, database)
            org_id, slug, tenant = org.id, org.slug, org.microsoft_tenant
        if not tenant:
            raise BackfillFailed(f"'{slug}' has no Microsoft tenant: sendwise org update {slug} --microsoft-tenant ID")
        settings = backfill.Settings.from_config(load_config())
        if settings is None:
            raise BackfillFailed("set SENDWISE_MS_CLIENT_ID and SENDWISE_MS_CLIENT_SECRET (the Entra app registration)")
        http = backfill.http_session()
        try:
            client = backfill.confidential_client(settings, tenant, http)
            graph = backfill.Graph(settings.graph_url, backfill.application_token(client), http)
            mailboxes = [only.strip().lower()] if only else list(graph.users())
            seen = recorded = 0
            stream: TextIO = io.StringIO() if quiet else sys.stderr
            with click.progressbar(
                mailboxes,
                label=f"{slug}: {len(mailboxes)} mailbox(es)",
                file=stream,
                show_pos=True,
            ) as bar:

                def on_page(outcome: backfill.Outcome) -> None:
                    # A mailbox can hold thousands of messages: say how far it got.
                    bar.label = f"{outcome.mailbox}: {outcome.seen} read"
                    bar.render_progress()

                for address in bar:
                    outcome = backfill.backfill_mailbox(database, org_id, address, graph, clock.now(), on_page=on_page)
                    seen, recorded = seen + outcome.seen, recorded + outcome.recorded
        except backfill.BackfillError as exc:
            raise BackfillFailed(f"backfill stopped: {exc} (run it again to resume)") from None
        finally:
            http.close()
    click.echo(f"{slug}: {len(mailboxes)} mailbox(es), {seen} sent message(s) read, {recorded} new")
