"""/api/v1/contacts: what the CRM knows about a contact of the caller's
organisation (the task pane shows it next to each recipient)."""

from __future__ import annotations

from flask import jsonify

from backend import db
from backend.api import bp
from backend.auth import current_caller
from backend.errors import ApiError
from backend.storage import queries
from backend.storage.context import contact_to_contract


@bp.get("/contacts/<path:email>")
def contact(email: str):
    """One contact of the caller's organisation, in the contract's
    `context.contacts[]` shape with its interactions. The address is
    matched case-insensitively.

    200: the contact. 401: unauthorized. 404: not_found (no such contact in
    the caller's organisation, whether or not another organisation has one).
    """
    caller = current_caller()
    found = queries.contacts_by_email(db.session(), caller.org, [email.strip()])
    if not found:
        raise ApiError(404, "not_found", "no contact with that address in your organisation")
    return jsonify(contact_to_contract(found[0]))
