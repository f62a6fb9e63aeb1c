"""Settings read from the environment, in one place.

| variable | default | meaning |
| --- | --- | --- |
| `DATABASE_URL` | `sqlite:///<project>/instance/sendwise.db` | SQLAlchemy URL; `postgresql+psycopg://...` for PostgreSQL |
| `SENDWISE_DEMO` | `0` | read by `sendwise serve` only (`make run` sets it): `1` is `--demo` |
| `SENDWISE_MAX_REQUEST_BYTES` | `2097152` (2 MB) | larger API requests are refused with 413 `request_too_large` |
| `SENDWISE_LOG_LEVEL` | `INFO` | level of the `sendwise` logger |
| `SENDWISE_PUBLIC_URL` | the request's own scheme and host | the server's address as Outlook reaches it (behind a proxy): base of the served manifest and add-in |
| `SENDWISE_ADDIN_ORIGINS` | none | further origins (comma-separated) allowed to call /api/ from a browser, for an add-in hosted elsewhere |
| `SENDWISE_GMAIL_AUDIENCE` | none | the audience of Google's tokens for the Gmail add-on: the base URL given to `sendwise gmail deployment` (a token for that URL plus the endpoint's path is accepted too) |
| `SENDWISE_GMAIL_SERVICE_ACCOUNT` | none | the add-on's service account (`gcloud workspace-add-ons get-authorization`), the only caller accepted |
| `SENDWISE_GMAIL_CLIENT_ID` | none | the add-on's OAuth client id (same command): the audience of the user's ID token |
| `SENDWISE_GOOGLE_CERTS_URL` | Google's | where Google's token-signing certificates are fetched |
| `SENDWISE_MS_CLIENT_ID` | none | the Entra app registration's client id; without it Microsoft tokens are refused |
| `SENDWISE_MS_CLIENT_SECRET` | none | its client secret, for the Graph on-behalf-of exchange and `sendwise mailbox backfill` |
| `SENDWISE_MS_AUDIENCE` | `api://<client id>` | the API's app ID URI, the audience of the add-in's access tokens (the client id is accepted too) |
| `SENDWISE_MS_OPENID_CONFIG_URL` | the multi-tenant v2.0 metadata | OpenID metadata whose `issuer` template (`{tenantid}`) and keys tokens are checked against |
| `SENDWISE_MS_GRAPH_URL` | `https://graph.microsoft.com/v1.0` | Microsoft Graph, for the Sent Items backfill (another cloud, or a test stand-in) |
| `SENDWISE_MS_AUTHORITY_HOST` | `https://login.microsoftonline.com` | where msal gets Graph tokens (`<host>/<tenant>`) |
| `SENDWISE_GOOGLE_SERVICE_ACCOUNT_FILE` | none | JSON key of a service account with domain-wide delegation of gmail.readonly, for `sendwise mailbox backfill --google` |
| `SENDWISE_GMAIL_API_URL` | `https://gmail.googleapis.com` | the Gmail API, for that backfill (a test stand-in) |
| `SECRET_KEY` | none (`sendwise serve --demo` makes one up) | signs the admin page's session cookie; without it the admin page is off |
| `SENDWISE_COOKIE_SECURE` | `1` | `0` lets the admin session cookie travel over plain http (only for a server on this machine) |
| `SENDWISE_OIDC_MICROSOFT_CLIENT_ID`, `..._CLIENT_SECRET` | none | "Sign in with Microsoft" on the admin page (an Entra app registration with the redirect URI `<server>/admin/sign-in/microsoft/callback`) |
| `SENDWISE_OIDC_MICROSOFT_METADATA_URL` | work and school accounts, any tenant | the OpenID metadata; a tenant's own (`https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration`) admits only that tenant |
| `SENDWISE_OIDC_GOOGLE_CLIENT_ID`, `..._CLIENT_SECRET`, `..._METADATA_URL` | none; Google's metadata | "Sign in with Google" (a Google Cloud OAuth client of type web application, redirect URI `<server>/admin/sign-in/google/callback`) |
| `SENDWISE_WORKERS` | `1` | read by `sendwise serve` only: worker processes; more than 1 runs gunicorn |
| `SENDWISE_SERVER` | `auto` | read by `sendwise serve` only: `waitress`, `gunicorn`, or `auto` (gunicorn when several workers) |
| `SENDWISE_THREADS` | `4` | threads per worker process |
| `SENDWISE_RATE_LIMIT_ORG` | `30000/minute` | API requests per organisation (all its keys and users together); 429 with `Retry-After` above it; `off` for none |
| `SENDWISE_RATE_LIMIT_KEY` | `3000/minute` | API requests per API key; `off` for none |
| `SENDWISE_RATE_LIMIT_STORAGE` | `database` | where the counts live: `database` (PostgreSQL: shared by all workers and hosts, each process writing its counts in batches of at most 1 % of a limit and half a second; SQLite: per process), `memory://` (one process), or a limits URI such as `redis://host:6379` |
| `SENDWISE_MAX_JSON_STRING` | `1048576` | longest string (characters) in a JSON request; longer is 400 `invalid_json` |
| `SENDWISE_METRICS_TOKEN` | none | bearer token that unlocks Prometheus metrics at `/metrics`; without it `/metrics` is 404 |
| `PROMETHEUS_MULTIPROC_DIR` | a new temporary folder | with several workers: where they keep their metrics (emptied at start) |
| `SENDWISE_TRUSTED_PROXIES` | `0` | reverse proxies in front of the server whose `X-Forwarded-For/-Proto/-Host/-Port/-Prefix` are believed (ProxyFix); 0 believes none |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'sendwise.db'}"
DEFAULT_MAX_REQUEST_BYTES = 2 * 1024 * 1024

_TRUE = {"1", "true", "yes", "on"}
OIDC_METADATA = {
    "microsoft": "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
    "google": "https://accounts.google.com/.well-known/openid-configuration",
}


def demo_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `SENDWISE_DEMO` asks `sendwise serve` for demo mode."""
    env = os.environ if environ is None else environ
    return env.get("SENDWISE_DEMO", "0").strip().lower() in _TRUE


def load_config(environ: Mapping[str, str] | None = None) -> dict:
    """Flask-style config keys from `environ` (default: `os.environ`).

    Raises `ValueError` with the variable's name when a value is malformed,
    so a typo stops start-up instead of silently using a default.
    """
    env = os.environ if environ is None else environ
    raw_max = env.get("SENDWISE_MAX_REQUEST_BYTES", str(DEFAULT_MAX_REQUEST_BYTES))
    try:
        max_bytes = int(raw_max)
    except ValueError:
        raise ValueError(f"SENDWISE_MAX_REQUEST_BYTES must be a number of bytes, got {raw_max!r}") from None
    return {
        "RATE_LIMIT_ORG": _limit(env, "SENDWISE_RATE_LIMIT_ORG", "30000/minute"),
        "RATE_LIMIT_KEY": _limit(env, "SENDWISE_RATE_LIMIT_KEY", "3000/minute"),
        "RATE_LIMIT_STORAGE": env.get("SENDWISE_RATE_LIMIT_STORAGE", "").strip() or "database",
        "MAX_JSON_STRING": _count(env, "SENDWISE_MAX_JSON_STRING", 1024 * 1024, 1, 1 << 30),
        "METRICS_TOKEN": (env.get("SENDWISE_METRICS_TOKEN") or "").strip() or None,
        "TRUSTED_PROXIES": _count(env, "SENDWISE_TRUSTED_PROXIES", 0, 0, 10),
        "THREADS": _count(env, "SENDWISE_THREADS", 4, 1, 64),
        "DATABASE_URL": env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        # Never from the environment: an app built by another WSGI server
        # with a stray SENDWISE_DEMO=1 would serve the demo organisation.
        "DEMO_MODE": False,
        "MAX_REQUEST_BYTES": max_bytes,
        "LOG_LEVEL": env.get("SENDWISE_LOG_LEVEL", "INFO").upper(),
        "PUBLIC_URL": (env.get("SENDWISE_PUBLIC_URL") or "").strip().rstrip("/") or None,
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "COOKIE_SECURE": env.get("SENDWISE_COOKIE_SECURE", "1").strip().lower() in _TRUE,
        "ADDIN_ORIGINS": [o.strip().rstrip("/") for o in env.get("SENDWISE_ADDIN_ORIGINS", "").split(",") if o.strip()],
        "GMAIL_AUDIENCE": (env.get("SENDWISE_GMAIL_AUDIENCE") or "").strip().rstrip("/") or None,
        "GMAIL_SERVICE_ACCOUNT": (env.get("SENDWISE_GMAIL_SERVICE_ACCOUNT") or "").strip().lower() or None,
        "GMAIL_CLIENT_ID": (env.get("SENDWISE_GMAIL_CLIENT_ID") or "").strip() or None,
        "MS_CLIENT_ID": (env.get("SENDWISE_MS_CLIENT_ID") or "").strip() or None,
        "MS_CLIENT_SECRET": env.get("SENDWISE_MS_CLIENT_SECRET") or None,
        "MS_AUDIENCE": (env.get("SENDWISE_MS_AUDIENCE") or "").strip() or None,
        "MS_OPENID_CONFIG_URL": (env.get("SENDWISE_MS_OPENID_CONFIG_URL") or "").strip()
        or "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
        "MS_GRAPH_URL": (env.get("SENDWISE_MS_GRAPH_URL") or "").strip().rstrip("/") or None,
        "MS_AUTHORITY_HOST": (env.get("SENDWISE_MS_AUTHORITY_HOST") or "").strip().rstrip("/") or None,
        "GOOGLE_SERVICE_ACCOUNT_FILE": (env.get("SENDWISE_GOOGLE_SERVICE_ACCOUNT_FILE") or "").strip() or None,
        "GMAIL_API_URL": (env.get("SENDWISE_GMAIL_API_URL") or "").strip().rstrip("/") or None,
        "GOOGLE_CERTS_URL": (env.get("SENDWISE_GOOGLE_CERTS_URL") or "").strip()
        or "https://www.googleapis.com/oauth2/v1/certs",
        "OIDC": _oidc(env),
    }


def _oidc(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The admin page's sign-in providers that are configured:
    {name: {client_id, client_secret, metadata_url}}."""
    out = {}
    for name, default_url in OIDC_METADATA.items():
        prefix = f"SENDWISE_OIDC_{name.upper()}_"
        client_id = (env.get(prefix + "CLIENT_ID") or "").strip()
        if not client_id:
            continue
        secret = (env.get(prefix + "CLIENT_SECRET") or "").strip()
        if not secret:
            raise ValueError(f"{prefix}CLIENT_SECRET must be set with {prefix}CLIENT_ID")
        url = (env.get(prefix + "METADATA_URL") or "").strip() or default_url
        out[name] = {"client_id": client_id, "client_secret": secret, "metadata_url": url}
    return out


def _count(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _limit(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse_many

    value = env.get(name, "").strip().lower() or default
    if value == "off":
        return value
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(f"{name} must be a limit such as '600/minute' or 'off', got {value!r}") from None
    return value
