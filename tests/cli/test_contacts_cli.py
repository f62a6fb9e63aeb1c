"""`sendwise org|apikey|contacts` through real subprocesses, on SQLite and
PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from backend.clock import SystemClock
from backend.storage import contacts as store
from backend.storage import queries
from backend.storage.models import (
    AuditEvent,
    Contact,
    ErasedAddress,
    ErasureKey,
    Interaction,
    Organisation,
    SentMessage,
)
from tests.conftest import Http, drain, serving


def ok(result) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def one_line_error(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr.decode())
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sendwise: error: "), lines
    return lines[0]


@pytest.fixture
def acme(make_tenant) -> str:
    """An organisation made in-process (quicker than `org create`, tested on its own)."""
    return make_tenant("acme").slug


def contacts_of(database, slug: str) -> dict[str, Contact]:
    with database.session() as session:
        org = queries.org_by_slug(session, slug)
        return {c.email: c for c in session.scalars(select(Contact).where(Contact.org_id == org.id))}


# --- org -----------------------------------------------------------------


def test_org_create_stores_domains_address_name_and_locale(sendwise_cli, database):
    out = ok(
        sendwise_cli(
            "org",
            "create",
            "ningbo-light",
            "--domain",
            "NB-Light.cn",
            "--domain",
            "@nb-light.com",
            "--postal-address",
            "1 Jinhui Road, Ningbo",
            "--name",
            "宁波灯具",
            "--locale",
            "zh-CN",
        )
    )
    assert "ningbo-light" in out and "apikey create --org ningbo-light" in out
    with database.session() as session:
        org = queries.org_by_slug(session, "ningbo-light")
        assert (org.name, org.domains, org.postal_address, org.default_locale) == (
            "宁波灯具",
            ["nb-light.cn", "nb-light.com"],
            "1 Jinhui Road, Ningbo",
            "zh-CN",
        )
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.org_id == org.id)) == "org.create"


@pytest.mark.parametrize(
    "args, reason",
    [
        pytest.param(("acme", "--domain", "acme-export.cn"), "already exists", id="duplicate"),
        pytest.param(("Not A Slug", "--domain", "x.cn"), "invalid slug", id="bad-slug"),
        pytest.param(("other", "--domain", "not a domain"), "invalid domain", id="bad-domain"),
        pytest.param(("other",), "--domain", id="no-domain"),
        pytest.param(("other", "--domain", "x.cn", "--locale", "fr"), "--locale", id="bad-locale"),
    ],
)
def test_org_create_errors_are_one_line_exit_2(sendwise_cli, acme, args, reason):
    assert reason in one_line_error(sendwise_cli("org", "create", *args))


def test_org_list_shows_every_organisation_with_its_domains_and_contacts(sendwise_cli, make_tenant, tmp_path):
    make_tenant("zeta")
    make_tenant("acme", domains=["acme-export.cn", "acme.com"], default_locale="zh-CN")
    path = tmp_path / "c.csv"
    path.write_text("email\na@b.de\nc@d.fr\n")
    ok(sendwise_cli("contacts", "import", str(path), "--org", "acme"))
    assert ok(sendwise_cli("org", "list")).splitlines() == [
        "acme  Acme  acme-export.cn, acme.com  zh-CN  2 contacts",
        "zeta  Zeta  zeta.example.cn  en  0 contacts",
    ]


def test_org_list_of_an_empty_database_says_how_to_start(sendwise_cli):
    result = sendwise_cli("org", "list")
    assert result.returncode == 0 and result.stdout == b""
    assert "sendwise org create" in result.stderr.decode()


# --- contacts import -------------------------------------------------------


def test_import_gbk_csv_with_chinese_headers_and_values(sendwise_cli, acme, database, tmp_path):
    text = (
        "邮箱,姓名,公司名称,国家/地区,职位,行业,阶段,同意,同意来源,同意日期,退订,类型\r\n"
        "anna@mueller.de,Anna Schmidt,Müller GmbH,德国,采购经理,照明批发,样品,同意,展会表格,2026/3/10,否,企业\r\n"
        "li.ming@haier.cn,李明,海尔,中国,经理,家电,老客户,拒绝,,,是,个人\r\n"
    )
    path = tmp_path / "客户.csv"
    # GB18030 is what Chinese Excel writes; "ü" exists there too.
    path.write_bytes(text.encode("gb18030"))
    result = sendwise_cli("contacts", "import", str(path), "--org", acme)
    out = ok(result)
    assert "GB18030" in out and "imported 2, updated 0, rejected 0" in out
    assert result.stderr == b"", "no progress bar or notes when nothing is wrong and stderr is not a terminal"

    found = contacts_of(database, acme)
    anna, li = found["anna@mueller.de"], found["li.ming@haier.cn"]
    assert (anna.name, anna.company, anna.country, anna.role, anna.industry, anna.stage, anna.kind) == (
        "Anna Schmidt",
        "Müller GmbH",
        "DE",
        "采购经理",
        "照明批发",
        "sample",
        "b2b",
    )
    assert (anna.consent_status, anna.consent_source, anna.consent_date, anna.unsubscribed) == (
        "opt_in",
        "展会表格",
        date(2026, 3, 10),
        False,
    )
    assert (li.name, li.country, li.stage, li.consent_status, li.unsubscribed, li.kind) == (
        "李明",
        "CN",
        "repeat",
        "opt_out",
        True,
        "b2c",
    )


def test_import_utf8_bom_semicolon_csv_from_european_excel(sendwise_cli, acme, database, tmp_path):
    text = (
        "E-Mail;Name;Company;Country;Role;Industry;Stage;Consent;Consent source;Consent date;Unsubscribed;Kind\r\n"
        "jean@electro-rhone.fr;Jean Dupont;Électro Rhône SARL;France;acheteur;installation;negotiation;"
        "soft opt-in;existing customer;10.03.2026;no;B2B\r\n"
    )
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    out = ok(sendwise_cli("contacts", "import", str(path), "--org", acme))
    assert "UTF-8 with BOM" in out and "';'" in out and "imported 1" in out
    jean = contacts_of(database, acme)["jean@electro-rhone.fr"]
    assert (jean.company, jean.country, jean.stage, jean.consent_status, jean.consent_date, jean.kind) == (
        "Électro Rhône SARL",
        "FR",
        "negotiation",
        "soft_opt_in",
        date(2026, 3, 10),
        "b2b",
    )


def test_import_xlsx_with_a_title_row_dates_and_booleans(sendwise_cli, acme, database, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "客户列表"
    sheet.append(["2026 客户名单"])
    sheet.append(["电子邮件", "名字", "公司", "国家", "角色", "阶段", "同意", "同意日期", "退订", "Phone"])
    sheet.append(
        [
            "Tom@Kingsway-Electrical.co.uk",
            "Tom Baker",
            "Kingsway",
            "GB",
            "buyer",
            "customer",
            "opt_in",
            datetime(2025, 11, 3),
            False,
            "+44 20 1234",
        ]
    )
    sheet.append(["sofia@luce.it", "Sofia Bianchi", "Luce Srl", "意大利", None, "谈判", None, None, True, None])
    sheet.append(["broken@", "X", None, None, None, None, None, None, None, None])
    path = tmp_path / "contacts.xlsx"
    workbook.save(path)

    result = sendwise_cli("contacts", "import", str(path), "--org", acme)
    out = ok(result)
    assert "XLSX, sheet '客户列表'" in out and "imported 2, updated 0, rejected 1" in out
    stderr = result.stderr.decode().splitlines()
    assert stderr == [
        "contacts.xlsx: ignored columns: Phone",
        "contacts.xlsx:5: rejected: invalid email address 'broken@': " + stderr[1].split("'broken@': ", 1)[1],
    ]
    found = contacts_of(database, acme)
    tom, sofia = found["tom@kingsway-electrical.co.uk"], found["sofia@luce.it"]
    assert (tom.country, tom.stage, tom.consent_date, tom.unsubscribed) == ("GB", "customer", date(2025, 11, 3), False)
    assert (sofia.country, sofia.stage, sofia.role, sofia.unsubscribed) == ("IT", "negotiation", None, True)


def test_rejected_rows_are_reported_by_line_and_the_rest_is_kept(sendwise_cli, acme, database, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "email,name,stage,country\n"
        "good1@a.de,One,sample,DE\n"
        "not-an-email,Two,sample,DE\n"
        "good2@b.fr,Three,prospect,FR\n"
        "\n"
        "good3@c.it,Four,maybe,Atlantis\n"
        "good4@d.nl,Five,,NL\n",
        encoding="utf-8",
    )
    result = sendwise_cli("contacts", "import", str(path), "--org", acme)
    assert "imported 3, updated 0, rejected 2" in ok(result)
    errors = result.stderr.decode().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("mixed.csv:3: rejected: invalid email address 'not-an-email'")
    assert errors[1].startswith("mixed.csv:6: rejected: ")
    assert "unknown stage 'maybe'" in errors[1] and "unknown country 'Atlantis'" in errors[1]
    assert set(contacts_of(database, acme)) == {"good1@a.de", "good2@b.fr", "good4@d.nl"}
    with database.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "contacts.import"))
        assert (event.detail["imported"], event.detail["rejected"], event.detail["file"]) == (3, 2, "mixed.csv")


def test_import_upserts_by_email(sendwise_cli, acme, database, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text(
        "email,name,company,stage,unsubscribed\n"
        "anna@mueller.de,Anna,Müller GmbH,prospect,yes\n"
        "bob@x.com,Bob,X Ltd,sample,no\n",
        encoding="utf-8",
    )
    ok(sendwise_cli("contacts", "import", str(first), "--org", acme))

    second = tmp_path / "second.csv"
    second.write_text(
        "Email,Name,Company,Stage,Unsubscribed\n"
        "ANNA@Mueller.de,Anna Schmidt,,customer,no\n"  # blank company keeps the stored one
        "carl@y.com,Carl,,,\n"
        "bob@x.com,,,negotiation,\n"
        "bob@x.com,Bobby,,,\n",
        encoding="utf-8",
    )  # a repeat: applied after the one before
    out = ok(sendwise_cli("contacts", "import", str(second), "--org", acme))
    assert "imported 1, updated 3, rejected 0" in out

    found = contacts_of(database, acme)
    assert len(found) == 3
    anna, bob = found["anna@mueller.de"], found["bob@x.com"]
    assert (anna.name, anna.company, anna.stage) == ("Anna Schmidt", "Müller GmbH", "customer")
    assert anna.unsubscribed is True, "an import must never re-subscribe someone who opted out"
    assert (bob.name, bob.company, bob.stage, bob.unsubscribed) == ("Bobby", "X Ltd", "negotiation", False)


@pytest.mark.parametrize(
    "content, name, reason",
    [
        pytest.param(b"name,company\nAnna,Muller\n", "x.csv", "no email column", id="no-email-column"),
        pytest.param(b"PK\x03\x04broken", "x.xlsx", "cannot read x.xlsx as .xlsx", id="broken-xlsx"),
        pytest.param(None, "missing.csv", "cannot read", id="missing-file"),
    ],
)
def test_import_of_an_unusable_file_is_one_line_exit_2(sendwise_cli, acme, tmp_path, content, name, reason):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert reason in one_line_error(sendwise_cli("contacts", "import", str(path), "--org", acme))


def test_import_of_a_device_is_one_line_exit_2(sendwise_cli, acme):
    # Used to read /dev/zero until memory ran out, then "internal error".
    assert "/dev/zero is not a regular file" in one_line_error(
        sendwise_cli("contacts", "import", "/dev/zero", "--org", acme)
    )


def test_import_of_an_xlsx_that_unpacks_to_too_much_is_one_line_exit_2(sendwise_cli, acme, tmp_path):
    import zipfile

    # 300 MB of XML in a file of ~300 KB: openpyxl would have loaded it all.
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(b" " * (1024 * 1024))
    assert path.stat().st_size < 2 * 1024 * 1024
    reason = one_line_error(sendwise_cli("contacts", "import", str(path), "--org", acme))
    assert "bomb.xlsx unpacks to 300 MB, more than 256 MB" in reason


def test_oversized_cells_reject_their_rows_and_the_rest_is_kept(sendwise_cli, acme, database, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "email,name,country\n"
        f"{'x' * 5000}@a.de,One,DE\n"
        f"two@b.fr,{'Two ' * 1000},FR\n"
        f"three@c.it,Three,{'Italy ' * 1000}\n"
        "four@d.nl,Four,NL\n",
        encoding="utf-8",
    )
    result = sendwise_cli("contacts", "import", str(path), "--org", acme)
    assert "imported 1, updated 0, rejected 3" in ok(result)
    assert result.stderr.decode().splitlines() == [
        "long.csv:2: rejected: email is longer than 320 characters",
        "long.csv:3: rejected: name is longer than 200 characters",
        "long.csv:4: rejected: country is longer than 100 characters",
    ]
    assert set(contacts_of(database, acme)) == {"four@d.nl"}


def test_import_into_an_unknown_org_is_one_line_exit_2(sendwise_cli, acme, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("email\na@b.de\n")
    assert "no organisation 'nope'" in one_line_error(sendwise_cli("contacts", "import", str(path), "--org", "nope"))


# --- contacts export -------------------------------------------------------


def test_csv_export_round_trips_through_import(sendwise_cli, acme, make_tenant, tmp_path):
    source = tmp_path / "source.csv"
    source.write_text(
        "email,name,company,country,kind,role,industry,stage,consent,consent source,consent date,"
        "unsubscribed\n"
        'anna@mueller.de,"Schmidt, Anna",Müller GmbH,DE,b2b,purchasing,lighting,sample,opt_in,'
        "trade fair,2026-03-10,no\n"
        "li@haier.cn,李明,海尔,CN,b2c,,,repeat,opt_out,,,yes\n"
        "x@y.com,,,,,,,,,,,\n",
        encoding="utf-8",
    )
    ok(sendwise_cli("contacts", "import", str(source), "--org", acme))
    exported = ok(sendwise_cli("contacts", "export", "--org", acme))
    assert exported.startswith("\ufeffemail,"), "a BOM, so that Excel reads the file as UTF-8"
    rows = list(csv.reader(io.StringIO(exported[1:])))
    assert rows[0] == [
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
    assert rows[1] == [
        "anna@mueller.de",
        "Schmidt, Anna",
        "Müller GmbH",
        "DE",
        "b2b",
        "purchasing",
        "lighting",
        "sample",
        "opt_in",
        "trade fair",
        "2026-03-10",
        "no",
    ]
    assert [r[0] for r in rows[1:]] == ["anna@mueller.de", "li@haier.cn", "x@y.com"]

    make_tenant("copy")
    again = tmp_path / "export.csv"
    again.write_text(exported, encoding="utf-8")
    assert "imported 3, updated 0, rejected 0" in ok(sendwise_cli("contacts", "import", str(again), "--org", "copy"))
    assert ok(sendwise_cli("contacts", "export", "--org", "copy")) == exported


def test_json_export_is_the_contract_shape_with_interactions(sendwise_cli, acme, database):
    with database.session() as session:
        org = queries.org_by_slug(session, acme)
        queries.upsert_contact(
            session,
            org,
            "anna@mueller.de",
            name="Anna Schmidt",
            country="DE",
            stage="sample",
            consent_status="opt_in",
            consent_date=date(2026, 3, 10),
            interactions=[
                dict(date=date(2026, 10, 2), direction="in", subject="Samples received", summary="Asked for 4000K")
            ],
        )
        queries.upsert_contact(session, org, "bob@x.com")
    exported = json.loads(ok(sendwise_cli("contacts", "export", "--org", acme, "--format", "json")))
    assert exported == {
        "contacts": [
            {
                "email": "anna@mueller.de",
                "name": "Anna Schmidt",
                "country": "DE",
                "stage": "sample",
                "consent": {"status": "opt_in", "date": "2026-03-10"},
                "unsubscribed": False,
                "interactions": [
                    {
                        "date": "2026-10-02",
                        "direction": "in",
                        "subject": "Samples received",
                        "summary": "Asked for 4000K",
                    }
                ],
            },
            {"email": "bob@x.com", "unsubscribed": False, "interactions": []},
        ]
    }


def test_export_of_an_empty_org_has_just_the_header(sendwise_cli, acme):
    assert ok(sendwise_cli("contacts", "export", "--org", acme)).splitlines() == [
        "\ufeffemail,name,company,country,kind,role,industry,stage,consent,consent_source,consent_date,unsubscribed"
    ]
    assert json.loads(ok(sendwise_cli("contacts", "export", "--org", acme, "--format", "json"))) == {"contacts": []}


# --- contacts erase --------------------------------------------------------


def test_erase_removes_contact_interactions_and_fingerprints_and_is_audited(
    sendwise_cli, make_tenant, make_app, database
):
    tenant = make_tenant("acme")
    with database.session() as session:
        org = session.get(Organisation, tenant.id)
        for email in ("anna@mueller.de", "bob@x.com"):
            queries.upsert_contact(
                session,
                org,
                email,
                name=email.split("@")[0].title(),
                interactions=[
                    dict(date=date(2026, 10, 2), direction="in", subject="Samples received", summary=None),
                    dict(date=date(2026, 10, 9), direction="out", subject="Quotation", summary=None),
                ],
            )
    with serving(make_app(DEMO_MODE=False)) as base:
        api = Http(base)
        for i, to in enumerate([["anna@mueller.de"], ["anna@mueller.de", "bob@x.com"], ["bob@x.com"]]):
            draft = tenant.draft_to(to[0])
            draft["to"] = [{"email": a} for a in to]
            reply = api.post_json("/api/v1/sent", {"draft": draft, "message_id": f"<m{i}@acme>"}, tenant.auth)
            assert reply.status == 201, reply.body[:300]

    result = sendwise_cli("contacts", "erase", "Anna@Mueller.de", "--org", "acme")
    out = ok(result)
    assert "erased anna@mueller.de from 'acme': 1 contact, " in out
    assert "2 sent messages; CRM syncs and imports will skip it" in out

    with database.session() as session:
        assert session.scalars(select(Contact.email)).all() == ["bob@x.com"]
        bob_id = session.scalar(select(Contact.id))
        left = session.scalars(select(Interaction.contact_id)).all()
        assert left and set(left) == {bob_id}, "only Bob's interactions remain"
        assert session.scalars(select(SentMessage.message_id)).all() == ["<m2@acme>"]
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.erase"))
        assert event is not None and event.actor.startswith("cli")
        org = session.get(Organisation, tenant.id)
        # Keyed: a plain sha256 of an address is undone by hashing a list of addresses.
        key = session.get(ErasureKey, org.id).salt
        assert event.detail["address_hash"] == store.address_hash(key, "anna@mueller.de")
        assert event.detail["address_hash"] != hashlib.sha256(b"anna@mueller.de").hexdigest()
        assert session.scalars(select(ErasedAddress.address_hash)).all() == [event.detail["address_hash"]]
        assert event.detail["contacts"] == 1 and event.detail["sent_messages"] == 2
        assert event.detail["interactions"] >= 2
        assert "anna@mueller.de" not in json.dumps(event.detail), "the audit log must not keep the address"
    assert "anna@mueller.de" not in ok(sendwise_cli("contacts", "export", "--org", "acme", "--format", "json"))


def test_an_erased_address_is_rejected_by_line_until_allowed_back(sendwise_cli, acme, database, tmp_path):
    ok(sendwise_cli("contacts", "erase", "anna@mueller.de", "--org", acme, "--force"))
    erased_on = SystemClock().now().date().isoformat()  # the erasure's date (not run at midnight)
    path = tmp_path / "list.csv"
    path.write_text(
        "email,name\n"
        "bob@x.com,Bob\n"
        " ANNA@Mueller.de ,Anna\n"  # the same address, written differently
        "hanna@mueller.de,Hanna\n",
        encoding="utf-8",
    )  # another address that contains it

    result = sendwise_cli("contacts", "import", str(path), "--org", acme)
    assert "imported 2, updated 0, rejected 1" in ok(result)
    assert result.stderr.decode().splitlines() == [
        f"list.csv:3: rejected: erased at the person's request on {erased_on}; remove it from the file or ask "
        "them to re-subscribe (then import with --allow-erased)"
    ]
    assert set(contacts_of(database, acme)) == {"bob@x.com", "hanna@mueller.de"}

    # She came back and consented again.
    allowed = sendwise_cli("contacts", "import", str(path), "--org", acme, "--allow-erased")
    assert ok(allowed).rstrip().endswith("imported 1, updated 2, rejected 0; 1 erased contact readmitted")
    assert allowed.stderr == b""
    assert contacts_of(database, acme)["anna@mueller.de"].name == "Anna"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ErasedAddress)) == 0
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contacts.import").order_by(AuditEvent.id.desc())
        ).first()
        assert event.detail["readmitted"] == 1
    # Off the list for good: a later import needs no flag.
    assert "rejected 0" in ok(sendwise_cli("contacts", "import", str(path), "--org", acme))


def test_an_erased_address_in_an_xlsx_is_rejected_too(sendwise_cli, acme, database, tmp_path):
    import openpyxl

    ok(sendwise_cli("contacts", "erase", "li@haier.cn", "--org", acme, "--force"))
    workbook = openpyxl.Workbook()
    workbook.active.append(["邮箱", "姓名"])
    workbook.active.append(["li@haier.cn", "李明"])
    path = tmp_path / "客户.xlsx"
    workbook.save(path)
    result = sendwise_cli("contacts", "import", str(path), "--org", acme)
    assert "imported 0, updated 0, rejected 1" in ok(result)
    assert result.stderr.decode().startswith("客户.xlsx:2: rejected: erased at the person's request on ")
    assert contacts_of(database, acme) == {}


def test_csv_export_defuses_formulas_and_imports_back_unchanged(sendwise_cli, acme, make_tenant, database, tmp_path):
    values = {
        "name": '=HYPERLINK("http://evil.example","Anna")',
        "company": "+49 Leuchten GmbH",
        "role": "-buyer",
        "industry": "@lighting",
        "consent_source": "'=already quoted",
    }
    with database.session() as session:
        org = queries.org_by_slug(session, acme)
        queries.upsert_contact(session, org, "anna@mueller.de", **values)
        queries.upsert_contact(session, org, "-dash@x.com", name="'plain apostrophe", company="a=b")
    exported = ok(sendwise_cli("contacts", "export", "--org", acme))
    rows = {r[0]: r for r in csv.reader(io.StringIO(exported[1:]))}
    assert rows["'-dash@x.com"][1:3] == ["'plain apostrophe", "a=b"]  # not formulas: left alone
    anna = rows["anna@mueller.de"]
    assert anna[1:3] == ['\'=HYPERLINK("http://evil.example","Anna")', "'+49 Leuchten GmbH"]
    assert (anna[5], anna[6], anna[9]) == ("'-buyer", "'@lighting", "''=already quoted")

    make_tenant("copy")
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8")
    assert "imported 2, updated 0, rejected 0" in ok(sendwise_cli("contacts", "import", str(path), "--org", "copy"))
    copied = contacts_of(database, "copy")
    assert {k: getattr(copied["anna@mueller.de"], k) for k in values} == values
    assert (copied["-dash@x.com"].name, copied["-dash@x.com"].company) == ("'plain apostrophe", "a=b")
    assert ok(sendwise_cli("contacts", "export", "--org", "copy")) == exported


def test_erase_of_an_address_that_is_not_a_contact_asks_for_force(sendwise_cli, acme, database):
    # A typo would otherwise go on the erased list, and the real address
    # stay, unnoticed.
    reason = one_line_error(sendwise_cli("contacts", "erase", "ghost@nowhere.de", "--org", acme))
    assert "ghost@nowhere.de is not a contact of 'acme'" in reason and "--force" in reason
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        assert store.erased_on(session, queries.org_by_slug(session, acme), ["ghost@nowhere.de"]) == {}


def test_forced_erase_of_an_unknown_address_says_so_and_is_audited(sendwise_cli, acme, database):
    assert "0 contacts, 0 interactions, 0 sent messages" in ok(
        sendwise_cli("contacts", "erase", "ghost@nowhere.de", "--org", acme, "--force")
    )
    with database.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "contact.erase"))
            == 1
        )


def test_erase_needs_an_address(sendwise_cli, acme):
    assert "not an email address" in one_line_error(sendwise_cli("contacts", "erase", "anna", "--org", acme))


def test_long_imports_show_a_progress_bar_on_a_terminal_only(sendwise_cli, acme, database_url, tmp_path):
    import os
    import pty
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    path = tmp_path / "long.csv"
    path.write_text("email\n" + "".join(f"buyer{i}@x{i % 40}.de\n" for i in range(6000)), encoding="utf-8")
    piped = sendwise_cli("contacts", "import", str(path), "--org", acme)
    assert "imported 6000" in ok(piped)
    assert piped.stderr == b"", "no progress bar when stderr is not a terminal"

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "backend.cli", "contacts", "import", str(path), "--org", acme],
            stdout=subprocess.PIPE,
            stderr=follower,
            cwd=PROJECT_ROOT,
            timeout=120,
            env={**os.environ, "DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8"},
        )
        os.close(follower)
        follower = None
        shown = drain(leader)
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)
    assert result.returncode == 0
    assert "updated 6000" in result.stdout.decode()
    assert b"checking long.csv" in shown and b"saving long.csv" in shown
