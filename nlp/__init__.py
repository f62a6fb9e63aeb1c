"""sendwise analysis engine: an analysis request in, a report out (see the contract).

    from nlp import analyze
    report = analyze({"draft": {...}, "context": {...}})

The engine is pure: no Flask, no database, no network. Storage-backed context
(policy, contacts, the organisation's sent fingerprints) is passed in by the
caller.
"""

from .checks import CODES
from .contract import AnalysisRequest, parse_request
from .engine import SentFingerprint, analyze, company_mentions, explain, sent_fingerprint, warm_up
from .errors import InvalidRequest

__all__ = [
    "CODES",
    "AnalysisRequest",
    "InvalidRequest",
    "SentFingerprint",
    "analyze",
    "company_mentions",
    "explain",
    "parse_request",
    "sent_fingerprint",
    "warm_up",
]
