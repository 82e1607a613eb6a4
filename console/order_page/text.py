"""How the order page prints figures and names people: each distinct figure of its long tables formatted
(and HTML-escaped, as the template would) once per request, and the small pieces of markup a row carries.
"""

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from console.templatetags.console_tags import amount, badge, money_text, qty, qty_input


class FigureText:
    """The console's filters for one page's long tables, each distinct figure formatted (and HTML-escaped,
    as the template would) once: an order of 200 lines repeats the same few quantities and prices on every
    row. Made per request, never shared.

    Figures are keyed by their exact text: 0.00 and -0.00 are equal Decimals but do not print alike.
    """

    def __init__(self):
        self._texts = {}

    def _once(self, kind: str, key, make) -> str:
        text = self._texts.get((kind, key))
        if text is None:
            text = self._texts[kind, key] = make()
        return text

    def qty(self, value) -> str:
        return self._once("qty", str(value), lambda: conditional_escape(qty(value)))

    def qty_input(self, value) -> str:
        return self._once("qty_input", str(value), lambda: conditional_escape(qty_input(value)))

    def amount(self, value, currency: str) -> str:
        return self._once(("amount", currency), str(value), lambda: conditional_escape(amount(value, currency)))

    def money(self, value, currency: str) -> str:
        return self._once(("money", currency), str(value), lambda: conditional_escape(money_text(value, currency)))

    def word(self, value: str) -> str:
        """A short text a long table repeats (an item type), escaped."""
        return self._once("word", value, lambda: conditional_escape(value))

    def badge(self, status: str) -> str:
        return self._once("badge", status, lambda: badge(status))


# Between an item's sku and its type: "SKU-1 · Order Product".
SKU_SEPARATOR = mark_safe(" · ")
NOTHING = mark_safe("")


def rejected_note(quantity_rejected, rejection_reason: str, text: FigureText) -> str:
    """Under a fulfillment order line's name: the units its location refused and why (empty when none were)."""
    if not quantity_rejected:
        return NOTHING
    return format_html(
        '<span class="sub" data-testid="rejected">Rejected {}: {}</span>',
        text.qty(quantity_rejected),
        rejection_reason or "no reason given",
    )


def held_note(reason: str) -> str:
    """Under a fulfillment order line's name: the active hold that keeps it from shipping."""
    return format_html('<span class="sub" data-testid="held">On hold: {}</span>', reason)


def actor_of(user_id, username, client_id, client_name) -> str:
    """Who made a record, as the timeline names it, from its columns (see actor)."""
    if user_id:
        return username
    if client_id:
        return f"API: {client_name}"
    return "System"


def actor(record) -> str:
    """Who made a record (its created_by or created_by_client, loaded with it)."""
    if getattr(record, "created_by_id", None):
        return record.created_by.get_username()
    if getattr(record, "created_by_client_id", None):
        return f"API: {record.created_by_client.name}"
    return "System"
