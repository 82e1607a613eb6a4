"""Previews kept in the session under a one-time token, for the wizards (console.views.wizard_flow) and the
receive screen: the submit sends exactly what was previewed, with the order version it was previewed on, and
a token submitted twice is refused before it reaches a service (console.services.claim_wizard_token)."""

import secrets

SESSION_KEY = "console_previews"
# Previews kept per session: enough for a few tabs, small enough to keep the session light.
KEEP = 8


def keep(
    request,
    *,
    kind: str,
    summary_id: int,
    version: int,
    data: dict,
    session_key: str = SESSION_KEY,
    stored_as: str = "data",
) -> str:
    """A new one-time token for what was previewed (`data`, under the name `stored_as`)."""
    token = secrets.token_urlsafe(24)
    previews = request.session.get(session_key, {})
    previews[token] = {"summary_id": summary_id, "kind": kind, "version": version, stored_as: data}
    request.session[session_key] = dict(list(previews.items())[-KEEP:])
    return token


def find(
    request, token: str, *, kind: str, summary_id: int, consume: bool = False, session_key: str = SESSION_KEY
) -> dict | None:
    """The preview kept under `token` for this summary and kind (taken out with `consume`), or None."""
    previews = request.session.get(session_key, {})
    stored = previews.get(token)
    if stored is None or stored["summary_id"] != summary_id or stored["kind"] != kind:
        return None
    if consume:
        previews.pop(token)
        request.session[session_key] = previews
    return stored
