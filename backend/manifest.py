"""The Outlook add-in's manifest, written from the one template at the
repository root (manifest.xml) for a deployment's base URL and Id, and,
with an Entra app registration, the `WebApplicationInfo` that Office SSO
needs (nested app authentication needs nothing in the manifest)."""

from __future__ import annotations

import ipaddress
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from backend.config import PROJECT_ROOT
from backend.errors import BadRequest

TEMPLATE = PROJECT_ROOT / "manifest.xml"
# What the template is written for: `sendwise serve --tls` on this machine.
TEMPLATE_BASE = "https://localhost:8443"
_ID = re.compile(r"<Id>([0-9a-fA-F-]{36})</Id>")


def template_id(template: Path = TEMPLATE) -> str:
    found = _ID.search(template.read_text(encoding="utf-8"))
    assert found, "manifest template without <Id>"
    return found.group(1)


def render(
    base_url: str,
    addin_id: str | None = None,
    *,
    template: Path = TEMPLATE,
    microsoft_client_id: str | None = None,
    microsoft_audience: str | None = None,
) -> str:
    """The manifest for an add-in served from `base_url` (scheme and host,
    optionally a port and a path prefix), with `addin_id` instead of the
    template's Id. Raises `BadRequest` for a base URL Outlook would refuse:
    Office loads add-ins over HTTPS only, so plain http is accepted for
    this machine alone (the playground, tests). With `microsoft_client_id`
    the manifest names the app Office SSO asks a token for: its resource is
    `microsoft_audience`, else `api://<add-in host>/<client id>` (Office
    wants the add-in's own host in it)."""
    base = normalise_base(base_url)
    text = template.read_text(encoding="utf-8")
    text = text.replace(TEMPLATE_BASE, base)
    if addin_id is not None:
        text = _ID.sub(f"<Id>{normalise_id(addin_id)}</Id>", text, count=1)
    if microsoft_client_id:
        try:
            client = str(uuid.UUID(microsoft_client_id.strip()))
        except ValueError:
            raise BadRequest("SENDWISE_MS_CLIENT_ID must be the app's Application (client) ID, a GUID") from None
        resource = microsoft_audience or f"api://{urlsplit(base).netloc}/{client}"
        if any(c in resource for c in "<>&\"'"):
            raise BadRequest("SENDWISE_MS_AUDIENCE contains characters that do not belong in a URI")
        info = (
            "      <WebApplicationInfo>\n"
            f"        <Id>{client}</Id>\n"
            f"        <Resource>{resource}</Resource>\n"
            "        <Scopes>\n          <Scope>openid</Scope>\n          <Scope>profile</Scope>\n        </Scopes>\n"
            "      </WebApplicationInfo>\n"
        )
        # Right after the 1.1 block's Resources, where its schema puts it.
        head, sep, tail = text.rpartition("      </Resources>\n")
        assert sep, "manifest template without the 1.1 block's Resources"
        text = head + sep + info + tail
    return text


def normalise_base(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise BadRequest(f"--base-url must be an absolute https:// URL, got {base_url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise BadRequest("--base-url takes scheme, host, port and path only")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise BadRequest("Outlook loads add-ins over HTTPS only: use an https:// base URL")
    if any(c in base_url for c in "<>&\"'"):
        raise BadRequest("--base-url contains characters that do not belong in a URL")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def normalise_id(value: str) -> str:
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise BadRequest(f"--id must be a GUID such as {uuid.uuid4()}, got {value!r}") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
