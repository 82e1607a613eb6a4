"""Previews kept in the session under a one-time token, for the wizards of issue 15 (reship, return order)
and the receive screen: the submit sends exactly what was previewed, with the order version it was previewed
on, and a token submitted twice is refused before it reaches a service (console.services.claim_wizard_token)."""

import secrets

from django.contrib import messages

from console.services import claim_wizard_token

SESSION_KEY = "console_previews"
# Previews kept per session: enough for a few tabs, small enough to keep the session light.
KEEP = 8


def keep(request, *, kind: str, summary_id: int, version: int, data: dict) -> str:
    token = secrets.token_urlsafe(24)
    previews = request.session.get(SESSION_KEY, {})
    previews[token] = {"summary_id": summary_id, "kind": kind, "version": version, "data": data}
    request.session[SESSION_KEY] = dict(list(previews.items())[-KEEP:])
    return token


def find(request, token: str, *, kind: str, summary_id: int, consume: bool = False,
         session_key: str = SESSION_KEY) -> dict | None:
    """The preview kept under `token` for this summary and kind (taken out with `consume`), or None."""
    previews = request.session.get(session_key, {})
    stored = previews.get(token)
    if stored is None or stored["summary_id"] != summary_id or stored["kind"] != kind:
        return None
    if consume:
        previews.pop(token)
        request.session[session_key] = previews
    return stored


def claim(request, token: str, *, kind: str, summary_id: int, what: str) -> dict | None:
    """The preview to submit, taken out of the session and its token claimed; None (the agent told why) when
    it was submitted already or has expired. `what` names the thing in the messages ("reshipment")."""
    stored = find(request, token, kind=kind, summary_id=summary_id, consume=True)
    if stored is None:
        messages.info(request, f"That preview was already submitted or has expired: no other {what} was made. "
                               "Check the order below.")
        return None
    if not claim_wizard_token(token, user=request.user, summary_id=summary_id, kind=kind):
        messages.info(request, f"This {what} was already submitted once; it was not made again.")
        return None
    return stored
