"""Holds (issue 16): stop an order summary, or some of its fulfillment order lines, while someone checks it.

A held summary is not routed, none of its fulfillment orders may move past Allocated, and nothing is
captured for it (payments asks `is_capture_held`). A held line keeps its fulfillment order at or
before where it stands: no forward move until the hold is released. Canceling and rejecting stay
possible: a hold stops work, it never traps units.

Releasing resumes what the hold stopped: the summary is routed again (when automatic routing is on)
and the invoice-and-capture of every fulfillment order that shipped is asked for again (it is made
once and captures only what is still due). Admin-editable hold rules put new orders on hold at ingest.
"""

from collections.abc import Iterable
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from orders.db import CompiledQuery
from orders.errors import FieldError, InvalidInput, InvalidState
from orders.models import (
    ApiClient,
    Exchange,
    ExchangeStatus,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatusCategory,
    HoldRule,
    OrderHold,
    OrderSummary,
)
from orders.selectors.change_state import get_summary
from orders.selectors.summaries import parse_id
from orders.services.actor import Actor

REASON_MAX_LENGTH = 255


def summary_hold(summary_id: int) -> OrderHold | None:
    """The active hold on the whole summary, if any."""
    return OrderHold.objects.filter(
        order_summary_id=summary_id, fulfillment_order_line__isnull=True, released_at__isnull=True
    ).first()


def is_capture_held(summary_id: int) -> bool:
    """Whether captures for this summary wait (payments' guard before it captures)."""
    return OrderHold.objects.filter(
        order_summary_id=summary_id, fulfillment_order_line__isnull=True, released_at__isnull=True
    ).exists()


def fulfillment_order_hold(order: FulfillmentOrder) -> OrderHold | None:
    """The hold that keeps this fulfillment order from moving forward: its summary's, else one of its lines'."""
    return (
        OrderHold.objects.filter(released_at__isnull=True, order_summary_id=order.order_summary_id)
        .filter(Q(fulfillment_order_line__isnull=True) | Q(fulfillment_order_line__fulfillment_order=order))
        .order_by("fulfillment_order_line_id", "held_at")
        .first()
    )


def active_holds(summary_id: int) -> list[OrderHold]:
    return list(
        OrderHold.objects.filter(order_summary_id=summary_id, released_at__isnull=True).select_related(
            "held_by", "held_by_client", "rule", "fulfillment_order_line"
        )
    )


class _Who(TypedDict):
    user: User | None
    client: ApiClient | None


def _actor(actor: Actor) -> _Who:
    if isinstance(actor, ApiClient):
        return {"user": None, "client": actor}
    if actor is not None and actor.is_authenticated:
        return {"user": actor, "client": None}
    return {"user": None, "client": None}


def _reason(reason: object) -> str:
    text = (reason or "").strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput("Give the reason for the hold.", field="reason")
    if len(text) > REASON_MAX_LENGTH:
        raise InvalidInput(f"At most {REASON_MAX_LENGTH} characters.", field="reason")
    return text


def _lines_of(
    summary: OrderSummary, line_ids: Iterable[object], field: str, *, open_only: bool
) -> list[FulfillmentOrderLineItem]:
    wanted: list[tuple[int, int]] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(line_ids):
        pk = parse_id(raw)
        if pk is None:
            errors.append(FieldError("Not a line id.", f"{field}[{index}]"))
        else:
            wanted.append((index, pk))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    found = {
        line.pk: line
        for line in FulfillmentOrderLineItem.objects.select_related("fulfillment_order").filter(
            pk__in=[pk for _, pk in wanted], fulfillment_order__order_summary=summary
        )
    }
    for index, pk in wanted:
        line = found.get(pk)
        if line is None:
            errors.append(FieldError("No such fulfillment order line on this order summary.", f"{field}[{index}]"))
        elif open_only and line.fulfillment_order.is_final:
            errors.append(
                FieldError(
                    f"Fulfillment order {line.fulfillment_order.number} is "
                    f"{line.fulfillment_order.status}: nothing to hold.",
                    f"{field}[{index}]",
                )
            )
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    return [found[pk] for pk in dict.fromkeys(pk for _, pk in wanted)]


def hold_order_summary(
    summary_id: int | str,
    reason: object,
    *,
    line_ids: Iterable[object] | None = None,
    actor: Actor = None,
    channel_id: int | None = None,
) -> list[OrderHold]:
    """Hold the whole summary (no `line_ids`) or the given fulfillment order lines; 409 when already held."""
    text = _reason(reason)
    who = _actor(actor)
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True, channel_id=channel_id)
        if not line_ids:
            if summary_hold(summary.pk) is not None:
                raise InvalidState(f"Order summary {summary.order_number} is on hold already.")
            targets: list[FulfillmentOrderLineItem | None] = [None]
        else:
            lines = _lines_of(summary, line_ids, "fulfillmentOrderLineItemIds", open_only=True)
            already = set(
                OrderHold.objects.filter(fulfillment_order_line__in=lines, released_at__isnull=True).values_list(
                    "fulfillment_order_line_id", flat=True
                )
            )
            if already:
                raise InvalidState(
                    "These fulfillment order lines are on hold already: "
                    + ", ".join(str(pk) for pk in sorted(already))
                    + ".",
                    field="fulfillmentOrderLineItemIds",
                )
            targets = list(lines)
        try:
            with transaction.atomic():
                holds = OrderHold.objects.bulk_create(
                    [
                        OrderHold(
                            order_summary=summary,
                            fulfillment_order_line=line,
                            reason=text,
                            held_by=who["user"],
                            held_by_client=who["client"],
                        )
                        for line in targets
                    ]
                )
        except IntegrityError:  # a concurrent hold of the same target won the race
            raise InvalidState("On hold already.") from None
    return holds


def release_holds(
    summary_id: int | str,
    *,
    line_ids: Iterable[object] | None = None,
    note: str = "",
    actor: Actor = None,
    channel_id: int | None = None,
) -> list[OrderHold]:
    """Release the summary's active holds (every one, or those of `line_ids`) and resume its work."""
    who = _actor(actor)
    note = (note or "").strip()[:REASON_MAX_LENGTH]
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True, channel_id=channel_id)
        holds = OrderHold.objects.select_for_update().filter(order_summary=summary, released_at__isnull=True)
        if line_ids:
            lines = _lines_of(summary, line_ids, "fulfillmentOrderLineItemIds", open_only=False)
            holds = holds.filter(fulfillment_order_line__in=lines)
        released = list(holds)
        if (
            not line_ids
            and Exchange.objects.filter(exchange_summary=summary, status=ExchangeStatus.AWAITING_RETURN).exists()
        ):
            # The replacement of an exchange waits for the return order: its receipt releases it, with the money.
            raise InvalidState(
                f"Order summary {summary.order_number} waits for the return of the units it "
                "replaces; it is released when the return order is received."
            )
        if not released:
            raise InvalidState(
                f"Order summary {summary.order_number} has no active hold" + (" on these lines." if line_ids else ".")
            )
        now = timezone.now()
        for hold in released:
            hold.released_at = now
            hold.released_by = who["user"]
            hold.released_by_client = who["client"]
            hold.release_note = note
        OrderHold.objects.bulk_update(released, ["released_at", "released_by", "released_by_client", "release_note"])
        if any(hold.fulfillment_order_line_id is None for hold in released):
            _resume(summary)
    return released


def _resume(summary: OrderSummary) -> None:
    """After commit: route what is unplaced and capture for what shipped while the summary was held."""
    from orders.automation import fulfillment_order_fulfilled
    from orders.routing_tasks import schedule_routing

    schedule_routing(summary.pk, managed=summary.is_managed)
    for order in FulfillmentOrder.objects.filter(
        order_summary=summary, status_category=FulfillmentOrderStatusCategory.CLOSED
    ):
        fulfillment_order_fulfilled(order)


def matching_rule(summary: OrderSummary, rules: Iterable[HoldRule], countries: Iterable[str]) -> HoldRule | None:
    """The first active rule (by name) every condition of which the summary meets."""
    countries = {country.upper() for country in countries if country}
    for rule in rules:
        if not rule.is_active:
            continue
        if rule.sales_channel_id is not None and rule.sales_channel_id != summary.sales_channel_id:
            continue
        if rule.country and rule.country.upper() not in countries:
            continue
        if rule.minimum_grand_total is not None:
            if rule.currency and rule.currency.upper() != summary.currency.upper():
                continue
            if summary.grand_total_amount <= rule.minimum_grand_total:
                continue
        return rule
    return None


def load_hold_rules() -> list[HoldRule]:
    """The active hold rules by name (one query), or none when OMS_HOLD_RULES_ENABLED is off."""
    if not settings.OMS_HOLD_RULES_ENABLED:
        return []
    return _ACTIVE_RULES.instances()


# Read on every ingest: compiled once per process (orders/db.py).
_ACTIVE_RULES = CompiledQuery(lambda: HoldRule.objects.filter(is_active=True).order_by("name", "id"))


def apply_hold_rules(summary: OrderSummary, rules: list[HoldRule] | None = None) -> OrderHold | None:
    """At ingest: hold a new summary when an active rule matches it. `rules` from `load_hold_rules`
    (read here when not given); with no rule nothing more is read."""
    if rules is None:
        rules = load_hold_rules()
    if not rules:
        return None
    countries = [summary.country, *summary.delivery_group_summaries.values_list("country", flat=True)]
    rule = matching_rule(summary, rules, countries)
    if rule is None:
        return None
    try:
        with transaction.atomic():
            return OrderHold.objects.create(order_summary=summary, reason=rule.reason, rule=rule)
    except IntegrityError:  # held already (a second delivery of the same event)
        return None
