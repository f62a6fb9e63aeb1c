"""What a proposed policy would change, before it is saved: over the
organisation's recorded sends of the last days, and over the sample drafts
in `examples/`.

Recorded sends keep no text, only the finding codes each raised with every
check on (`SentMessage.codes`), so they are judged again exactly for
severities and on-send settings; a threshold acts on the text and on the
mail sent before it, so a threshold change counts there as it stood when the
message was sent. The sample drafts keep their text and are analysed afresh
under both policies, thresholds included.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import analysis
from backend.errors import BadRequest
from backend.storage.models import Organisation, SentMessage, SentRecipient

OUTCOMES = ("ok", "warned", "held")
LISTED = 50  # changed sends named on the page, newest first


@dataclass(frozen=True)
class ChangedSend:
    sent_at: datetime
    sender: str
    recipients: int
    before: str
    after: str
    codes: tuple[str, ...]  # the codes whose severity decides the difference


@dataclass
class RecordedEffect:
    days: int
    sends: int = 0  # analysed sends in the window
    unanalysed: int = 0  # recorded without codes: not judged
    before: Counter[str] = field(default_factory=Counter)
    after: Counter[str] = field(default_factory=Counter)
    changed: int = 0
    listed: list[ChangedSend] = field(default_factory=list)


@dataclass(frozen=True)
class ExampleEffect:
    name: str
    before: str
    after: str
    codes_before: tuple[str, ...]
    codes_after: tuple[str, ...]


def over_recorded(
    session: Session,
    org: Organisation,
    current: dict[str, Any],
    proposed: dict[str, Any],
    now: datetime,
    days: int = 30,
) -> RecordedEffect:
    """Outcomes of the sends recorded in the last `days` under `current`
    and under `proposed` (both valid policies), with the newest sends whose
    outcome would change. One grouped query: the outcome depends only on a
    send's set of codes, and an organisation's sends share few such sets."""
    from nlp import policy as P

    since = now - timedelta(days=days)
    window = (SentMessage.org_id == org.id, SentMessage.sent_at >= since)
    effect = RecordedEffect(days=days)
    changed: dict[str, tuple[str, str]] = {}
    for codes, count in session.execute(
        select(SentMessage.codes, func.count()).where(*window).group_by(SentMessage.codes)
    ):
        if codes is None:
            effect.unanalysed += count
            continue
        listed = codes.split()
        before, after = P.outcome(current, listed), P.outcome(proposed, listed)
        effect.sends += count
        effect.before[before] += count
        effect.after[after] += count
        if before != after:
            effect.changed += count
            changed[codes] = (before, after)
    if not changed:
        return effect
    rows = session.execute(
        select(SentMessage.id, SentMessage.sent_at, SentMessage.sender, SentMessage.codes)
        .where(*window, SentMessage.codes.in_(changed))
        .order_by(SentMessage.sent_at.desc(), SentMessage.id.desc())
        .limit(LISTED)
    ).all()
    counts = dict(
        session.execute(
            select(SentRecipient.sent_id, func.count())
            .where(SentRecipient.sent_id.in_([r.id for r in rows]))
            .group_by(SentRecipient.sent_id)
        ).all()
    )
    for row in rows:
        before, after = changed[row.codes]
        deciding = tuple(c for c in row.codes.split() if P.severity(current, c) != P.severity(proposed, c))
        effect.listed.append(ChangedSend(row.sent_at, row.sender, counts.get(row.id, 0), before, after, deciding))
    return effect


def over_examples(
    directory: Path,
    domains: list[str],
    postal_address: str | None,
    current: dict[str, Any],
    proposed: dict[str, Any],
    now: datetime,
) -> list[ExampleEffect]:
    """Each sample draft (`*.json` analysis requests in `directory`)
    analysed under both policies, as a draft from an organisation with
    these `domains` and `postal_address`, to recipients it has no record of."""
    from nlp import policy as P

    effects = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else ():
        try:
            request = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(request, dict) or not isinstance(request.get("draft"), dict):
            continue
        codes = []
        for policy in (current, proposed):
            org_context = {"domains": domains or None, "postal_address": postal_address, "policy": policy}
            context = dict(request.get("context") or {}) | {"org": org_context}
            try:
                report = analysis.analyze({"draft": request["draft"], "context": context}, now=now)
            except BadRequest:
                break
            codes.append(tuple(f["code"] for f in report["findings"]))
        if len(codes) == 2:
            before, after = P.outcome(current, codes[0]), P.outcome(proposed, codes[1])
            effects.append(ExampleEffect(path.stem, before, after, codes[0], codes[1]))
    return effects
