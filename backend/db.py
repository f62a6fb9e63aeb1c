"""The database inside Flask: one `Database` per app, one session per
request (closed, and rolled back if uncommitted, at teardown)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backend.storage import Database

_KEY = "sendwise.db"


def init_app(app: Flask, database: Database) -> None:
    app.extensions[_KEY] = database
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions[_KEY]


def session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        try:
            db_session.close()
        except DBAPIError:
            # The connection died under the request (database restarted):
            # the answer has been decided already; drop the connection
            # rather than turn a 503 into a server error.
            db_session.invalidate()
