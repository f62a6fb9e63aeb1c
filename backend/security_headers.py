"""Security headers on every answer, and a Content-Security-Policy on HTML.

- Every response: `X-Content-Type-Options: nosniff` and
  `Referrer-Policy: strict-origin-when-cross-origin` (addresses in our
  URLs, e.g. /api/v1/contacts/<email>, never leave in a Referer).
- The Outlook task pane and its pages (/addin/): Outlook on the web shows
  them in a frame, so `frame-ancestors` lists this server and Microsoft's
  Outlook and Office hosts, nobody else. Scripts stay as loose as Office
  needs (office.js comes from appsforoffice.microsoft.com and pulls in its
  own parts); the pane's protection here is against framing, plugins and
  a foreign `<base>`.
- The admin page and everything else in HTML: only this server's own
  scripts, styles, images and forms, no framing at all
  (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for old browsers).

A view that sets its own Content-Security-Policy keeps it.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, Response, request

# Where Outlook frames an add-in's pages (Outlook on the web, Microsoft 365
# and Outlook.com) and the Office web hosts; desktop Outlook shows the pane
# as a top-level page, where frame-ancestors does not apply.
OFFICE_FRAME_ANCESTORS = (
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://outlook.live.com",
    "https://outlook.cloud.microsoft",
    "https://*.outlook.com",
    "https://*.office.com",
    "https://*.officeapps.live.com",
)

ADDIN_POLICY = "; ".join(
    [
        f"frame-ancestors 'self' {' '.join(OFFICE_FRAME_ANCESTORS)}",
        "object-src 'none'",
        "base-uri 'self'",
    ]
)


def strict_policy(*inline_styles: str) -> str:
    """Own origin only, no framing; `inline_styles` are `<style>` contents
    allowed by their hashes."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline_styles
    )
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' {hashes}".rstrip(),
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def init_app(app: Flask, *, home_styles: tuple[str, ...] = ()) -> None:
    page_policy = strict_policy(*home_styles)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if response.mimetype != "text/html" or "Content-Security-Policy" in response.headers:
            return response
        if request.path.startswith("/addin/"):
            response.headers["Content-Security-Policy"] = ADDIN_POLICY
        else:
            response.headers["Content-Security-Policy"] = page_policy
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response
