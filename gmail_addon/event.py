"""Google's add-on event JSON -> `AddonEvent`.

An HTTP add-on receives one JSON object per trigger or action:

    {"commonEventObject": {"hostApp": "GMAIL", "platform": "WEB", "userLocale": "zh-CN",
                           "timeZone": {"id": "Asia/Shanghai", "offset": 28800000},
                           "parameters": {"k": "v"},
                           "formInputs": {"draft_text": {"stringInputs": {"value": ["..."]}}}},
     "authorizationEventObject": {"userOAuthToken": "...", "userIdToken": "...", "systemIdToken": "..."},
     "gmail": {"messageId": "...", "threadId": "...", "accessToken": "...",
               "toRecipients": ["a@x.de"], "ccRecipients": [], "bccRecipients": []}}

Every part is optional except the object itself; anything of the wrong
type is an `EventError` naming the field (the blueprint answers 400).
Tokens are kept as opaque strings: verifying them is the backend's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The contract's own limit on recipients; a longer list is refused before analysis.
MAX_RECIPIENTS = 5000
MAX_ADDRESS = 320
MAX_PARAMETER = 10_000
# A pasted draft: the contract's body limit.
MAX_FORM_TEXT = 1_000_000
MAX_TOKEN = 20_000


class EventError(ValueError):
    """The event is not what Google sends; `str()` names the field."""


@dataclass(frozen=True)
class AddonEvent:
    locale: str = "en"  # "en" | "zh-CN", from commonEventObject.userLocale
    host_app: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    form_inputs: dict[str, list[str]] = field(default_factory=dict)
    user_oauth_token: str | None = None
    user_id_token: str | None = None
    system_id_token: str | None = None
    message_id: str | None = None
    thread_id: str | None = None
    gmail_access_token: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    has_recipients: bool = False  # the event carried recipient lists (compose with METADATA access)

    def form_text(self, name: str) -> str | None:
        """The first value of a text input, or None when it is absent or blank."""
        values = self.form_inputs.get(name) or []
        text = values[0] if values else ""
        return text if text.strip() else None


def pick_locale(user_locale: str | None) -> str:
    """Gmail's user locale (`zh-CN`, `zh_TW`, `en-GB`, ...) to one of ours."""
    return "zh-CN" if (user_locale or "").strip().lower().startswith("zh") else "en"


def parse_event(payload: Any) -> AddonEvent:
    if not isinstance(payload, dict):
        raise EventError("the event must be a JSON object")
    common = _object(payload, "commonEventObject")
    auth = _object(payload, "authorizationEventObject")
    gmail = _object(payload, "gmail")
    recipients = {
        key: _addresses(gmail, f"{key}Recipients") for key in ("to", "cc", "bcc") if f"{key}Recipients" in gmail
    }
    if sum(len(v) for v in recipients.values()) > MAX_RECIPIENTS:
        raise EventError(f"too many recipients (limit {MAX_RECIPIENTS})")
    return AddonEvent(
        locale=pick_locale(_string(common, "userLocale", "commonEventObject", 64)),
        host_app=_string(common, "hostApp", "commonEventObject", 64),
        parameters=_parameters(common),
        form_inputs=_form_inputs(common),
        user_oauth_token=_string(auth, "userOAuthToken", "authorizationEventObject", MAX_TOKEN),
        user_id_token=_string(auth, "userIdToken", "authorizationEventObject", MAX_TOKEN),
        system_id_token=_string(auth, "systemIdToken", "authorizationEventObject", MAX_TOKEN),
        message_id=_string(gmail, "messageId", "gmail", 256),
        thread_id=_string(gmail, "threadId", "gmail", 256),
        gmail_access_token=_string(gmail, "accessToken", "gmail", MAX_TOKEN),
        to=recipients.get("to", ()),
        cc=recipients.get("cc", ()),
        bcc=recipients.get("bcc", ()),
        has_recipients=bool(recipients),
    )


def _object(parent: dict, key: str) -> dict:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EventError(f"'{key}' must be an object")
    return value


def _string(parent: dict, key: str, where: str, limit: int) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise EventError(f"'{where}.{key}' must be a string")
    if len(value) > limit:
        raise EventError(f"'{where}.{key}' is longer than {limit} characters")
    return value or None


def _addresses(gmail: dict, key: str) -> tuple[str, ...]:
    value = gmail.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise EventError(f"'gmail.{key}' must be a list of addresses")
    out = []
    for item in value:
        if not isinstance(item, str):
            raise EventError(f"'gmail.{key}' must contain only strings")
        if len(item) > MAX_ADDRESS:
            raise EventError(f"an address in 'gmail.{key}' is longer than {MAX_ADDRESS} characters")
        if item.strip():
            out.append(item.strip())
    return tuple(out)


def _parameters(common: dict) -> dict[str, str]:
    raw = common.get("parameters")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise EventError("'commonEventObject.parameters' must be an object")
    out = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise EventError(f"'commonEventObject.parameters.{key}' must be a string")
        if len(value) > MAX_PARAMETER:
            raise EventError(f"'commonEventObject.parameters.{key}' is longer than {MAX_PARAMETER} characters")
        out[key] = value
    return out


def _form_inputs(common: dict) -> dict[str, list[str]]:
    raw = common.get("formInputs")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise EventError("'commonEventObject.formInputs' must be an object")
    out: dict[str, list[str]] = {}
    for name, value in raw.items():
        where = f"commonEventObject.formInputs.{name}"
        if not isinstance(value, dict):
            raise EventError(f"'{where}' must be an object")
        strings = value.get("stringInputs")
        if strings is None:
            continue  # date/time inputs: none of ours
        values = strings.get("value") if isinstance(strings, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise EventError(f"'{where}.stringInputs.value' must be a list of strings")
        if sum(len(v) for v in values) > MAX_FORM_TEXT:
            raise EventError(f"'{where}' is longer than {MAX_FORM_TEXT} characters")
        out[name] = list(values)
    return out
