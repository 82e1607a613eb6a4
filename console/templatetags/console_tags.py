"""Money, quantities and status badges, formatted the same on every console page."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from orders.money import UnknownCurrency, minor_units

register = template.Library()

# Status text → badge tone. Colour is never the only signal: the badge always shows the text.
_TONES = {
    "good": {
        "Fulfilled",
        "FULFILLED",
        "Complete",
        "Processed",
        "Success",
        "Resolved",
        "Posted",
        "Paid",
        "Closed",
        "CLOSED",
        "Approved",
    },
    "progress": {
        "Waiting to Fulfill",
        "ALLOCATED",
        "PARTIALLYALLOCATED",
        "PARTIALLYFULFILLED",
        "Allocated",
        "Assigned",
        "Pickpack",
        "Pick Complete",
        "Printed",
        "Running",
        "Pending",
        "Initiated",
        "Triaged",
        "ACTIVATED",
        "FULFILLING",
        "Submitted",
    },
    "attention": {
        "RETURNINITIATED",
        "RESHIPPED",
        "Reshipment",
        "New",
        "Medium",
        "Timeout",
        "Paused",
        "Draft",
        "DRAFT",
        "Waiting for approval",
        "Indeterminate",
    },
    "bad": {
        "Error",
        "Failed",
        "High",
        "Rejected",
        "REJECTED",
        "Decline",
        "PermanentFail",
        "SystemError",
        "ValidationError",
    },
    "muted": {
        "Canceled",
        "CANCELED",
        "Cancelled",
        "CANCELLED",
        "Returned",
        "RETURNED",
        "Ignored",
        "Voided",
        "Low",
    },
}
TONE_OF = {status: tone for tone, statuses in _TONES.items() for status in statuses}

# Item statuses are stored in Salesforce's capitals; people read them in words.
_LABELS = {
    "ORDERED": "Ordered",
    "PARTIALLYALLOCATED": "Partially allocated",
    "ALLOCATED": "Allocated",
    "PARTIALLYFULFILLED": "Partially fulfilled",
    "FULFILLED": "Fulfilled",
    "CANCELED": "Canceled",
    "RETURNINITIATED": "Return initiated",
    "RETURNED": "Returned",
    "RESHIPPED": "Reshipped",
}


def money_text(value, currency: str) -> str:
    """'1,234.50 USD': rounded to the currency's minor unit for display, never for arithmetic."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    try:
        places = minor_units(currency)
    except UnknownCurrency:
        places = 2
    return f"{amount:,.{places}f} {currency}".strip()


@register.filter
def money(value, currency=""):
    return money_text(value, currency)


@register.filter
def amount(value, currency=""):
    """The figure alone, for table cells whose header names the currency."""
    return money_text(value, currency).removesuffix(f" {currency}") if currency else money_text(value, "")


@register.filter
def qty(value):
    """Quantities are stored with two places; whole units read as '2', not '2.00'."""
    if value is None:
        return "—"
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value.normalize():,f}"


@register.simple_tag
def badge(status, label=None):
    tone = TONE_OF.get(status, "neutral")
    return format_html('<span class="badge badge--{}">{}</span>', tone, label or _LABELS.get(status, status))


@register.filter
def qty_input(value):
    """A quantity as a number input's value: no grouping, no trailing zeros."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    if not number.is_finite() or not -20 <= number.adjusted() <= 20:
        # What someone typed that is no quantity (sNaN, 1e1000000) goes back as typed, not expanded.
        return value
    return f"{number:.0f}" if number == number.to_integral_value() else f"{number.normalize():f}"


@register.filter
def allowed_moves(fulfillment_order):
    from console.forms.fulfillment import allowed_statuses

    return allowed_statuses(fulfillment_order.status, getattr(fulfillment_order, "type", None))


@register.simple_tag
def operation_outcome(operation, currency):
    """What a background operation did, in a phrase: the money it moved, or why it did not."""
    if operation.error:
        return f"Stopped: {operation.error.get('message', 'error')}"
    result = operation.result or {}
    if not operation.is_final:
        return "Running…" if operation.status == "Running" else "Waiting for a worker…"
    if result.get("errors"):
        return "Refused: " + "; ".join(error.get("message", "") for error in result["errors"])
    phrases = []
    for key, verb in (("captures", "Captured"), ("refunds", "Refunded")):
        moved = [entry for entry in result.get(key, []) if entry.get("status") == "Processed"]
        failed = [entry for entry in result.get(key, []) if entry.get("status") == "Failed"]
        pending = [entry for entry in result.get(key, []) if entry.get("status") == "Pending"]
        if moved:
            phrases.append(f"{verb} {money_text(sum(Decimal(e['amount']) for e in moved), currency)}")
        if failed:
            phrases.append(
                f"{len(failed)} {key[:-1]}{'s' if len(failed) > 1 else ''} declined "
                f"({money_text(sum(Decimal(e['amount']) for e in failed), currency)})"
            )
        if pending:
            phrases.append(f"{len(pending)} awaiting the gateway")
    return ", ".join(phrases) or "Nothing to move"


@register.simple_tag
def pending_approval_count() -> int:
    """Refunds waiting for a supervisor, for the navigation's badge (read only on supervisors' pages)."""
    from payments.services.agent_changes import pending_refund_count

    return pending_refund_count()


@register.filter
def retry_label(exception) -> str:
    """The Retry button's words for a process exception, or "" when nothing can be retried."""
    from payments.services.exception_retry import retry_label as label

    return label(exception)
