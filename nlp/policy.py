"""An organisation's policy: per finding code a severity and thresholds, and
what the on-send check does. One typed model, built from the check table, so
a new threshold is validated and documented where it is declared.

Three ways a policy is read, for three kinds of source:
  validate(raw)      a policy being written (CLI, admin page, a request's
                     inline policy): anything wrong is refused with the key
                     and the allowed values named.
  effective(raw)     a policy read back from storage: a value that no longer
                     validates (after an upgrade) falls back to its default,
                     with a warning for the report, never a failed request.
  tighten(base, raw) an inline policy on top of the stored one: it may make
                     checks stricter for one request, never weaker.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .checks import REGISTRY, SEVERITY_RANK, Check

SEVERITIES = ("off", "info", "warn", "block")
Severity = Literal["off", "info", "warn", "block"]


class PolicyError(ValueError):
    """A policy that cannot be written; `str()` names the key and the allowed values."""


class OnSend(BaseModel):
    """What the mailbox's on-send check does (the Outlook add-in reads it from the report)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    review: Literal["send", "hold_once"] = Field(
        "send",
        description="a draft with warnings: send it, or hold it once and show the reasons (the user may then send)",
    )
    unreachable: Literal["send", "hold"] = Field(
        "send",
        description="sendwise cannot be reached in time: send anyway (fail open) or hold the message (fail closed)",
    )
    override: Literal["with_reason", "never"] = Field(
        "with_reason",
        description="a writer may dismiss a finding by giving a written reason (kept in the audit log), or never",
    )


def _rule_model(check: Check) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "severity": (Severity | None, Field(None, description=f"default {check.severity}")),
    }
    for name, t in check.thresholds.items():
        fields[name] = (
            t.kind | None,
            Field(
                None,
                ge=t.minimum,
                le=t.maximum,
                description=f"{t.description}, in {t.unit}; default {t.default}, allowed {t.minimum} to {t.maximum}",
            ),
        )
    return create_model(
        "Rule_" + check.code.replace(".", "_"),
        __config__=ConfigDict(extra="forbid", strict=True),
        **fields,
    )


RULES: dict[str, type[BaseModel]] = {code: _rule_model(check) for code, check in REGISTRY.items()}

_RULE_FIELDS: dict[str, Any] = {
    code.replace(".", "__"): (rule | None, Field(None, alias=code)) for code, rule in RULES.items()
}
Policy: type[BaseModel] = create_model(
    "Policy",
    __config__=ConfigDict(extra="forbid", populate_by_name=True),
    on_send=(OnSend, Field(default_factory=OnSend)),
    **_RULE_FIELDS,
)
"""The policy as one model; its JSON Schema is what `sendwise schema policy` prints."""


def validate(raw: Any) -> dict[str, Any]:
    """The policy `raw` (a dict as stored: `{code: {severity, threshold...}, "on_send": {...}}`)
    without unset keys, or `PolicyError` naming the first wrong key."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyError("the policy must be an object of finding codes")
    try:
        model = Policy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(_message(exc.errors()[0])) from None
    out = model.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    return {k: v for k, v in out.items() if v}


def effective(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """The stored policy `raw` with every key that does not validate dropped
    (its default applies), and one warning per dropped key."""
    if not isinstance(raw, dict):
        return {}, ["the stored policy is not an object; the defaults apply"] if raw else []
    out: dict[str, Any] = {}
    warnings: list[str] = []
    for code, rule in raw.items():
        if not isinstance(rule, dict):
            warnings.append(f"{code}: not an object; the defaults apply")
            continue
        kept: dict[str, Any] = {}
        for key, value in rule.items():
            try:
                kept.update(validate({code: {key: value}}).get(code, {}))
            except PolicyError as exc:
                warnings.append(f"{exc}; the default applies")
        if kept:
            out[code] = kept
    return out, warnings


def tighten(base: dict[str, Any], raw: Any) -> dict[str, Any]:
    """`base` (a valid policy) with the inline policy `raw` applied only
    where it makes the checks stricter: a higher severity, a threshold moved
    in its stricter direction, holding where base sends. `PolicyError` if
    `raw` is not a valid policy."""
    inline = validate(raw)
    out = {code: dict(rule) for code, rule in base.items()}
    for code, rule in inline.items():
        merged = out.setdefault(code, {})
        if code == "on_send":
            defaults = OnSend().model_dump()
            for key, value in rule.items():
                if merged.get(key, defaults[key]) == "send":
                    merged[key] = value
            continue
        check = REGISTRY[code]
        for key, value in rule.items():
            if key == "severity":
                current = merged.get("severity", check.severity)
                if SEVERITY_RANK[value] > SEVERITY_RANK[current]:
                    merged["severity"] = value
                continue
            t = check.thresholds[key]
            current = merged.get(key, t.default)
            if (value < current) if t.stricter == "lower" else (value > current):
                merged[key] = value
    return {code: rule for code, rule in out.items() if rule}


def on_send(policy: dict[str, Any]) -> dict[str, str]:
    """The on-send settings of a valid policy, defaults filled in."""
    return OnSend.model_validate(policy.get("on_send", {})).model_dump()


def severity(policy: dict[str, Any], code: str) -> str:
    """The severity of finding `code` under a valid policy."""
    return policy.get(code, {}).get("severity") or REGISTRY[code].severity


def outcome(policy: dict[str, Any], codes: Iterable[str]) -> str:
    """What happens on send to a message whose checks raised `codes`, under
    a valid policy: "held" (a blocking finding, or a warning where warnings
    hold once), "warned" (a warning, sent anyway) or "ok". The same rule as
    the report's verdict and the add-ins' on-send check, so recorded
    sends can be judged again under a policy that is only proposed."""
    worst = max((SEVERITY_RANK[severity(policy, c)] for c in codes if c in REGISTRY), default=0)
    if worst >= SEVERITY_RANK["block"]:
        return "held"
    if worst == SEVERITY_RANK["warn"]:
        return "held" if on_send(policy)["review"] == "hold_once" else "warned"
    return "ok"


def probe(policy: dict[str, Any]) -> dict[str, Any]:
    """An inline policy that turns every check switched off in `policy` on
    at "info": the codes a message raises with it are what any severity
    change would act on, while its verdict stays that of `policy`."""
    return {code: {"severity": "info"} for code in REGISTRY if severity(policy, code) == "off"}


def describe(policy: dict[str, Any]) -> dict[str, Any]:
    """Every setting of a valid policy with its value, defaults filled in, for display."""
    out: dict[str, Any] = {"on_send": on_send(policy)}
    for code, check in REGISTRY.items():
        rule = policy.get(code, {})
        out[code] = {"severity": rule.get("severity", check.severity)} | {
            name: rule.get(name, t.default) for name, t in check.thresholds.items()
        }
    return out


def schema() -> dict[str, Any]:
    """JSON Schema of the policy."""
    return Policy.model_json_schema(by_alias=True)


def _message(error: Any) -> str:
    loc = [str(p) for p in error["loc"]]
    key = ".".join(loc)
    value = error.get("input")
    kind = error["type"]
    if kind == "extra_forbidden":
        if len(loc) == 1:
            return f"{key}: unknown finding code (known: on_send, {', '.join(REGISTRY)})"
        parent = loc[0]
        allowed = list(OnSend.model_fields) if parent == "on_send" else ["severity", *REGISTRY[parent].thresholds]
        return f"{key}: unknown setting (allowed: {', '.join(allowed)})"
    if kind == "literal_error":
        return f"{key}: {value!r} is not allowed (one of: {error['ctx']['expected']})"
    if kind in ("greater_than_equal", "less_than_equal"):
        code, name = loc[0], loc[-1]
        t = REGISTRY[code].thresholds[name]
        return f"{key}: {value!r} is out of range (allowed: {t.minimum} to {t.maximum} {t.unit})"
    if kind in ("int_type", "int_from_float"):
        return f"{key}: {value!r} is not allowed (a whole number)"
    if kind in ("float_type",):
        return f"{key}: {value!r} is not allowed (a number)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{key}: must be an object"
    return f"{key}: {error['msg']}"
