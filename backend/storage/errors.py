"""The errors storage raises. Storage knows nothing of HTTP or exit codes:
the API and the CLI turn these into their own answers (a status code, a
one-line `sendwise: error: ...`). `str()` is always one line."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error storage raises on purpose."""


class DatabaseUnavailable(StorageError):
    """The database cannot be opened, reached or used (connection refused,
    bad URL, schema not migrated)."""


class InvalidValue(StorageError, ValueError):
    """A value storage will not keep (a reason longer than allowed, a
    database file in a folder other accounts may write to). Callers check
    input first; this is the last line. Still a `ValueError`."""


class KeyRejected(StorageError):
    """The API key is unknown or revoked; `str()` is the reason for a 401."""
