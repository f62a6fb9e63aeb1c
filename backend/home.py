"""`GET /`: the address `make run` prints. A small page that says what is
running and where to go next, instead of a bare 404."""

from __future__ import annotations

from html import escape

from flask import Blueprint, Response, current_app, request

bp = Blueprint("home", __name__)

# Allowed by its hash in the page's Content-Security-Policy (backend/security_headers.py).
STYLE = "body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}code{background:#f3f3f3;padding:0 .2em}"
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sendwise</title>
<style>{style}</style>
</head>
<body>
<h1>sendwise {version}</h1>
<p>The sendwise API is running here, {mode}.</p>
<ul>
<li><a href="/addin/taskpane.html">Playground</a>: write a draft and see what sendwise flags.</li>
<li><a href="/api/v1/health">Health</a> (JSON): version, database and engine.</li>
<li>Analyse a draft: <code>POST /api/v1/analyze</code>, e.g.
<code>curl -s -H 'Content-Type: application/json' --data @examples/cold-pitch.json {base}api/v1/analyze</code></li>
</ul>
</body>
</html>
"""


@bp.get("/")
def home() -> Response:
    from backend import version

    if current_app.config["DEMO_MODE"]:
        mode = "in demo mode: calls from this machine without credentials act as the demo organisation"
    else:
        mode = "and every call except health needs an API key (<code>sendwise apikey create</code>)"
    page = PAGE.format(style=STYLE, version=escape(version()), mode=mode, base=escape(request.host_url))
    return Response(page, mimetype="text/html")
