"""What a send's finding codes come to under a policy (the rule the
simulation and the add-ins share), and the probe that records codes of
checks a policy switches off."""

from __future__ import annotations

from nlp import policy as P

GREETING = "personalization.generic_greeting"  # warn by default
MERGE = "personalization.merge_field_unfilled"  # block by default
SPAM = "deliverability.spam_phrases"  # info by default


def test_outcome_follows_the_worst_severity():
    assert P.outcome({}, []) == "ok"
    assert P.outcome({}, [SPAM]) == "ok"
    assert P.outcome({}, [SPAM, GREETING]) == "warned"
    assert P.outcome({}, [GREETING, MERGE]) == "held"


def test_a_warning_holds_where_the_policy_holds_once():
    assert P.outcome({"on_send": {"review": "hold_once"}}, [GREETING]) == "held"
    assert P.outcome({"on_send": {"review": "hold_once"}}, [SPAM]) == "ok"


def test_codes_switched_off_or_unknown_do_not_count():
    assert P.outcome({MERGE: {"severity": "off"}}, [MERGE]) == "ok"
    assert P.outcome({}, ["no.such_code"]) == "ok"
    assert P.outcome({SPAM: {"severity": "block"}}, [SPAM]) == "held"


def test_the_probe_turns_on_only_what_is_off():
    policy = {GREETING: {"severity": "off"}, MERGE: {"severity": "warn"}}
    assert P.probe(policy) == {GREETING: {"severity": "info"}}
    assert P.probe({}) == {}
    # As an inline policy it only tightens, so the stored verdict stands.
    assert P.tighten(policy, P.probe(policy))[GREETING] == {"severity": "info"}
