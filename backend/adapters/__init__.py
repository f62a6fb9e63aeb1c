"""The one place where outside payloads become the contract's analysis
request: `json_request` (HTTP body / JSON file) and `eml` (RFC 5322 draft).
Platform adapters (Office.js, Gmail events) will sit beside them.

Each adapter takes bytes (or a parsed payload) and returns a request dict,
or raises `backend.errors.BadRequest` with a one-line reason.
"""
