"""Running the engine, shared by the API and the CLI.

The engine (`nlp`) is imported on first use: the backend starts, answers
health checks and reports "engine not loaded" even while the engine is
missing or broken, instead of failing at import.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from backend.errors import BadRequest
from backend.storage.models import Organisation


class EngineUnavailable(RuntimeError):
    """The analysis engine cannot be imported; `str()` says why."""


def engine() -> ModuleType:
    """The `nlp` module, or `EngineUnavailable`."""
    try:
        module = importlib.import_module("nlp")
    except Exception as exc:
        raise EngineUnavailable(f"analysis engine failed to load ({type(exc).__name__}: {exc})") from exc
    if not callable(getattr(module, "analyze", None)):
        raise EngineUnavailable("analysis engine not installed (nlp.analyze missing)")
    return module


def engine_loaded() -> bool:
    try:
        engine()
        return True
    except EngineUnavailable:
        return False


def analyze(
    request: dict[str, Any], *, now: datetime, session: Session | None = None, org: Organisation | None = None
) -> dict:
    """The report for `request` at `now` (the caller's clock). The request
    is validated here, once; with `org` (and its `session`) the stored
    context of that organisation is merged in (see storage.context) and
    `now` replaces any inline `context.now`: stored history is judged by
    the server's time, not the caller's. Without `org`, `now` only fills in
    a missing `context.now`.

    Raises `BadRequest` for invalid input (the engine's `InvalidRequest` is
    one: same `.code` and one-line message) and `EngineUnavailable`.
    """
    nlp = engine()
    from nlp.policy import PolicyError

    try:
        typed = nlp.parse_request(request)
        if org is not None and session is not None:
            from backend.storage.context import assemble

            assembled = assemble(session, org, typed, now)
            report = nlp.analyze(assembled.request, sent_index=assembled.sent_index)
            report["policy_warnings"] = assembled.policy_warnings
            _add_crm_status(report, session, org)
            return report
        if typed.context.now is None:
            typed = typed.model_copy(update={"context": typed.context.model_copy(update={"now": now})})
        return nlp.analyze(typed)
    except (nlp.InvalidRequest, PolicyError) as exc:
        raise BadRequest(str(exc), getattr(exc, "code", "invalid_request")) from None


def _add_crm_status(report: dict, session: Session, org: Organisation) -> None:
    """The report's `crm` key: whether the stored CRM context is usable
    (backend/connectors/status.py). Absent when no CRM is configured.
    Contacts always come from the store, so a CRM that is down only makes
    this say "unavailable"; it never fails the analysis."""
    from backend.connectors.status import crm_status

    status = crm_status(session, org)
    if status is not None:
        report["crm"] = status
