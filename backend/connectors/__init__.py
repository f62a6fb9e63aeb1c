"""CRM connectors: copy what a CRM knows about contacts into the store.

Each CRM hides behind one module (`hubspot.py`) that speaks only its own API
and yields pages of `base.CrmContact` in the contract's terms. `sync.py`
writes those pages into an organisation's store and records how the sync
went (`crm_syncs`); `status.py` turns that record into the report's `crm`
key. Analysis reads contacts from the store, never live from a CRM, so a CRM
that is down or misconfigured can only make the context stale or absent,
never make analysis fail.

Nothing outside this package imports a CRM SDK.
"""
