"""Mass-send patterns: one text to many customers, visible lists, Bcc blasts, bursts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from rapidfuzz import fuzz

from .. import fingerprint as fp
from ..i18n import N_
from ..message import Message
from ..text import segment
from .base import Hit, evidence


def exposed_recipients(m: Message, p: dict) -> Iterator[Hit]:
    """Recipients exposed to each other.

    What: Addresses of several external organisations are visible to each other in To or Cc, and the message is not a conversation among them: a broadcast (holiday notice, offer, newsletter), a greeting that addresses nobody by name, or customers of different companies shown to each other.
    Why: Every reader sees, and can copy, every other customer's address. A European or American buyer reads it as a circular that was not written for them, competitors learn your customer list, and under the GDPR an exposed recipient list is a personal-data breach: the UK regulator fined HIV Scotland and the Ministry of Defence for exactly this.
    Instead: Write to each customer separately, or at least move the addresses to Bcc. Send announcements to many customers through a mailing tool that handles consent and unsubscribes.
    """
    orgs: dict[str, list[str]] = {}
    for r in m.visible:
        orgs.setdefault(r.organisation, []).append(r.email)
    n = len(orgs)
    if n < p["min_organisations"]:
        return
    # Organisations the CRM knows as customers or prospects, i.e. not a forwarder or inspector.
    customers = {r.organisation for r in m.visible if r.contact and r.contact.stage}
    broadcast = m.commercial or m.greeting.kind != "names"
    conversation = m.in_thread and not m.commercial and m.greeting.kind != "mass"
    if n >= p["always_organisations"] or len(customers) >= 2 or (broadcast and not conversation):
        yield Hit(
            N_("{count} external organisations can see each other's addresses in To/Cc."),
            N_("Send each customer a separate email, or move the recipients to Bcc."),
            {"count": n},
            evidence=[evidence(r.field, r.email) for r in m.visible],
            recipients=[r.email for r in m.visible],
        )


def bulk_bcc(m: Message, p: dict) -> Iterator[Hit]:
    """Bcc blast.

    What: Many external recipients are in Bcc.
    Why: A Bcc blast is a bulk mailing sent from a personal mailbox: the readers can tell it was not written for them, mailbox providers notice the batch and start filtering the whole company domain, and bulk marketing needs recorded consent and unsubscribe handling that a mailbox cannot give.
    Instead: Write personal emails to the few customers this really concerns. For a real newsletter, use a marketing tool with consent records, an unsubscribe link and its own sending domain.
    """
    bcc = [r for r in m.recipients if r.field == "bcc"]
    if len(bcc) >= p["min_recipients"]:
        yield Hit(
            N_("{count} external recipients are in Bcc: this is a bulk mailing from a personal mailbox."),
            N_("Send personal emails to the customers it concerns; use a marketing tool for newsletters."),
            {"count": len(bcc)},
            evidence=[evidence("bcc", r.email) for r in bcc],
            recipients=[r.email for r in bcc],
        )


def template_reuse(m: Message, p: dict) -> Iterator[Hit]:
    """Same text sent to many customers.

    What: Apart from the greeting and the signature, the body is near-identical to messages that anyone in the organisation sent to other external recipients in the last days.
    Why: Spam filters compare messages across recipients: the same text arriving at many companies is scored as a campaign, and its replies and reputation suffer. Buyers also compare notes, and an email that could have gone to anyone gets the answer anyone would give.
    Instead: Rewrite the opening for this customer: what you know of their business, their market, their last order or question. Keep the shared facts short.
    """
    s = m.segments
    core = fp.normalize(s.content)
    if len(core.split()) < p["min_words"]:
        return
    since = m.ctx.now - timedelta(days=p["window_days"])
    own = {r.email for r in m.recipients} | {a.email for a in m.internal_recipients}
    threshold = p["similarity"]
    recipients: set[str] = set()
    senders: set[str] = set()
    for h in m.history_since(timedelta(days=p["window_days"])):
        others = [a for a in h.to if a not in own and not m.is_internal(a)]
        if not others:
            continue
        other_core = fp.normalize(segment(h.body).content)
        if fuzz.ratio(core, other_core, score_cutoff=threshold * 100):
            recipients.update(others)
            senders.add(h.sender)
    if m.sent_index is not None:
        for rec in m.sent_index.lookup(fp.fingerprint(s.content), since, threshold):
            others = [a for a in rec.recipients if a not in own and not m.is_internal(a)]
            if others:
                recipients.update(others)
                senders.add(rec.sender)
    if len(recipients) >= p["min_recipients"]:
        yield Hit(
            N_(
                "Near-identical text went to {recipients} other recipients from {senders} sender(s) "
                "in the last {days} days."
            ),
            N_("Rewrite the opening for this customer: their business, their last order or question."),
            {"recipients": len(recipients), "senders": max(len(senders), 1), "days": p["window_days"]},
            evidence=[evidence("body", s.content.strip()[:120], s.content_start, s.content_end)],
            recipients=[r.email for r in m.recipients],
        )


def send_burst(m: Message, p: dict) -> Iterator[Hit]:
    """Sending burst.

    What: The sender has sent many external messages in the last hour.
    Why: Mailbox providers rate-limit and filter senders whose volume jumps; a burst from one person's mailbox looks like a campaign run by hand and drags down the delivery of ordinary quotes and invoices from the same domain.
    Instead: Slow down and prioritise the customers who are waiting for an answer; put campaign mail into a marketing tool.
    """
    if m.draft.sender is None:
        return
    window = timedelta(minutes=p["window_minutes"])
    sender = m.draft.sender.email
    count = sum(1 for h in m.history_since(window) if h.sender == sender and any(not m.is_internal(a) for a in h.to))
    if m.sent_index is not None:
        count += m.sent_index.count_sent(sender, m.ctx.now - window)
    if count >= p["min_messages"]:
        yield Hit(
            N_("You sent {count} external messages in the last {minutes} minutes."),
            N_("Pause and answer waiting customers first; send campaigns through a marketing tool."),
            {"count": count, "minutes": p["window_minutes"]},
        )
