"""The API's own reference: the OpenAPI document (backend/openapi.py) as
JSON, and the same rendered as a page here, without any CDN or script,
so it reads the same on a server with no Internet access. Public, like
/api/v1/codes: it describes the product, not anyone's data."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, jsonify, render_template_string
from markupsafe import Markup, escape

from backend import openapi, version
from backend.api import bp

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sendwise API {{ doc.info.version }}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
code,pre{font:13px/1.4 ui-monospace,monospace;background:#f4f4f4}
pre{padding:.6em;overflow:auto;max-height:30em}
.op{border-top:1px solid #ddd;padding:.5em 0}
.m{display:inline-block;min-width:4em;font-weight:bold;text-transform:uppercase}
.auth{color:#666;font-size:90%}
table{border-collapse:collapse}td,th{padding:.15em .6em;text-align:left;vertical-align:top}
</style>
</head>
<body>
<h1>{{ doc.info.title }} {{ doc.info.version }}</h1>
<p>{{ doc.info.summary }} {{ code(doc.info.description) }}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI {{ doc.openapi }}).</p>
<h2>Authentication</h2>
<ul>{% for name, scheme in doc.components.securitySchemes.items() %}
<li><code>{{ name }}</code>: <code>Authorization: Bearer …</code>, {{ code(scheme.bearerFormat) }}. {{ code(scheme.description) }}</li>
{% endfor %}</ul>
{% for tag in doc.tags %}
<h2>{{ tag.name }}</h2>
{% for op in ops if op.tags[0] == tag.name %}
<div class="op" id="{{ op.operationId }}">
<p><span class="m">{{ op.method }}</span> <code>{{ op.path }}</code> — {{ code(op.summary) }}
<span class="auth">({{ op.auth }})</span></p>
{% if op.description %}<p>{{ code(op.description) }}</p>{% endif %}
{% for p in op.parameters or [] %}<p>Parameter <code>{{ p.name }}</code> ({{ p["in"] }}{{ ", required" if p.required }}){% if p.description %}: {{ code(p.description) }}{% endif %}</p>{% endfor %}
{% if op.body %}<p>Body: <a href="#schema-{{ op.body }}">{{ op.body }}</a> (<code>application/json</code>)</p>{% endif %}
<table>{% for status, r in op.responses.items() %}
<tr><td><code>{{ status }}</code></td><td>{% if r.schema %}<a href="#schema-{{ r.schema }}">{{ r.schema }}</a>{% endif %}</td><td>{{ code(r.description) }}</td></tr>
{% endfor %}</table>
</div>
{% endfor %}
{% endfor %}
<h2>Schemas</h2>
{% for name, schema in schemas %}
<h3 id="schema-{{ name }}">{{ name }}</h3>
<pre>{{ schema }}</pre>
{% endfor %}
</body>
</html>
"""


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document of this server's API."""
    response = jsonify(openapi.document(version()))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/docs")
def docs():
    """The OpenAPI document as a readable page: operations, then schemas."""
    doc = openapi.document(version())
    page = render_template_string(PAGE, doc=doc, ops=_operations(doc), schemas=_schemas(doc), code=_code)
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=3600"
    # Inline styles only; nothing to load, nothing to run, not to be framed.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    return response


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    schemes = {"apiKey": "API key", "microsoftToken": "Microsoft access token", "googleIdToken": "Google ID token"}
    out = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            out.append(
                {
                    **op,
                    "method": method,
                    "path": path,
                    "auth": " or ".join(schemes[name] for s in op["security"] for name in s) or "public",
                    "body": _ref_name(body),
                    "responses": {
                        status: {
                            "description": r["description"],
                            "schema": _ref_name(r.get("content", {}).get("application/json", {}).get("schema", {})),
                        }
                        for status, r in op["responses"].items()
                    },
                }
            )
    return out


def _code(text: str) -> Markup:
    """Markdown's `code` spans of the document's descriptions, on an escaped string."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def _schemas(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (name, json.dumps(schema, indent=2, ensure_ascii=False))
        for name, schema in sorted(doc["components"]["schemas"].items())
    ]
