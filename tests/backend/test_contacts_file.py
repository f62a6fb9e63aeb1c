"""Reading contact spreadsheets: encodings, delimiters, headers, values."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from backend import contacts_file as cf
from backend.errors import BadRequest

HEADER_EN = "Email,Name,Company,Country,Stage\n"
ROW_DE = "anna@mueller.de,Anna Schmidt,Müller GmbH,Germany,sample\n"


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data, encoding",
    [
        pytest.param((HEADER_EN + ROW_DE).encode("utf-8"), "UTF-8", id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + (HEADER_EN + ROW_DE).encode("utf-8"), "UTF-8 with BOM", id="utf-8-bom"),
        pytest.param((HEADER_EN + ROW_DE).encode("utf-16"), "UTF-16", id="utf-16"),
        pytest.param((HEADER_EN + ROW_DE).encode("cp1252"), "Windows-1252", id="cp1252"),
    ],
)
def test_encodings_are_detected(tmp_path, data, encoding):
    table = cf.read_table(write(tmp_path, "c.csv", data))
    assert encoding in table.description
    assert table.records == [(2, ["anna@mueller.de", "Anna Schmidt", "Müller GmbH", "Germany", "sample"])]


def test_gbk_from_chinese_excel_is_detected(tmp_path):
    text = "邮箱,姓名,公司,国家\r\nli@haier.cn,李明,海尔集团,中国\r\nwang@midea.com,王芳,美的,中国\r\n"
    table = cf.read_table(write(tmp_path, "c.csv", text.encode("gbk")))
    assert "GB18030" in table.description
    assert table.headers == ["邮箱", "姓名", "公司", "国家"]
    assert table.records[1] == (3, ["wang@midea.com", "王芳", "美的", "中国"])


@pytest.mark.parametrize("delimiter, label", [(";", "';'"), ("\t", "tab"), ("|", "'|'"), (",", "','")])
def test_delimiters_are_detected(tmp_path, delimiter, label):
    text = delimiter.join(["E-mail", "Name", "Company"]) + "\n" + delimiter.join(["a@b.de", "A, B", "C"]) + "\n"
    table = cf.read_table(write(tmp_path, "c.csv", text.encode()))
    assert label in table.description
    assert table.records[0][1][0] == "a@b.de"


def test_excel_sep_line_and_title_rows_are_skipped(tmp_path):
    text = "sep=;\nCustomer list 2026;;\n\nEmail;Name\na@b.de;Anna\n"
    table = cf.read_table(write(tmp_path, "c.csv", text.encode()))
    assert table.headers == ["Email", "Name"]
    assert table.records == [(5, ["a@b.de", "Anna"])]


def test_line_numbers_count_physical_lines_with_multiline_cells(tmp_path):
    text = 'email,name\na@b.de,"Anna\nSchmidt"\nc@d.de,Carl\n'
    table = cf.read_table(write(tmp_path, "c.csv", text.encode()))
    assert [line for line, _ in table.records] == [2, 4]


@pytest.mark.parametrize(
    "content, message",
    [
        pytest.param(b"name,company\nAnna,Muller\n", "no email column", id="no-email-column"),
        pytest.param(b"", "no email column", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file", id="binary"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, ".xls", id="old-xls"),
        pytest.param(b"PK\x03\x04garbage", "cannot read", id="broken-xlsx"),
    ],
)
def test_unreadable_files_are_bad_requests(tmp_path, content, message):
    with pytest.raises(BadRequest, match=message):
        cf.read_table(write(tmp_path, "c.csv", content))


def test_missing_file_is_a_bad_request(tmp_path):
    with pytest.raises(BadRequest, match="cannot read"):
        cf.read_table(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    "headers, expected",
    [
        (
            ["E-Mail", " NAME ", "Company Name", "Country/Region", "Job Title"],
            {"email": 0, "name": 1, "company": 2, "country": 3, "role": 4},
        ),
        (
            [
                "电子邮件",
                "名字",
                "公司名称",
                "国家/地区",
                "职位",
                "行业",
                "阶段",
                "同意",
                "同意来源",
                "同意日期",
                "退订",
                "类型",
            ],
            {
                "email": 0,
                "name": 1,
                "company": 2,
                "country": 3,
                "role": 4,
                "industry": 5,
                "stage": 6,
                "consent": 7,
                "consent_source": 8,
                "consent_date": 9,
                "unsubscribed": 10,
                "kind": 11,
            },
        ),
        (
            ["邮箱", "角色", "国家地区", "Consent source", "consent_date", "Unsubscribed", "Kind"],
            {"email": 0, "role": 1, "country": 2, "consent_source": 3, "consent_date": 4, "unsubscribed": 5, "kind": 6},
        ),
    ],
)
def test_headers_map_in_english_and_chinese(headers, expected):
    assert cf.map_columns(headers).index == expected


def test_unknown_and_repeated_headers_are_ignored_and_listed():
    columns = cf.map_columns(["Email", "Phone", "Name", "姓名", ""])
    assert columns.index == {"email": 0, "name": 2}
    assert columns.ignored == ["Phone", "姓名"]


def test_export_columns_read_back_as_themselves():
    columns = cf.map_columns(list(cf.EXPORT_COLUMNS))
    assert list(columns.index) == [
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
    ]
    assert columns.ignored == []


def row(**cells):
    columns = cf.map_columns(list(cells))
    return cf.normalise_row(list(cells.values()), columns)


@pytest.mark.parametrize(
    "cells, field, value",
    [
        ({"email": " Anna.Schmidt@Mueller.DE "}, "email", "anna.schmidt@mueller.de"),
        ({"email": "a@b.de", "country": "德国"}, "country", "DE"),
        ({"email": "a@b.de", "country": "us"}, "country", "US"),
        ({"email": "a@b.de", "country": "Allemagne"}, "country", "DE"),
        ({"email": "a@b.de", "stage": "样品"}, "stage", "sample"),
        ({"email": "a@b.de", "stage": "谈判"}, "stage", "negotiation"),
        ({"email": "a@b.de", "stage": "成交"}, "stage", "customer"),
        ({"email": "a@b.de", "stage": "客户"}, "stage", "customer"),
        ({"email": "a@b.de", "stage": "老客户"}, "stage", "repeat"),
        ({"email": "a@b.de", "stage": "复购"}, "stage", "repeat"),
        ({"email": "a@b.de", "stage": "潜在客户"}, "stage", "prospect"),
        ({"email": "a@b.de", "stage": "Repeat Customer"}, "stage", "repeat"),
        ({"email": "a@b.de", "kind": "企业"}, "kind", "b2b"),
        ({"email": "a@b.de", "kind": "个人"}, "kind", "b2c"),
        ({"email": "a@b.de", "kind": "B2C"}, "kind", "b2c"),
        ({"email": "a@b.de", "consent": "opt-in"}, "consent_status", "opt_in"),
        ({"email": "a@b.de", "consent": "Soft opt in"}, "consent_status", "soft_opt_in"),
        ({"email": "a@b.de", "consent": "拒绝"}, "consent_status", "opt_out"),
        ({"email": "a@b.de", "consent": "是"}, "consent_status", "opt_in"),
        ({"email": "a@b.de", "consent_date": "2026-03-10"}, "consent_date", date(2026, 3, 10)),
        ({"email": "a@b.de", "consent_date": "2026/3/10"}, "consent_date", date(2026, 3, 10)),
        ({"email": "a@b.de", "consent_date": "2026年3月10日"}, "consent_date", date(2026, 3, 10)),
        ({"email": "a@b.de", "consent_date": "10.03.2026"}, "consent_date", date(2026, 3, 10)),
        ({"email": "a@b.de", "consent_date": datetime(2026, 3, 10, 9, 30)}, "consent_date", date(2026, 3, 10)),
        ({"email": "a@b.de", "unsubscribed": "是"}, "unsubscribed", True),
        ({"email": "a@b.de", "unsubscribed": "否"}, "unsubscribed", False),
        ({"email": "a@b.de", "unsubscribed": "TRUE"}, "unsubscribed", True),
        ({"email": "a@b.de", "unsubscribed": "0"}, "unsubscribed", False),
        ({"email": "a@b.de", "unsubscribed": 1}, "unsubscribed", True),
        ({"email": "a@b.de", "unsubscribed": "no"}, "unsubscribed", False),
        ({"email": "a@b.de", "unsubscribed": ""}, "unsubscribed", None),
        ({"email": "a@b.de", "name": "  "}, "name", None),
        ({"email": "a@b.de", "first name": "Anna", "last name": "Schmidt"}, "name", "Anna Schmidt"),
        ({"email": "a@b.de", "role": 42.0}, "role", "42"),
        ({"email": "a@b.de", "company": "Null\x00Byte GmbH"}, "company", "NullByte GmbH"),
    ],
)
def test_values_are_normalised(cells, field, value):
    assert row(**cells)[field] == value


@pytest.mark.parametrize(
    "cells, reason",
    [
        ({"email": "not-an-address"}, "invalid email address 'not-an-address'"),
        ({"email": ""}, "no email address"),
        ({"email": "a@b.de", "country": "Atlantis"}, "unknown country 'Atlantis'"),
        ({"email": "a@b.de", "stage": "hot lead"}, "unknown stage 'hot lead'"),
        ({"email": "a@b.de", "kind": "government"}, "unknown kind 'government'"),
        ({"email": "a@b.de", "consent": "maybe"}, "unknown consent 'maybe'"),
        ({"email": "a@b.de", "consent_date": "03/10/2026"}, "is not a date"),
        ({"email": "a@b.de", "consent_date": "2026-02-30"}, "does not exist"),
        ({"email": "a@b.de", "unsubscribed": "perhaps"}, "unsubscribed 'perhaps' is not yes/no"),
        ({"email": "a@b.de", "name": "x" * 201}, "name is longer than 200"),
    ],
)
def test_bad_values_reject_the_row_with_a_reason(cells, reason):
    with pytest.raises(cf.RowRejected) as err:
        row(**cells)
    assert reason in str(err.value)


def test_every_problem_of_a_row_is_reported():
    with pytest.raises(cf.RowRejected) as err:
        row(email="x", stage="hot", unsubscribed="perhaps")
    assert len(err.value.reasons) == 3


@pytest.mark.parametrize(
    "address",
    [
        "anna@mueller.de",
        "A.B+c@Mueller.DE",
        "o'brien@x.ie",
        "a@xn--mller-kva.de",
        "a@müller.de",
        "李明@例子.中国",
        '"quoted local"@x.de',
        "a@localhost",
        "a@x.local",
        "a@x.test",
        "a@1.2.3.4",
        "a@x.123",
        "a..b@x.de",
        ".a@x.de",
        "a.@x.de",
        "a@-x.de",
        "a@x_y.de",
        "a@x.de.",
        "a\n@x.de",
        "a b@x.de",
        "@x.de",
        "a@",
        "a@@x.de",
        "x" * 65 + "@x.de",
        "a@" + "x" * 64 + ".de",
        "a@" + ".".join(["x" * 60] * 5) + ".de",
    ],
)
def test_email_check_agrees_with_the_engines_validator(address):
    from email_validator import EmailNotValidError, validate_email

    try:
        expected = validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        expected = None
    try:
        got = cf.normalise_email(address)
    except ValueError:
        got = None
    assert got == expected


# --- formula cells (CSV injection) -------------------------------------------


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-buyer", "'-buyer"),
        ("@home", "'@home"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=quoted", "''=quoted"),  # its own apostrophe stays, so the added one can be told apart
        ("''-twice", "'''-twice"),
        ("'plain", "'plain"),  # not formula-like: untouched
        ("a=b", "a=b"),
        ("Müller GmbH", "Müller GmbH"),
        ("", ""),
        ("'", "'"),
    ],
)
def test_formula_cells_get_an_apostrophe_that_import_takes_off_again(value, cell):
    assert cf.defuse_cell(value) == cell
    assert cf.restore_cell(cell) == value


@pytest.mark.parametrize("cell", ["'hello", "'", "''", "it's", "'O'Brien", "'1 Road"])
def test_an_apostrophe_not_added_by_the_export_stays(cell):
    assert cf.restore_cell(cell) == cell


def test_a_defused_cell_reads_back_in_a_row():
    assert row(email="'-a@b.de", name="'=Anna", company="''+Co") == {
        **row(email="-a@b.de"),
        "name": "=Anna",
        "company": "'+Co",
    }


# --- limits: a file is anyone's --------------------------------------------


def xlsx(tmp_path, rows, name="c.xlsx", far_cell=None):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in rows:
        sheet.append(values)
    if far_cell:
        sheet.cell(row=far_cell[0], column=far_cell[1], value="x")
    path = tmp_path / name
    workbook.save(path)
    return path


def test_a_cell_longer_than_its_field_rejects_the_row_before_it_is_checked(monkeypatch):
    checked = []
    monkeypatch.setattr(cf, "_country_code", lambda value: checked.append(value) or "DE")
    columns = cf.map_columns(["email", "name", "country", "stage"])
    with pytest.raises(cf.RowRejected) as rejected:
        cf.normalise_row(["a" * 100_000 + "@b.de", "Anna", "x y " * 25_000, "s" * 1000], columns)
    assert rejected.value.reasons == [
        "email is longer than 320 characters",
        "country is longer than 100 characters",
        "stage is longer than 100 characters",
    ]
    assert checked == []  # country names take time per character


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_more_rows_than_the_limit_refuse_the_file(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(cf, "MAX_ROWS", 3)
    rows = [["email", "name"]] + [[f"p{i}@b.de", f"P{i}"] for i in range(4)]
    path = (
        write(tmp_path, "c.csv", "".join(",".join(r) + "\n" for r in rows).encode())
        if kind == "csv"
        else xlsx(tmp_path, rows)
    )
    with pytest.raises(BadRequest, match="more than 3 rows: split it"):
        cf.read_table(path)
    monkeypatch.setattr(cf, "MAX_ROWS", 4)
    assert len(cf.read_table(path).records) == 4


def test_a_csv_of_blank_lines_stops_at_excels_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(cf, "MAX_SHEET_ROWS", 50)
    path = write(tmp_path, "c.csv", b"email\na@b.de\n" + b"\r\n" * 60)
    with pytest.raises(BadRequest, match="more than 50 lines"):
        cf.read_table(path)


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_it_is_loaded(tmp_path, monkeypatch):
    import openpyxl

    path = xlsx(tmp_path, [["email", "name"], ["a@b.de", "n" * 50_000]])
    monkeypatch.setattr(cf, "MAX_XLSX_UNCOMPRESSED", 40_000)
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("loaded"))
    with pytest.raises(BadRequest, match=r"c\.xlsx unpacks to 0 MB, more than 0 MB: split it, or save it as CSV"):
        cf.read_table(path)


def test_a_sheet_with_a_far_away_cell_is_read_quickly_and_only_as_wide_as_its_headers(tmp_path):
    import time

    # A cell in the last row and column makes the declared dimension
    # A1:XFD1048576: openpyxl padded every row to 16,384 cells and the
    # check looked at all of them in a million empty rows (hours).
    path = xlsx(tmp_path, [["email", "name", "notes"], ["a@b.de", "Anna", "x"]], far_cell=(1_048_576, 16_384))
    started = time.monotonic()
    table = cf.read_table(path)
    assert time.monotonic() - started < 15
    assert table.records == [(2, ["a@b.de", "Anna"])]  # "notes" is no field: not kept


def test_a_known_column_too_far_to_the_right_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(cf, "MAX_COLUMNS", 5)
    path = write(tmp_path, "c.csv", b"email,a,b,c,d,e,name\na@b.de,,,,,,Anna\n")
    with pytest.raises(BadRequest, match="beyond column 5"):
        cf.read_table(path)


def test_a_device_is_refused_without_reading_it():
    with pytest.raises(BadRequest, match="not a regular file"):
        cf.read_table("/dev/zero")


def test_a_pipe_is_read_up_to_the_limit(tmp_path, monkeypatch):
    import contextlib
    import os
    import threading

    monkeypatch.setattr(cf, "MAX_FILE_BYTES", 1000)
    fifo = tmp_path / "contacts.csv"

    def feed(data: bytes) -> threading.Thread:
        def run():
            # BrokenPipeError: the reader stopped at its limit.
            with open(fifo, "wb") as pipe, contextlib.suppress(BrokenPipeError):
                pipe.write(data)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    os.mkfifo(fifo)
    writer = feed(b"email\n" + b"a@b.de\n" * 10)
    assert len(cf.read_table(fifo).records) == 10  # e.g. `import <(curl ...)`
    writer.join()
    writer = feed(b"email\n" + b"a@b.de\n" * 1_000)
    with pytest.raises(BadRequest, match="larger than"):
        cf.read_table(fifo)
    writer.join(timeout=5)


def test_a_long_unknown_header_is_reported_shortened():
    assert cf.map_columns(["email", "notes " * 10_000]).ignored == ["notes " * 9 + "not..."]
