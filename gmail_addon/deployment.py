"""The deployment descriptor for `gcloud workspace-add-ons deployments
create NAME --deployment-file=deployment.json`: where Google calls
sendwise, for which Gmail surfaces, with which OAuth scopes.

Only the scopes the features need, each for one reason:
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

SCOPES = {
    # Run as a Gmail add-on at all.
    "https://www.googleapis.com/auth/gmail.addons.execute": "run in Gmail",
    # The compose trigger, its recipients (draftAccess METADATA) and the update-draft actions.
    "https://www.googleapis.com/auth/gmail.addons.current.action.compose": "check recipients, insert lines",
    # The From header of the opened message, for the contextual card.
    "https://www.googleapis.com/auth/gmail.addons.current.message.metadata": "who sent the opened message",
    # 'Check my draft': drafts.list/get, the narrowest scope that reads drafts (no inbox access).
    "https://www.googleapis.com/auth/gmail.compose": "read the draft being written",
    # The user's ID token with a verified email address: who the user is, which organisation.
    "openid": "identify the user",
    "https://www.googleapis.com/auth/userinfo.email": "the user's email address, for the organisation",
}


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; ValueError unless https://HOST[/path]."""
    parts = urlsplit(base_url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL with a host (Google calls add-ons only over HTTPS)")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment")
    return base_url.strip().rstrip("/")


def deployment(base_url: str, *, name: str = "sendwise") -> dict[str, Any]:
    base = check_base_url(base_url)
    logo = f"{base}/addin/icon-128.png"
    return {
        "oauthScopes": list(SCOPES),
        "addOns": {
            "common": {
                "name": name,
                "logoUrl": logo,
                "layoutProperties": {"primaryColor": "#0f6cbd"},
                "homepageTrigger": {"runFunction": f"{base}/gmail/homepage", "enabled": True},
            },
            "gmail": {
                "contextualTriggers": [{"unconditional": {}, "onTriggerFunction": f"{base}/gmail/contextual"}],
                "composeTrigger": {
                    "actions": [{"runFunction": f"{base}/gmail/compose", "label": name, "logoUrl": logo}],
                    "draftAccess": "METADATA",
                },
            },
            "httpOptions": {"authorizationHeader": "SYSTEM_ID_TOKEN"},
        },
    }
