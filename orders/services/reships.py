"""Reship fulfilled units at no charge (issue 15, point 3): lost or damaged in transit.

preview-reship and submit-reship share `_plan`: the units are checked against QuantityAvailableToReship
(fulfilled, not expected back, not reshipped already) and routed per delivery group like any order
(fewest splits, then nearest, the channel's routing policy and the summary's excluded locations). The
submit, under the summary and item locks, records a Reshipment, raises QuantityReshipped and creates the
fulfillment orders through the fulfillment-create service, which reserves the stock. Nothing is invoiced
or captured: the fulfillment orders carry zero amounts and the billing at Fulfilled skips them
(payments.services.fulfillment_invoice_create). Canceling or rejecting their lines lowers
QuantityReshipped again, so the units can be reshipped once more.

Locks: the order summary, its item summaries by id, then the inventory levels (fulfillment_create).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from orders.calculations.checks import as_decimal, fits_quantity
from orders.errors import WHOLE_UNITS_ONLY, Conflict, FieldError, InvalidInput, InvalidState
from orders.event_data import emit_order_summary_changed
from orders.item_rules import RESHIPPABLE_TYPES
from orders.models import (
    DeliveryMethodType,
    OrderDeliveryGroupSummary,
    OrderItemSummary,
    OrderSummary,
    Reshipment,
    ReshipmentItem,
)
from orders.money import ZERO
from orders.selectors.change_state import active_reason_codes, get_item_summaries, get_summary
from orders.selectors.summaries import parse_id
from orders.services.actor import Actor
from orders.services.change_flow import actor_fields
from orders.services.fulfillment_create import FulfillmentOrderInput, create_reship_fulfillment_orders
from orders.services.holds import summary_hold
from orders.services.line_input import checked_id
from orders.services.route_summary import plan_group, routing_policy
from orders.services.summary_refresh import refresh_summary

FIELD = "reshipItems"
REASON_TEXT_MAX_LENGTH = 255
# Stable code of the refusal when no location can ship the units now.
NO_ROUTE = "NO_ROUTE"


@dataclass(frozen=True)
class ReshipItemInput:
    order_item_summary_id: int | str
    quantity: Decimal
    reason: str = "Unknown"
    reason_text: str = ""


@dataclass(frozen=True)
class ReshipResult:
    order_summary_id: int
    currency: str
    # Where the units go: one fulfillment-create input per delivery group (the preview's answer too).
    plans: tuple[FulfillmentOrderInput, ...]
    quantities: dict[int, Decimal]
    fulfillment_order_ids: tuple[int, ...] = ()
    reshipment_id: int | None = None
    version: int = 0

    @property
    def amount_to_charge(self) -> Decimal:
        return ZERO


def preview_reship(
    summary_id: int | str, items: list[ReshipItemInput], *, actor: Actor = None, channel_id: int | None = None
) -> ReshipResult:
    """What submit-reship would do on the current state; writes nothing."""
    _check_shape(items)
    summary = get_summary(summary_id, channel_id=channel_id)
    quantities, plans = _plan(summary, get_item_summaries(summary), items)
    return ReshipResult(summary.pk, summary.currency, plans, quantities, version=summary.version)


def submit_reship(
    summary_id: int | str,
    items: list[ReshipItemInput],
    *,
    actor: Actor = None,
    channel_id: int | None = None,
    expected_version: int | None = None,
) -> ReshipResult:
    _check_shape(items)
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True, channel_id=channel_id)
        if expected_version is not None and summary.version != expected_version:
            raise Conflict(
                f"The order summary changed since it was read (version {expected_version}, now {summary.version}); "
                "preview again.",
                field="version",
            )
        ois_list = get_item_summaries(summary, lock=True)
        quantities, plans = _plan(summary, ois_list, items)
        reshipment = Reshipment.objects.create(order_summary=summary, **actor_fields(actor))
        ReshipmentItem.objects.bulk_create(
            [
                ReshipmentItem(
                    reshipment=reshipment,
                    order_item_summary_id=checked_id(item.order_item_summary_id),
                    quantity=Decimal(item.quantity),
                    reason=item.reason,
                    reason_text=(item.reason_text or "").strip(),
                )
                for item in items
            ]
        )
        by_id = {ois.pk: ois for ois in ois_list}
        for pk, quantity in quantities.items():
            by_id[pk].quantity_reshipped += quantity
        OrderItemSummary.objects.bulk_update([by_id[pk] for pk in sorted(quantities)], ["quantity_reshipped"])
        order_ids: list[int] = []
        for plan in plans:
            orders = create_reship_fulfillment_orders(summary, ois_list, plan, reshipment, actor)
            order_ids += [order.pk for order in orders]
        refresh_summary(summary, ois_list)
        emit_order_summary_changed(summary.pk)
    return ReshipResult(
        summary.pk, summary.currency, plans, quantities, tuple(order_ids), reshipment.pk, summary.version
    )


def _check_shape(items: list[ReshipItemInput]) -> None:
    errors: list[FieldError] = []
    if not items:
        errors.append(FieldError("Give at least one item to reship.", FIELD))
    elif len(items) > settings.OMS_MAX_CHANGE_ITEMS:
        errors.append(FieldError(f"At most {settings.OMS_MAX_CHANGE_ITEMS} items.", FIELD))
    for index, item in enumerate(items[: settings.OMS_MAX_CHANGE_ITEMS]):
        path = f"{FIELD}[{index}]"
        if parse_id(item.order_item_summary_id) is None:
            errors.append(FieldError("Not an order item summary id.", f"{path}.orderItemSummaryId"))
        quantity = as_decimal(item.quantity)
        if quantity is None:
            errors.append(FieldError("Must be a number.", f"{path}.quantity"))
        elif quantity <= 0:
            errors.append(FieldError("Must be greater than zero.", f"{path}.quantity"))
        elif not fits_quantity(quantity):
            errors.append(FieldError("At most 2 decimal places.", f"{path}.quantity"))
        if not isinstance(item.reason, str) or not item.reason:
            errors.append(FieldError("Give a reason.", f"{path}.reason"))
        if len(item.reason_text or "") > REASON_TEXT_MAX_LENGTH:
            errors.append(FieldError(f"At most {REASON_TEXT_MAX_LENGTH} characters.", f"{path}.reasonForChangeText"))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def _plan(
    summary: OrderSummary, ois_list: list[OrderItemSummary], items: list[ReshipItemInput]
) -> tuple[dict[int, Decimal], tuple[FulfillmentOrderInput, ...]]:
    """The units per item summary and where they ship from, or the refusal (the same for preview and
    submit on the same state)."""
    if not summary.is_managed:
        raise InvalidState(f"Order summary {summary.order_number} is unmanaged; it reships nothing.")
    if summary_hold(summary.pk) is not None:
        raise InvalidState(f"Order summary {summary.order_number} is on hold: release the hold to reship.")
    by_id = {ois.pk: ois for ois in ois_list}
    reasons = active_reason_codes()
    errors: list[FieldError] = []
    quantities: dict[int, Decimal] = defaultdict(lambda: ZERO)
    last_path: dict[int, str] = {}
    for index, item in enumerate(items):
        path = f"{FIELD}[{index}]"
        ois = by_id.get(checked_id(item.order_item_summary_id))
        quantity = Decimal(item.quantity)
        if ois is None:
            errors.append(FieldError("No such item on this order summary.", f"{path}.orderItemSummaryId"))
        elif ois.type not in RESHIPPABLE_TYPES:
            errors.append(
                FieldError(f"Only products are reshipped; this is a {ois.type}.", f"{path}.orderItemSummaryId")
            )
        elif (
            ois.quantity_ordered == ois.quantity_ordered.to_integral_value()
            and quantity != quantity.to_integral_value()
        ):
            errors.append(
                FieldError(
                    "Must be a whole number: this item is ordered in whole units.", f"{path}.quantity", WHOLE_UNITS_ONLY
                )
            )
        elif item.reason not in reasons:
            errors.append(FieldError(f"Unknown reason '{item.reason}'.", f"{path}.reason"))
        else:
            quantities[ois.pk] += quantity
            last_path[ois.pk] = f"{path}.quantity"
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    problems = [
        FieldError(
            f"Only {by_id[pk].quantity_available_to_reship.normalize():f} of {by_id[pk].sku or by_id[pk].name} can be "
            f"reshipped (fulfilled {by_id[pk].quantity_fulfilled.normalize():f}, expected back "
            f"{by_id[pk].quantity_return_initiated.normalize():f}, reshipped already "
            f"{by_id[pk].quantity_reshipped.normalize():f}); asked for {quantity.normalize():f}.",
            last_path[pk],
        )
        for pk, quantity in quantities.items()
        if quantity > by_id[pk].quantity_available_to_reship
    ]
    if problems:
        raise InvalidState(problems[0].message, errors=problems)
    return dict(quantities), _route(summary, [by_id[pk] for pk in sorted(quantities)], quantities)


def _route(
    summary: OrderSummary, ois_list: list[OrderItemSummary], quantities: dict[int, Decimal]
) -> tuple[FulfillmentOrderInput, ...]:
    by_group: dict[int, list[OrderItemSummary]] = defaultdict(list)
    for ois in ois_list:
        by_group[ois.delivery_group_summary_id].append(ois)
    groups = OrderDeliveryGroupSummary.objects.in_bulk(sorted(by_group))
    policy = routing_policy(summary)
    plans, problems = [], []
    for group_id in sorted(by_group):
        group = groups[group_id]
        wanted = ", ".join(f"{ois.sku or ois.name} × {quantities[ois.pk].normalize():f}" for ois in by_group[group_id])
        if group.delivery_method_type == DeliveryMethodType.PICKUP:
            problems.append(FieldError(f"{wanted} were collected in store; a pickup is not reshipped.", FIELD))
            continue
        plan = plan_group(group, by_group[group_id], policy, quantities)
        if plan is None:
            problems.append(FieldError(f"No location can ship {wanted} now: add stock, then reship.", FIELD, NO_ROUTE))
            continue
        plans.append(plan)
    if problems:
        raise InvalidState(problems[0].message, errors=problems)
    return tuple(plans)
