"""The HTTP API under /api/v1 (task pane, on-send check, scripts)."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from backend.api import contacts, overrides, pane, reference, routes, sent  # noqa: E402,F401 - registers the views on bp
