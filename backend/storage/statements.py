"""Plumbing for the statements analysis runs for every draft.

Two costs dwarf the database's own work there (~0.1 ms per lookup):
- An IN list of n values is a new statement for every n: SQLAlchemy builds
  and compiles it again and PostgreSQL plans it again. So lists are padded
  to a power of two (`padded`), the statement for each size is built once
  (the callers cache them) with `in_list`, and PostgreSQL's driver
  prepares it after a few runs.
- SQLAlchemy's result rows cost several microseconds each; a lookup reads
  hundreds. `fetch` runs a compiled statement on the session's own
  connection and returns plain tuples.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Dialect, Result, Select, bindparam
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.compiler import SQLCompiler


def padded(values: Sequence[Any], prefix: str) -> tuple[int, dict[str, Any]]:
    """(size, parameters prefix0..prefix{size-1}) for a non-empty list: size
    is len(values) rounded up to a power of two, at least 8, filled up by
    repeating the last value (which matches nothing new)."""
    size = max(8, 1 << (len(values) - 1).bit_length())
    values = list(values) + [values[-1]] * (size - len(values))
    return size, {f"{prefix}{i}": v for i, v in enumerate(values)}


def in_list(column: ColumnElement[Any] | QueryableAttribute[Any], size: int, prefix: str) -> ColumnElement[bool]:
    """`column IN (:prefix0, ..., :prefix{size-1})`, to fill with `padded`."""
    return column.in_([bindparam(f"{prefix}{i}") for i in range(size)])


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched. `Session.execute` returns
    a `CursorResult` for those but is typed to return any `Result`."""
    return cast(CursorResult[Any], result).rowcount


def fetch(session: Session, statement: Select, params: dict[str, Any]) -> list[tuple]:
    """All rows of `statement` as plain tuples, in the session's
    transaction, with the columns' and parameters' types applied (timezone-
    aware datetimes and all) but without SQLAlchemy's result objects."""
    connection = session.connection()
    plan = _plan(statement, connection.dialect)
    values = plan.compiled.construct_params(params)
    for name, process in plan.binds:
        values[name] = process(values[name])
    args = [values[name] for name in plan.compiled.positiontup or ()] if plan.compiled.positional else values
    cursor = connection.connection.cursor()
    try:
        cursor.execute(plan.compiled.string, args)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not plan.results:
        return list(rows)  # already a list with sqlite3 and psycopg; the DB-API promises a sequence
    return [tuple(v if f is None else f(v) for f, v in zip(plan.results, row)) for row in rows]


@dataclass(frozen=True)
class _Plan:
    compiled: SQLCompiler
    binds: Sequence[tuple[str, Callable[[Any], Any]]]
    results: Sequence[Callable[[Any], Any] | None]  # empty: no column needs processing


@functools.lru_cache(maxsize=64)
def _plan(statement: Select, dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)
    binds = [
        (name, process)
        for name, bind in compiled.binds.items()
        if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in statement.selected_columns]
    return _Plan(compiled, binds, results if any(results) else [])
