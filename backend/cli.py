"""The `sendwise` command line.

Exit codes: 0 success (also when the draft has findings); 2 invalid input or
usage, with one line `sendwise: error: <reason>` on stderr; 1 anything else
(engine missing, database down), also as one line.
"""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from backend.errors import BadRequest

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
    try:
        if org_slug:
            report = _analyze_for_org(request, org_slug)
        else:
            report = analysis.analyze(request)
    except analysis.EngineUnavailable as exc:
        raise Failure(str(exc)) from None

    if as_json or not sys.stdout.isatty():
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        from backend.terminal import render

        click.echo(render(report))


@cli.command()
@click.argument("code")
@click.option("--locale", default="en", show_default=True, help="en or zh-CN.")
def explain(code: str, locale: str) -> None:
    """Explain a finding code: what it flags, why it matters, what to do instead."""
    try:
        doc = _engine().explain(code, locale)
    except KeyError:
        raise BadRequest(f"unknown code {code!r}; run `sendwise codes` to list them") from None
    click.echo(f"{click.style(doc['code'], bold=True)} — {doc['title']}  (default severity: {doc['severity']})")
    for heading, key in (("What it flags", "what"), ("Why it matters", "why"), ("Instead", "instead")):
        click.echo(f"\n{click.style(heading, bold=True)}\n  {doc[key]}")


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

    with _open_database() as database:
        upgrade(database)
        click.echo(f"database {_safe_url(database.url)} at revision {current_revision(database)}")


@cli.group()
def demo() -> None:
    """The demo organisation."""


@demo.command("seed")
def demo_seed() -> None:
    """Create or refresh the demo organisation (idempotent; migrates first)."""
    from backend.storage.migrate import upgrade

    with _open_database() as database:
        upgrade(database)
        org = _seed(database)
        click.echo(f"demo organisation '{org.slug}' ({org.name}) ready in {_safe_url(database.url)}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--demo/--no-demo", "demo_mode", default=None,
              help="Loopback callers act as the demo organisation (default: SENDWISE_DEMO).")
def serve(host: str, port: int, demo_mode: bool | None) -> None:
    """Migrate the database, seed the demo organisation in demo mode, and serve the API."""
    import waitress

    from backend import analysis, create_app, version
    from backend.config import load_config
    from backend.storage.migrate import upgrade

    config = load_config()
    if demo_mode is not None:
        config["DEMO_MODE"] = demo_mode
    with _open_database() as database:
        upgrade(database)
        if config["DEMO_MODE"]:
            _seed(database)
    app = create_app(config)

    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    click.echo(f"sendwise {version()} on {base}  ({'demo mode' if config['DEMO_MODE'] else 'credentials required'})")
    click.echo(f"  database: {_safe_url(config['DATABASE_URL'])}")
    if not analysis.engine_loaded():
        click.secho("  warning: analysis engine not loaded; /analyze answers 503", fg="yellow")
    click.echo(f"  health:   {base}/api/v1/health")
    click.echo("  analyze:  curl -s -H 'Content-Type: application/json' "
               f"--data @examples/cold-pitch.json {base}/api/v1/analyze")
    click.echo("Press Ctrl+C to stop.")
    # Keep proxy headers: waitress would strip them, and auth.is_local needs
    # them to tell a relayed outside caller from a local one.
    waitress.serve(app, host=host, port=port, threads=4, ident="sendwise", clear_untrusted_proxy_headers=False)


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
        return parse_request(data)
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] in (b"{", b"["):
        return parse_request(data)
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


def _analyze_for_org(request: dict[str, Any], slug: str) -> dict[str, Any]:
    from backend import analysis
    from backend.storage import queries

    with _open_database() as database, database.session() as session:
        org = queries.org_by_slug(session, slug)
        if org is None:
            raise BadRequest(f"no organisation {slug!r} in {_safe_url(database.url)} (try `sendwise demo seed`)")
        return analysis.analyze(request, session=session, org=org)


def _seed(database):
    from backend import demo as demo_data

    with database.session() as session:
        return demo_data.seed(session)


@contextmanager
def _open_database() -> Iterator[Database]:
    """The configured database; connection problems become one-line failures."""
    from sqlalchemy.exc import OperationalError

    from backend.config import load_config
    from backend.storage import Database

    try:
        database = Database(load_config()["DATABASE_URL"])
    except Exception as exc:  # noqa: BLE001 - bad URL, missing driver
        raise Failure(f"cannot open database: {exc}") from None
    try:
        yield database
    except OperationalError as exc:
        raise Failure(f"database error: {exc.orig}") from None
    finally:
        database.dispose()


def _safe_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


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
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        _fail(f"internal error: {describe_exception(exc)}", 1)
    sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str, code: int) -> None:
    first_line = message.strip().splitlines()[0] if message.strip() else "error"
    click.echo(f"sendwise: error: {first_line}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
