"""The Gmail add-on's own logic: Google's event JSON read into a typed
event (`event`), the cards and action responses built from a report
(`cards`, `responses`), their words in English and Chinese (`text`), and
the deployment descriptor (`deployment`).

No Flask, no database, no network: the blueprint in backend/gmail.py
verifies the caller, runs the analysis and calls these.
"""
