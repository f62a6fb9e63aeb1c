"""The dashboard's template clusters: how many messages of one text, to how
many recipients, from how many senders, counted from the band index."""

from __future__ import annotations

from datetime import timedelta

from backend.storage import activity, queries, sent
from nlp.fingerprint import fingerprint

TEMPLATE = (
    "We are a manufacturer of LED panel lights with CE and RoHS certification and would like to send you "
    "our new catalogue and price list for the coming season with samples for your testing."
)


def test_clusters_count_messages_recipients_and_senders_of_one_text(database, clock):
    now = clock.now()
    with database.session() as session:
        org = queries.upsert_org(session, "clusters", now, name="Clusters", domains=["bw.cn"], policy={})
        other = queries.upsert_org(session, "elsewhere", now, name="Elsewhere", domains=["ew.cn"], policy={})
        shared, unique = fingerprint(TEMPLATE), fingerprint("Dear Anna, the samples left today by DHL.")
        for i in range(6):  # one text from three colleagues to six customers, one of them twice
            to = [f"buyer{min(i, 4)}@customer{min(i, 4)}.de"]
            sent.record(session, org, sender=f"sales{i % 3}@bw.cn", recipients=to, sent_at=now, fingerprint=shared)
        sent.record(session, org, sender="sales0@bw.cn", recipients=["x@y.de"], sent_at=now, fingerprint=unique)
        old = now - timedelta(days=20)
        sent.record(session, org, sender="sales9@bw.cn", recipients=["z@y.de"], sent_at=old, fingerprint=shared)
        for i in range(4):  # the same text in another organisation is not this one's cluster
            sent.record(session, other, sender="a@ew.cn", recipients=[f"c{i}@d.de"], sent_at=now, fingerprint=shared)
        session.commit()
        clusters = activity.template_clusters(session, org, now - timedelta(days=14))
    assert clusters == [activity.Cluster(messages=6, recipients=5, senders=3)]
