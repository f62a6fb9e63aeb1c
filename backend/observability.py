"""What operators see: one JSON log line per request, and Prometheus metrics.

Log lines (logger `sendwise.request`, JSON on stderr under `sendwise serve`):

    {"ts": "...", "level": "INFO", "logger": "sendwise.request", "method": "POST",
     "route": "/api/v1/analyze", "status": 200, "duration_ms": 4.1, "org": 3, "pid": 812}

`route` is the URL rule (`/api/v1/contacts/<path:email>`), never the path
itself (it can hold an address); no body, subject, query string or header
value is ever logged, and exceptions are logged by type and place only
(backend/errors.py).

Metrics at `/metrics` (Prometheus text format): `sendwise_requests_total`
{method, route, status}, `sendwise_request_duration_seconds` {route}
(histogram), `sendwise_findings_total` {code} and
`sendwise_verdicts_total` {verdict} of the analyses served. Off (404) unless
`SENDWISE_METRICS_TOKEN` is set; then the scraper sends it as
`Authorization: Bearer <token>`. A token rather than a second port: one
port to put behind the proxy, and nothing to bind per worker.

Under gunicorn each worker counts in its own files in
`PROMETHEUS_MULTIPROC_DIR` (`sendwise serve` makes a fresh one when it is
unset) and `/metrics` adds them up, whichever worker answers.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from backend.errors import ApiError

request_log = logging.getLogger("sendwise.request")

REQUESTS = Counter("sendwise_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "sendwise_request_duration_seconds",
    "Time from the request reaching the app to its answer",
    ["route"],
    buckets=(0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
FINDINGS = Counter("sendwise_findings", "Findings in the analyses served, by code", ["code"])
VERDICTS = Counter("sendwise_verdicts", "Verdicts of the analyses served", ["verdict"])


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", _metrics)


def record_report(report: dict[str, Any]) -> None:
    """Count an analysis's verdict and finding codes (codes only, no text)."""
    VERDICTS.labels(str(report.get("verdict"))).inc()
    for finding in report.get("findings") or []:
        FINDINGS.labels(str(finding.get("code"))).inc()


def _start() -> None:
    g.sendwise_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("sendwise_started")
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    if route != "/metrics":
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(route).observe(elapsed)
    if request_log.isEnabledFor(logging.INFO):
        caller = g.get("sendwise_caller")
        request_log.info(
            "request",
            extra={
                "fields": {
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                    "org": caller.org.id if caller is not None else None,
                }
            },
        )
    return response


def _metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        raise ApiError(404, "not_found", "metrics are off: set SENDWISE_METRICS_TOKEN to turn them on")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, "unauthorized", "metrics need 'Authorization: Bearer <SENDWISE_METRICS_TOKEN>'")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Cache-Control": "no-store"})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the
    record's `fields` (request lines); an exception only by its type."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        line["pid"] = record.process
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_json_logging(level: str) -> None:
    """Send the `sendwise` loggers' records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sendwise")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: drop the dead worker's live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)
