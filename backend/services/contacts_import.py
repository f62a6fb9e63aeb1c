"""Importing a contact list (CSV or XLSX) into an organisation: the rules of
`sendwise contacts import` and of the admin page's import, shared.

Reading and checking the file is backend/contacts_file.py; storing is
backend/storage/contacts.py. Here: which rows land, which are rejected and
why (bad values, erased addresses), the counts, and the audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend import contacts_file
from backend.storage.contacts import audit, bulk_upsert, erased_on, merge_duplicates, readmit
from backend.storage.models import Organisation


@dataclass(frozen=True)
class Rejection:
    line: int  # line of a CSV, row of an XLSX
    reasons: list[str]


@dataclass
class Checked:
    """A file's rows sorted into those that land and those that do not."""

    rows: list[dict[str, Any]]
    rejected: list[Rejection]
    erased: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    name: str
    description: str
    created: int
    updated: int
    rejected: list[Rejection]
    readmitted: int


def check(
    session: Session,
    org: Organisation,
    table: contacts_file.Table,
    columns: contacts_file.Columns,
    *,
    allow_erased: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """Every record of `table` normalised, or rejected with its reasons; a
    valid row whose address was erased is rejected unless `allow_erased`."""
    results = []
    for line, result in contacts_file.records_with_rows(table, columns):
        if progress:
            progress(1)
        results.append((line, result))
    erased = erased_on(session, org, {r["email"] for _, r in results if isinstance(r, dict)})
    rows: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    for line, result in results:
        if not allow_erased and isinstance(result, dict) and result["email"] in erased:
            result = contacts_file.RowRejected([contacts_file.erased_reason(erased[result["email"]])])
        if isinstance(result, contacts_file.RowRejected):
            rejected.append(Rejection(line, result.reasons))
        else:
            rows.append(result)
    return Checked(rows, rejected, erased)


def run(
    session: Session,
    org: Organisation,
    table: contacts_file.Table,
    columns: contacts_file.Columns,
    *,
    name: str,
    actor: str,
    now: datetime,
    allow_erased: bool = False,
    checked: Checked | None = None,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Store the valid rows of `table` (created or updated by email) and
    audit the import; rejected rows are reported, never stored. The caller
    commits."""
    checked = checked or check(session, org, table, columns, allow_erased=allow_erased)
    readmitted = readmit(session, org, checked.erased) if allow_erased else 0
    unique, repeats = merge_duplicates(checked.rows)
    counts = bulk_upsert(session, org, unique, progress=progress)
    result = Result(
        name=name,
        description=table.description,
        created=counts.created,
        updated=counts.updated + repeats,
        rejected=checked.rejected,
        readmitted=readmitted,
    )
    summary = {
        "file": name,
        "format": table.description,
        "imported": result.created,
        "updated": result.updated,
        "rejected": len(result.rejected),
        "readmitted": readmitted,
    }
    audit(session, org, actor, now, "contacts.import", summary)
    return result


def preview(table: contacts_file.Table, columns: contacts_file.Columns, limit: int = 10) -> list[dict[str, Any]]:
    """The first `limit` records as the import would read them: (line,
    the cells per field, the normalised row or its rejection reasons)."""
    out = []
    for line, cells in table.records[:limit]:
        shown = {
            name: ("" if i >= len(cells) or cells[i] is None else str(cells[i])) for name, i in columns.index.items()
        }
        try:
            contacts_file.normalise_row(cells, columns)
            problems: list[str] = []
        except contacts_file.RowRejected as exc:
            problems = exc.reasons
        out.append({"line": line, "cells": shown, "problems": problems})
    return out
