"""The errors storage raises. Storage knows nothing of HTTP or exit codes:
the API and the CLI turn these into their own answers (a status code, a
one-line `sendwise: error: ...`). `str()` is always one line."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error storage raises on purpose."""


class DatabaseUnavailable(StorageError):
    """The database cannot be opened, reached or used (connection refused,
    bad URL, schema not migrated)."""
