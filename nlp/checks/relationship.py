"""Relationship: is there any history with the reader before this pitch?"""

from __future__ import annotations

from collections.abc import Iterator

from ..i18n import N_
from ..message import Message
from .base import Hit


def cold_contact(m: Message, p: dict) -> Iterator[Hit]:
    """Cold contact.

    What: No earlier exchange with the recipient is known — neither in the CRM nor in the mail history — and the message is a sales pitch.
    Why: Cold offers from unknown foreign suppliers are mostly ignored or reported as spam in Europe and North America, and in several countries they need consent first. A contact who has met you or asked you something reads your email.
    Instead: Warm up first: connect on LinkedIn, meet at a trade fair, answer an enquiry from your website, or ask a mutual customer for an introduction — then refer to it in the first line.
    """
    if not m.commercial or m.in_thread:
        return
    cold = [r for r in m.recipients if r.relationship in ("cold", "contacted")]
    if cold:
        yield Hit(
            N_("No earlier exchange with {recipients} is known: this is a cold sales email."),
            N_("Warm up first (LinkedIn, trade fair, website enquiry, referral) and mention it in the first line."),
            {"recipients": [r.email for r in cold]},
            recipients=[r.email for r in cold],
        )
