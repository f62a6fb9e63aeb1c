"""Contact lists from spreadsheets: CSV and XLSX files in, validated contact
rows out. No database here; backend/storage/contacts.py stores the rows.

Files come from Excel, WPS, Numbers, Google Sheets and CRM exports, in
English or Chinese:

- CSV in UTF-8 (with or without BOM), UTF-16 with BOM (Excel "Unicode
  text"), GB18030/GBK (Chinese Excel's "CSV"), or Windows-1252 (Western
  Excel); delimiter `,` `;` tab or `|`, detected from the header line (an
  Excel `sep=;` first line is honoured).
- XLSX: the first worksheet, read with openpyxl in read-only mode.
- Bounded, because a file is anyone's: at most `MAX_FILE_BYTES` read (also
  from pipes; devices are refused), `MAX_XLSX_UNCOMPRESSED` bytes inside an
  XLSX (checked before openpyxl opens it: a small file can hold gigabytes
  of XML), `MAX_ROWS` contacts, Excel's `MAX_SHEET_ROWS` lines or rows, and
  the columns up to the last one with a known header. A cell longer than
  its field's cap (`CELL_LIMITS`) rejects its row.
- The header is the first row (among the first ten) that names an email
  column; rows above it (a title, a date) are skipped. Headers match
  case-, space- and punctuation-insensitively in English and Chinese
  (`HEADER_ALIASES`); unknown columns are ignored and reported.
- Values are checked and normalised (`normalise_row`); a row with any bad
  value is rejected as a whole, with every reason, and the rest go on.
- Exports put an apostrophe in front of cells that start like a formula
  (CSV injection); imports take exactly that apostrophe off again
  (`defuse_cell`, `restore_cell`).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from backend.errors import BadRequest

MAX_FILE_BYTES = 100 * 1024 * 1024
# The XML inside: openpyxl holds all shared strings in memory at once. A
# 200,000-row export with a dozen columns is ~150 MB of it.
MAX_XLSX_UNCOMPRESSED = 256 * 1024 * 1024
MAX_ROWS = 200_000  # contacts in one file
MAX_SHEET_ROWS = 1_048_576  # Excel's limit, for lines of CSV and rows of XLSX, blank ones included
MAX_COLUMNS = 1_000  # the last column with a known header
HEADER_SEARCH_ROWS = 10
DELIMITERS = (",", ";", "\t", "|")

# The columns `sendwise contacts export` writes, in this order; each is also
# the first (canonical) alias of its field below.
EXPORT_COLUMNS = (
    "email",
    "name",
    "company",
    "country",
    "kind",
    "role",
    "industry",
    "stage",
    "consent",
    "consent_source",
    "consent_date",
    "unsubscribed",
)

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "邮箱",
        "电子邮件",
        "电子邮箱",
        "邮件",
        "邮箱地址",
        "邮件地址",
        "电子邮件地址",
    ),
    "name": ("name", "full name", "contact name", "contact", "姓名", "名字", "联系人", "联系人姓名"),
    "first_name": ("first name", "given name", "firstname"),
    "last_name": ("last name", "surname", "family name", "lastname"),
    "company": ("company", "company name", "organisation", "organization", "公司", "公司名称", "单位", "企业名称"),
    "country": ("country", "country/region", "country code", "国家", "国家地区", "国家/地区", "国别"),
    "kind": ("kind", "type", "contact type", "customer type", "b2b/b2c", "类型", "客户类型"),
    "role": ("role", "job title", "position", "角色", "职位", "职务"),
    "industry": ("industry", "sector", "行业"),
    "stage": ("stage", "lifecycle stage", "sales stage", "阶段", "客户阶段", "销售阶段"),
    "consent": ("consent", "consent status", "同意", "同意状态"),
    "consent_source": ("consent source", "同意来源"),
    "consent_date": ("consent date", "同意日期", "同意时间"),
    "unsubscribed": ("unsubscribed", "opted out", "退订", "已退订"),
}

# Chinese and English synonyms for the contract's enum values. Keys are
# compared after `_key()` (case, spaces, `-`, `_` removed).
KINDS = {
    "b2b": "b2b",
    "business": "b2b",
    "company": "b2b",
    "企业": "b2b",
    "公司": "b2b",
    "企业客户": "b2b",
    "b2c": "b2c",
    "consumer": "b2c",
    "individual": "b2c",
    "private": "b2c",
    "个人": "b2c",
    "消费者": "b2c",
    "个人客户": "b2c",
}
STAGES = {
    "prospect": "prospect",
    "lead": "prospect",
    "潜在客户": "prospect",
    "潜客": "prospect",
    "意向客户": "prospect",
    "线索": "prospect",
    "sample": "sample",
    "samples": "sample",
    "样品": "sample",
    "寄样": "sample",
    "样品阶段": "sample",
    "negotiation": "negotiation",
    "negotiating": "negotiation",
    "quotation": "negotiation",
    "谈判": "negotiation",
    "洽谈": "negotiation",
    "报价": "negotiation",
    "议价": "negotiation",
    "customer": "customer",
    "client": "customer",
    "won": "customer",
    "客户": "customer",
    "成交": "customer",
    "已成交": "customer",
    "repeat": "repeat",
    "repeatcustomer": "repeat",
    "returning": "repeat",
    "复购": "repeat",
    "老客户": "repeat",
    "回头客": "repeat",
}
CONSENTS = {
    "optin": "opt_in",
    "yes": "opt_in",
    "true": "opt_in",
    "y": "opt_in",
    "1": "opt_in",
    "是": "opt_in",
    "同意": "opt_in",
    "已同意": "opt_in",
    "softoptin": "soft_opt_in",
    "软同意": "soft_opt_in",
    "默示同意": "soft_opt_in",
    "optout": "opt_out",
    "拒绝": "opt_out",
    "不同意": "opt_out",
    "退出": "opt_out",
    "none": "none",
    "no": "none",
    "false": "none",
    "n": "none",
    "0": "none",
    "否": "none",
    "无": "none",
    "unknown": "unknown",
    "未知": "unknown",
}
BOOLEANS = {
    "yes": True,
    "y": True,
    "true": True,
    "t": True,
    "1": True,
    "是": True,
    "已退订": True,
    "x": True,
    "✓": True,
    "no": False,
    "n": False,
    "false": False,
    "f": False,
    "0": False,
    "否": False,
    "未退订": False,
}
TEXT_LIMITS = {"name": 200, "company": 200, "role": 100, "industry": 100, "consent_source": 200}
# Longest cell looked at, per field (the stored column's size where there is
# one); a longer cell rejects its row before any check runs on it.
CELL_LIMITS = {**TEXT_LIMITS, "email": 320, "first_name": 200, "last_name": 200}
CODE_CELL_LIMIT = 100  # country, kind, stage, consent, dates, yes/no
# OWASP's CSV injection rule: a cell starting with one of these is a formula
# (or the start of one) to Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # what csv calls a line: \r\n, \r or \n ends it
_PUNCT = re.compile(r"[\s_\-/.:()（）：、·]+")
_ISO_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DAY_FIRST_DOTS = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # 10.03.2026 (German style)


@dataclass
class Table:
    """A file's records after the header: (line or row number, cells)."""

    headers: list[str]
    records: list[tuple[int, list[Any]]]
    description: str  # "CSV, UTF-8 with BOM, ';'" / "XLSX, sheet 'Contacts'"


@dataclass
class Columns:
    """Which cell holds which field."""

    index: dict[str, int]
    ignored: list[str] = field(default_factory=list)


class RowRejected(ValueError):
    """A row with bad values; `reasons` lists every problem."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


# --- reading ---------------------------------------------------------------


def read_table(path: str | Path) -> Table:
    """The header and records of a CSV or XLSX file. Raises `BadRequest` if
    the file cannot be read, is over a limit, or no row among the first ten
    names an email column."""
    path = Path(path)
    data = _read_bounded(path)
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadRequest(f"{path.name} is an old Excel .xls file: save it as .xlsx or CSV")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise BadRequest(f"{path.name} is not a valid .xlsx file")
    return _read_csv(path, data)


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, at most MAX_FILE_BYTES of them. Pipes are read up
    to the limit; devices (/dev/zero, a terminal) are refused: they may
    never end."""
    limit = f"{path.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it into smaller files"
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not (stat.S_ISREG(status.st_mode) or stat.S_ISFIFO(status.st_mode)):
                raise BadRequest(f"{path} is not a regular file (a device or socket): save the contacts to a file")
            if status.st_size > MAX_FILE_BYTES:
                raise BadRequest(limit)
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise BadRequest(limit)
    return data


def _read_csv(path: Path, data: bytes) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise BadRequest(f"{path.name} is not a text file (CSV) or .xlsx")
    # Lines one at a time: a list of them would cost ~50 bytes per line,
    # gigabytes for a file of newlines (and io.StringIO four bytes a character).
    lines = (match.group() for match in _LINE.finditer(text))
    head = [line for _, line in zip(range(HEADER_SEARCH_ROWS + 1), lines)]
    first_line = 1
    delimiter = None
    if head and head[0].strip().lower().startswith("sep=") and len(head[0].strip()) == 5:
        delimiter = head[0].strip()[4]
        head, first_line = head[1:], 2
    if delimiter is None:
        delimiter = _sniff_delimiter(head[:HEADER_SEARCH_ROWS])
    reader = csv.reader(itertools.chain(head, lines), delimiter=delimiter)
    header_row: list[str] | None = None
    width = 0
    records: list[tuple[int, list[Any]]] = []
    end = 0  # reader.line_num after the previous record
    try:
        for cells in reader:
            start, end = first_line + end, reader.line_num
            if end > MAX_SHEET_ROWS:
                raise _too_many(path, f"{MAX_SHEET_ROWS:,} lines")
            if header_row is None:
                if _find_email_column(cells) is not None:
                    header_row, width = cells, _known_width(path, cells)
                elif start - first_line >= HEADER_SEARCH_ROWS:
                    break
                continue
            if any(c.strip() for c in cells):
                if len(records) == MAX_ROWS:
                    raise _too_many(path, f"{MAX_ROWS:,} rows")
                records.append((start, cells[:width]))
    except csv.Error as exc:
        raise BadRequest(f"{path.name}: line {first_line + reader.line_num - 1}: {exc}") from None
    if header_row is None:
        raise _no_email_column(path)
    label = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}[delimiter]
    return Table(header_row, records, f"CSV, {encoding}, {label}-separated")


def _known_width(path: Path, header: list[Any]) -> int:
    """How many cells of each row to keep: up to the last column with a known
    header. The others are never read, and rows padded to a huge width (an
    XLSX cell in column XFD) would cost memory for nothing."""
    known = [i for i, cell in enumerate(header) if _HEADER_LOOKUP.get(_key(cell)) is not None]
    if known[-1] >= MAX_COLUMNS:
        raise BadRequest(f"{path.name}: a known column lies beyond column {MAX_COLUMNS:,}; move it to the left")
    return known[-1] + 1


def _too_many(path: Path, what: str) -> BadRequest:
    return BadRequest(f"{path.name} has more than {what}: split it into smaller files")


def decode(data: bytes) -> tuple[str, str]:
    """Text of a CSV file and the name of the encoding it was read as."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_chinese(text):
        return text, "GB18030/GBK"
    # Windows-1252 leaves five bytes undefined; latin-1 reads anything.
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _looks_chinese(text: str) -> bool:
    """True when the non-ASCII characters are mostly common Chinese (both
    bytes of their GBK code in GB2312's A1-FE range). Western text read as
    GBK by mistake pairs an accented letter with the next ASCII one, which
    falls outside that range (é + 'l' = E9 6C)."""
    wide = _NON_ASCII.findall(text, 0, 2_000_000)[:20_000]  # a sample decides
    if not wide:
        return True
    common = 0
    for ch in wide:
        raw = ch.encode("gb18030")
        if len(raw) == 2 and raw[0] >= 0xA1 and raw[1] >= 0xA1:
            common += 1
    return common >= 0.9 * len(wide)


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the header line (the first one naming an
    email column) into the most cells; `,` when in doubt."""
    best, best_cells = ",", 0
    for line in lines:
        for delimiter in DELIMITERS:
            cells = next(csv.reader([line], delimiter=delimiter), [])
            if _find_email_column(cells) is not None and len(cells) > best_cells:
                best, best_cells = delimiter, len(cells)
        if best_cells:
            break
    return best


def _read_xlsx(path: Path, data: bytes) -> Table:
    from zipfile import BadZipFile, ZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with ZipFile(io.BytesIO(data)) as archive:
            # A member cannot unpack to more than its declared size (zipfile
            # stops there), so the sizes bound what openpyxl can load.
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_XLSX_UNCOMPRESSED:
            raise BadRequest(
                f"{path.name} unpacks to {unpacked / (1024 * 1024):,.0f} MB, more than "
                f"{MAX_XLSX_UNCOMPRESSED // (1024 * 1024)} MB: split it, or save it as CSV"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Workbook contains no default style"
            # Bytes, not the path: openpyxl would refuse a workbook whose name
            # does not end in .xlsx (exports are often named .csv or nothing).
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except BadRequest:
        raise
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise BadRequest(f"cannot read {path.name} as .xlsx: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        # The declared dimensions are the writer's word: a tiny sheet claiming
        # A1:XFD1048576 would pad every row to 16,384 cells.
        sheet.reset_dimensions()
        header_row: list[str] | None = None
        header_number = 0
        for number, values in enumerate(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1):
            texts = ["" if v is None else str(v) for v in values]
            if _find_email_column(texts) is not None:
                header_row, header_number = texts, number
                break
        if header_row is None:
            raise _no_email_column(path)
        width = _known_width(path, header_row)
        records: list[tuple[int, list[Any]]] = []
        # openpyxl fills gaps in the rows' numbers with empty rows: max_row
        # keeps a row numbered 10**12 from taking forever.
        rows = sheet.iter_rows(min_row=header_number + 1, max_row=MAX_SHEET_ROWS, max_col=width, values_only=True)
        for number, values in enumerate(rows, start=header_number + 1):
            if any(v is not None and str(v).strip() for v in values):
                if len(records) == MAX_ROWS:
                    raise _too_many(path, f"{MAX_ROWS:,} rows")
                records.append((number, list(values)))
        title = sheet.title
    finally:
        workbook.close()
    return Table(header_row, records, f"XLSX, sheet '{title}'")


def _no_email_column(path: Path) -> BadRequest:
    return BadRequest(
        f"{path.name} has no email column in its first {HEADER_SEARCH_ROWS} rows "
        "(expected a header such as Email, E-mail, 邮箱 or 电子邮件)"
    )


# --- headers ---------------------------------------------------------------


def _key(text: Any) -> str:
    return _PUNCT.sub("", str(text)).casefold()


_HEADER_LOOKUP = {_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def _find_email_column(cells: list[str]) -> int | None:
    for i, cell in enumerate(cells):
        if _HEADER_LOOKUP.get(_key(cell)) == "email":
            return i
    return None


def map_columns(headers: list[str]) -> Columns:
    """Field -> cell index for a header row; the first column wins when two
    name the same field. Unknown and duplicate headers are listed in
    `ignored`."""
    columns = Columns(index={})
    for i, header in enumerate(headers):
        name = _HEADER_LOOKUP.get(_key(header))
        if name is None or name in columns.index:
            text = str(header).strip()
            if text:
                # Reported on the terminal: a header can be a whole paragraph.
                columns.ignored.append(text if len(text) <= 60 else text[:57] + "...")
            continue
        columns.index[name] = i
    return columns


# --- values ----------------------------------------------------------------


def normalise_row(cells: list[Any], columns: Columns) -> dict[str, Any]:
    """A contact row (the `contacts` columns; None where the file says
    nothing) from one record. Raises `RowRejected` with every problem."""

    reasons: list[str] = []
    too_long: set[str] = set()

    def cell(name: str) -> Any:
        i = columns.index.get(name)
        if i is None or i >= len(cells):
            return None
        value = cells[i]
        if isinstance(value, str):
            limit = CELL_LIMITS.get(name, CODE_CELL_LIMIT)
            # Checked before anything reads the cell: country names and
            # addresses take time per character. Leeway for the spaces and
            # apostrophe taken off below.
            if len(value) > 2 * limit:
                reasons.append(f"{name.replace('_', ' ')} is longer than {limit} characters")
                too_long.add(name)
                return None
            value = restore_cell(value.replace("\x00", "").strip())
            return value or None
        return value

    row: dict[str, Any] = {}

    email = cell("email")
    if email is None:
        if "email" not in too_long:
            reasons.append("no email address")
    else:
        try:
            row["email"] = normalise_email(str(email))
        except ValueError as exc:
            reasons.append(str(exc))

    name = cell("name")
    if name is None and ("first_name" in columns.index or "last_name" in columns.index):
        name = " ".join(str(p) for p in (cell("first_name"), cell("last_name")) if p is not None) or None
    for key, value in (
        ("name", name),
        ("company", cell("company")),
        ("role", cell("role")),
        ("industry", cell("industry")),
        ("consent_source", cell("consent_source")),
    ):
        text = _text(value)
        if text is not None and len(text) > TEXT_LIMITS[key]:
            reasons.append(f"{key} is longer than {TEXT_LIMITS[key]} characters")
        row[key] = text

    checks = (
        ("country", "country", normalise_country),
        ("kind", "kind", lambda v: _enum(v, KINDS, "kind", "b2b, b2c, 企业, 个人")),
        (
            "stage",
            "stage",
            lambda v: _enum(
                v, STAGES, "stage", "prospect, sample, negotiation, customer, repeat, 潜在客户, 样品, 谈判, 成交, 复购"
            ),
        ),
        (
            "consent_status",
            "consent",
            lambda v: _enum(v, CONSENTS, "consent", "opt_in, soft_opt_in, opt_out, none, unknown, 同意, 拒绝"),
        ),
        ("consent_date", "consent_date", normalise_date),
        ("unsubscribed", "unsubscribed", normalise_bool),
    )
    for key, column, check in checks:
        value = cell(column)
        try:
            row[key] = None if value is None else check(value)
        except ValueError as exc:
            reasons.append(str(exc))
    if reasons:
        raise RowRejected(reasons)
    return row


def normalise_email(value: str) -> str:
    """Lower-case, validated address: what email-validator (the engine's
    check) accepts, normalised the same way.

    The common case, a plain ASCII local part, takes a shortcut: the local
    part is checked by a regular expression and the domain by
    email-validator once per domain (lists repeat domains a lot), which
    makes 100,000 rows several seconds faster. Anything else goes through
    email-validator whole."""
    from email_validator import EmailNotValidError, validate_email

    value = value.strip()
    local, at, domain = value.rpartition("@")
    try:
        if at and len(local) <= 64 and _DOT_ATOM.fullmatch(local):
            address = f"{local.lower()}@{_domain(domain)}"
            if len(address.encode("utf-8")) <= 254:
                return address
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address {_quote(value)}: {exc}") from None


@lru_cache(maxsize=8192)
def _domain(domain: str) -> str:
    from email_validator import validate_email

    return validate_email(f"x@{domain}", check_deliverability=False).domain.lower()


def normalise_country(value: Any) -> str:
    code = _country_code(str(value).strip())
    if not code:
        raise ValueError(f"unknown country {_quote(value)} (use a name or an ISO code such as DE)")
    return code


@lru_cache(maxsize=1024)
def _country_code(value: str) -> str:
    from nlp.jurisdiction import country_code

    return country_code(value)


def normalise_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    elif match := _DAY_FIRST_DOTS.match(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValueError(f"consent date {_quote(value)} is not a date like 2026-03-10")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"consent date {_quote(value)} does not exist") from None


def normalise_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    found = BOOLEANS.get(_key(value))
    if found is None:
        raise ValueError(f"unsubscribed {_quote(value)} is not yes/no (true/false, 1/0, 是/否)")
    return found


def _enum(value: Any, table: dict[str, str], what: str, allowed: str) -> str:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    found = table.get(_key(value))
    if found is None:
        raise ValueError(f"unknown {what} {_quote(value)} (expected {allowed})")
    return found


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return str(value).strip() or None


def _quote(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def records_with_rows(table: Table, columns: Columns) -> Iterator[tuple[int, dict[str, Any] | RowRejected]]:
    """(line, contact row or the rejection) for every record, in file order."""
    for line, cells in table.records:
        try:
            yield line, normalise_row(cells, columns)
        except RowRejected as exc:
            yield line, exc


def export_cells(contact) -> list[str]:
    """One contact as the CSV cells of EXPORT_COLUMNS; reads back unchanged."""
    values = {
        "email": contact.email,
        "name": contact.name,
        "company": contact.company,
        "country": contact.country,
        "kind": contact.kind,
        "role": contact.role,
        "industry": contact.industry,
        "stage": contact.stage,
        "consent": contact.consent_status,
        "consent_source": contact.consent_source,
        "consent_date": contact.consent_date.isoformat() if contact.consent_date else None,
        "unsubscribed": "yes" if contact.unsubscribed else "no",
    }
    return ["" if values[c] is None else defuse_cell(str(values[c])) for c in EXPORT_COLUMNS]


def defuse_cell(value: str) -> str:
    """`value` as a CSV cell that spreadsheets do not run: with an apostrophe
    in front when it starts like a formula. Apostrophes already in front of
    such a start count as part of it, so that `restore_cell` can tell the
    added one from one the value had ("'=x" becomes "''=x")."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_START) else value


def restore_cell(value: str) -> str:
    """The value `defuse_cell` was given: the exact inverse, so exported
    files import back unchanged."""
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(FORMULA_START) else value


def erased_reason(erased_at: datetime) -> str:
    """Why a row whose address was erased is not imported."""
    return (
        f"erased at the person's request on {erased_at:%Y-%m-%d}; remove it from the file or ask them to "
        "re-subscribe (then import with --allow-erased)"
    )
