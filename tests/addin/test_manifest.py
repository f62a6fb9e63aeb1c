"""manifest.xml: valid against Microsoft's schema, internally consistent,
every FunctionName associated by the built on-send script, and written for
a deployment by `sendwise manifest`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from lxml import etree

from backend import manifest
from backend.errors import BadRequest
from tests.conftest import PROJECT_ROOT, Http, serving

SCHEMAS = Path(__file__).parent / "schemas" / "office"
NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "m": "http://schemas.microsoft.com/office/mailappversionoverrides",
    "m11": "http://schemas.microsoft.com/office/mailappversionoverrides/1.1",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
XSI_TYPE = f"{{{NS['xsi']}}}type"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(file=str(SCHEMAS / "OfficeAppManifestV1_1.xsd"))


def assert_valid(schema: etree.XMLSchema, text: str) -> etree._Element:
    doc = etree.fromstring(text.encode("utf-8"))
    if not schema.validate(doc):
        raise AssertionError("\n".join(f"line {e.line}: {e.message}" for e in schema.error_log))
    return doc


def test_the_schema_rejects_what_outlook_would(schema):
    # The validation below means something only if a broken manifest fails it.
    text = (
        (PROJECT_ROOT / "manifest.xml")
        .read_text(encoding="utf-8")
        .replace('SendMode="SoftBlock"', 'SendMode="HardBlock"')
    )
    with pytest.raises(AssertionError, match="SendMode"):
        assert_valid(schema, text)


def test_manifest_is_valid(schema):
    assert_valid(schema, (PROJECT_ROOT / "manifest.xml").read_text(encoding="utf-8"))


def test_manifest_declares_compose_pane_and_soft_blocking_on_send():
    doc = etree.parse(str(PROJECT_ROOT / "manifest.xml")).getroot()
    assert doc.get(XSI_TYPE) == "MailApp"
    assert doc.findtext("o:Permissions", namespaces=NS) == "ReadWriteItem"
    rule = doc.find(".//o:Rule/o:Rule", NS)
    assert (rule.get("ItemType"), rule.get("FormType")) == ("Message", "Edit")
    events = doc.findall(".//m11:LaunchEvent", NS)
    assert [(e.get("Type"), e.get("FunctionName"), e.get("SendMode")) for e in events] == [
        ("OnMessageSend", "onMessageSendHandler", "SoftBlock")
    ]
    runtime = doc.find(".//m11:Runtime", NS)
    assert runtime.find("m11:Override", NS).get("type") == "javascript"
    surfaces = [p.get(XSI_TYPE) for p in doc.findall(".//m11:ExtensionPoint", NS)]
    assert surfaces == ["MessageComposeCommandSurface", "LaunchEvent"]
    # commandId (open the pane from the Smart Alerts dialog) needs Mailbox 1.14.
    assert doc.find(".//m11:Requirements/bt:Sets", NS).get("DefaultMinVersion") == "1.14"


def test_every_resid_names_a_resource():
    doc = etree.parse(str(PROJECT_ROOT / "manifest.xml")).getroot()
    resources = {r.get("id") for r in doc.findall(".//m11:Resources//*[@id]", NS)}
    used = {e.get("resid") for e in doc.iter() if e.get("resid")}
    assert used and used <= resources, used - resources


def urls(text: str) -> dict[str, str]:
    doc = etree.fromstring(text.encode("utf-8"))
    return {u.get("id"): u.get("DefaultValue") for u in doc.findall(".//bt:Url", NS)}


def associated_functions(node: str, script: Path) -> list[str]:
    """Runs the built onsend.js in Node the way classic Outlook's
    JavaScript-only runtime does (one file, a global Office, no DOM) and
    returns the names it associates."""
    program = f"""
const names = [];
globalThis.Office = {{ actions: {{ associate(name, fn) {{ if (typeof fn !== "function") throw new Error(name); names.push(name); }} }} }};
require("vm").runInThisContext(require("fs").readFileSync({json.dumps(str(script))}, "utf8"));
process.stdout.write(JSON.stringify(names));
"""
    out = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_every_function_name_is_associated_by_the_on_send_script(addin_dist, node):
    doc = etree.parse(str(PROJECT_ROOT / "manifest.xml")).getroot()
    declared = {e.get("FunctionName") for e in doc.iter() if e.get("FunctionName")}
    declared |= {e.text for e in doc.iter(f"{{{NS['m11']}}}FunctionName", f"{{{NS['m']}}}FunctionName")}
    assert declared == {"onMessageSendHandler"}
    assert set(associated_functions(node, addin_dist / "onsend.js")) == declared


def test_on_send_script_is_one_file_without_imports(addin_dist):
    script = (addin_dist / "onsend.js").read_text(encoding="utf-8")
    assert not re.search(r"\bimport\s*[({\"'*]|\brequire\(|\bexport\s", script)
    # The pane button the dialog's commandId opens is the manifest's.
    doc = etree.parse(str(PROJECT_ROOT / "manifest.xml")).getroot()
    button = doc.find(".//m11:Control", NS).get("id")
    assert f'"{button}"' in script


def sendwise_cli(*args: str) -> subprocess.CompletedProcess:
    """The real command; it needs no database."""
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], capture_output=True, cwd=PROJECT_ROOT, timeout=120
    )


def test_sendwise_manifest_writes_a_deployment(schema):
    addin_id = str(uuid.uuid4())
    result = sendwise_cli("manifest", "--base-url", "https://sendwise.example.com/mail/", "--id", addin_id)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    doc = assert_valid(schema, text)
    assert doc.findtext("o:Id", namespaces=NS) == addin_id
    assert doc.findtext("o:AppDomains/o:AppDomain", namespaces=NS) == "https://sendwise.example.com/mail"
    assert "localhost" not in text
    assert urls(text) == {
        "Commands.Url": "https://sendwise.example.com/mail/addin/commands.html",
        "Taskpane.Url": "https://sendwise.example.com/mail/addin/taskpane.html?office=1",
        "WebViewRuntime.Url": "https://sendwise.example.com/mail/addin/commands.html",
        "JSRuntime.Url": "https://sendwise.example.com/mail/addin/onsend.js",
    }


def test_the_template_is_what_a_local_tls_server_gets():
    result = sendwise_cli("manifest", "--base-url", manifest.TEMPLATE_BASE)
    assert result.stdout.decode() == (PROJECT_ROOT / "manifest.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--base-url", "http://sendwise.example.com"], "HTTPS only"),
        (["--base-url", "sendwise.example.com"], "absolute https:// URL"),
        (["--base-url", "https://x.example/?a=1"], "scheme, host, port and path only"),
        (["--base-url", "https://x.example", "--id", "not-a-guid"], "must be a GUID"),
    ],
)
def test_sendwise_manifest_refuses_what_outlook_would_not_load(args, reason):
    result = sendwise_cli("manifest", *args)
    assert result.returncode == 2
    assert reason in result.stderr.decode()
    assert result.stdout == b""


def test_the_server_serves_the_manifest_for_its_own_address(schema, http):
    reply = http.get("/addin/manifest.xml")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/xml")
    assert reply.headers["Cache-Control"] == "no-cache"
    text = reply.body.decode()
    assert_valid(schema, text)
    assert urls(text)["JSRuntime.Url"] == f"{http.base}/addin/onsend.js"


# --- Office SSO: the Entra app in WebApplicationInfo -----------------------

CLIENT_ID = "6f1c2a3b-0000-4000-8000-00000000a11d"


def test_with_an_entra_app_the_manifest_names_it_for_office_sso(schema):
    text = manifest.render("https://sendwise.example.com", microsoft_client_id=CLIENT_ID)
    doc = assert_valid(schema, text)
    info = doc.find(".//m11:WebApplicationInfo", NS)
    assert info is not None
    assert info.findtext("m11:Id", namespaces=NS) == CLIENT_ID
    assert info.findtext("m11:Resource", namespaces=NS) == f"api://sendwise.example.com/{CLIENT_ID}"
    assert [s.text for s in info.findall("m11:Scopes/m11:Scope", NS)] == ["openid", "profile"]
    chosen = manifest.render(
        "https://sendwise.example.com", microsoft_client_id=CLIENT_ID, microsoft_audience="api://sso.example.com/x"
    )
    assert "<Resource>api://sso.example.com/x</Resource>" in chosen
    assert "WebApplicationInfo" not in manifest.render("https://sendwise.example.com")


def test_a_client_id_that_is_not_a_guid_is_refused():
    with pytest.raises(BadRequest, match="SENDWISE_MS_CLIENT_ID"):
        manifest.render("https://sendwise.example.com", microsoft_client_id="sendwise-app")


def test_sendwise_manifest_takes_the_app_from_the_environment(schema):
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "manifest", "--base-url", "https://sendwise.example.com"],
        capture_output=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        env={**os.environ, "SENDWISE_MS_CLIENT_ID": CLIENT_ID},
    )
    assert result.returncode == 0, result.stderr
    doc = assert_valid(schema, result.stdout.decode())
    assert doc.findtext(".//m11:WebApplicationInfo/m11:Id", namespaces=NS) == CLIENT_ID


def test_the_served_manifest_names_the_servers_app(schema, make_app, demo_org):
    with serving(make_app(MS_CLIENT_ID=CLIENT_ID)) as base:
        reply = Http(base).get("/addin/manifest.xml")
    doc = assert_valid(schema, reply.body.decode())
    assert doc.findtext(".//m11:WebApplicationInfo/m11:Resource", namespaces=NS) == f"api://{base[7:]}/{CLIENT_ID}"
