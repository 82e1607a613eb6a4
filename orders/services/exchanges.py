"""Exchanges (issue 15): returned units traded for a replacement order summary, preview and submit.

The returned units go through the return service's calculation (a Return change order now, or a return order
whose units the replacement waits for with `hold_replacement_until_returned`). The replacement is a new
managed order summary made by the ingest service (create_order, build_order_summary), linked to the original
(`source_order_summary`), routed like any order. Its money — the original's credit moved to pay it, the
difference authorized on the original card or refunded — belongs to the payments app, reached through the
payments link (orders/payments_link.py) in the same transaction (orders never imports payments).

Preview and submit run the same calculation (orders.calculations.exchange) on the same state; the preview
writes nothing.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.automation import order_summary_created
from orders.calculations.exchange import ExchangeAmounts, ExchangeInput, exchange_amounts, return_items
from orders.calculations.plan import ChangeBalances
from orders.errors import Conflict, FieldError, InvalidInput, InvalidState, ServiceError
from orders.funds import funds_position
from orders.ingest_input import AddressInput, DeliveryGroupInput, ItemInput, OrderInput, PaymentInput, TaxInput
from orders.models import (
    ApiClient,
    Exchange,
    ExchangeStatus,
    Location,
    OrderDeliveryGroupSummary,
    OrderHold,
    OrderItemSummary,
    OrderSummary,
    SalesChannel,
)
from orders.payments_link import payments_link
from orders.selectors.change_state import get_summary
from orders.selectors.summaries import parse_id
from orders.services.actor import Actor
from orders.services.change_flow import ChangeResult, actor_fields, preview_change, submit_change
from orders.services.ingest_validation import ComputedOrder, validate_order
from orders.services.order_write import build_order_summary, create_order
from orders.services.return_orders import ReturnOrderInput, ReturnOrderLineInput, create_return_order
from orders.services.simple_return import return_planner

MAX_ORDER_NUMBER = 80
# A dearer replacement on an order paid without a card token (a gift card): nothing to charge the difference to.
NO_CARD_TO_CHARGE = "NO_CARD_TO_CHARGE"


@dataclass(frozen=True)
class ExchangeResult:
    order_summary_id: int
    balances: ChangeBalances
    amounts: ExchangeAmounts
    currency: str
    version: int
    change_order_id: int | None = None
    exchange_order_summary_id: int | None = None
    exchange_id: int | None = None
    return_order_id: int | None = None


def _groups_of(summary: OrderSummary, request: ExchangeInput) -> list[OrderDeliveryGroupSummary | None]:
    """Where each replacement goes: the delivery group of the item it replaces (one query); None for an id
    that names no item of the summary (the return refuses it)."""
    ids = {int(item.order_item_summary_id) for item in request.items if str(item.order_item_summary_id).isdigit()}
    groups = (
        {
            ois.pk: ois.delivery_group_summary
            for ois in OrderItemSummary.objects.select_related("delivery_group_summary").filter(
                order_summary=summary, pk__in=ids
            )
        }
        if ids
        else {}
    )
    return [
        groups.get(int(item.order_item_summary_id)) if str(item.order_item_summary_id).isdigit() else None
        for item in request.items
    ]


def _deliver_to(summary: OrderSummary, group: OrderDeliveryGroupSummary | None) -> AddressInput:
    return AddressInput(
        name=group.recipient_name if group else summary.bill_to_name,
        street=group.street if group else summary.street,
        city=group.city if group else summary.city,
        state=group.state if group else summary.state,
        postal_code=group.postal_code if group else summary.postal_code,
        country=group.country if group else summary.country,
        email=group.email if group else summary.bill_to_email,
        phone=group.phone if group else "",
        latitude=group.latitude if group else None,
        longitude=group.longitude if group else None,
    )


def _by_group(groups: list[OrderDeliveryGroupSummary | None]) -> list[list[int]]:
    """The exchange items' indexes per replacement delivery group, in the order the groups first appear:
    each replacement ships where the item it replaces went."""
    order: dict[int | None, list[int]] = {}
    for index, group in enumerate(groups):
        order.setdefault(group.pk if group else None, []).append(index)
    return list(order.values())


def _order_input(
    summary: OrderSummary, groups: list[OrderDeliveryGroupSummary | None], request: ExchangeInput, number: str
) -> OrderInput:
    delivery_groups = []
    for position, indexes in enumerate(_by_group(groups)):
        group = groups[indexes[0]]
        items = tuple(
            ItemInput(
                sku=item.replacement.stock_keeping_unit,
                name=item.replacement.name,
                quantity=item.replacement.quantity,
                unit_price=item.replacement.unit_price,
                taxes=tuple(
                    TaxInput(name=tax.name, amount=tax.amount, rate=tax.rate) for tax in item.replacement.taxes
                ),
            )
            for item in (request.items[index] for index in indexes)
        )
        delivery_groups.append(
            DeliveryGroupInput(
                deliver_to=_deliver_to(summary, group),
                items=items,
                reference_id="exchange" if position == 0 else f"exchange-{position + 1}",
                delivery_method=group.delivery_method if group else "",
            )
        )
    return OrderInput(
        order_number=number,
        currency=summary.currency,
        ordered_date=timezone.now(),
        bill_to=AddressInput(
            name=summary.bill_to_name,
            email=summary.bill_to_email,
            phone=summary.bill_to_phone,
            street=summary.street,
            city=summary.city,
            state=summary.state,
            postal_code=summary.postal_code,
            country=summary.country,
        ),
        delivery_groups=tuple(delivery_groups),
        tax_locale_type=summary.tax_locale_type,
        external_reference=summary.external_reference,
    )


_INGEST_TO_EXCHANGE = {"sku": "stockKeepingUnit"}


_GROUP_ITEM = re.compile(r"^deliveryGroups\[(\d+)\]\.items\[(\d+)\]\.?(.*)$")


def _exchange_field(path: str | None, positions: list[list[int]]) -> str | None:
    """An ingest field path of the replacement order, as the exchange request names it."""
    match = _GROUP_ITEM.match(path or "")
    if match is None:
        return "exchangeItems"
    group, position, rest = int(match[1]), int(match[2]), match[3]
    try:
        index = positions[group][position]
    except IndexError:
        return "exchangeItems"
    head, dot, tail = rest.partition(".")
    rest = _INGEST_TO_EXCHANGE.get(head, head) + dot + tail
    return f"exchangeItems[{index}].replacement" + (f".{rest}" if rest else "")


def _replacement(
    summary: OrderSummary, groups: list[OrderDeliveryGroupSummary | None], request: ExchangeInput, number: str
) -> ComputedOrder:
    """The replacement order, validated and computed as the ingest service computes any order; errors name
    the exchange's fields. Its payment is the exchange's (moved credit, then the original card), so the
    checkout rule that payments cover the total is met by a placeholder the order never records."""
    data = replace(_order_input(summary, groups, request, number), payments=(_PAID_BY_THE_EXCHANGE,))
    try:
        return validate_order(data)
    except InvalidInput as exc:
        positions = _by_group(groups)
        errors = [replace(error, field=_exchange_field(error.field, positions)) for error in exc.errors]
        raise InvalidInput(f"{errors[0].field}: {errors[0].message}", errors=errors) from None


_PAID_BY_THE_EXCHANGE = PaymentInput(kind="sale", method="exchange", amount=Decimal(10) ** 15)


@contextmanager
def _named_as_exchange_items() -> Iterator[None]:
    """The return's errors name `changeItems[i]…`: an exchange's caller sent `exchangeItems[i]…`."""
    try:
        yield
    except ServiceError as exc:
        errors = [
            replace(error, field=error.field.replace("changeItems", "exchangeItems", 1)) if error.field else error
            for error in exc.errors
        ]
        exc.errors = errors
        exc.message = exc.message.replace("changeItems", "exchangeItems")
        exc.args = (exc.message,)
        raise


def _check_request(request: ExchangeInput) -> None:
    if not request.items:
        raise InvalidInput("At least one exchange item is needed.", field="exchangeItems")
    if len(request.items) > settings.OMS_MAX_CHANGE_ITEMS:
        raise InvalidInput(f"At most {settings.OMS_MAX_CHANGE_ITEMS} exchange items.", field="exchangeItems")
    errors = []
    for index, item in enumerate(request.items):
        if item.replacement.quantity <= 0:
            errors.append(
                FieldError("A replacement quantity must be positive.", f"exchangeItems[{index}].replacement.quantity")
            )
        if item.replacement.unit_price < 0:
            errors.append(
                FieldError("A replacement price may not be negative.", f"exchangeItems[{index}].replacement.unitPrice")
            )
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)


def _amounts(summary: OrderSummary, change: ChangeResult, replacement: ComputedOrder) -> ExchangeAmounts:
    # What the original can give back is bounded by what it holds captured (a return of unpaid units credits
    # nothing that could pay the replacement).
    position = funds_position(summary)
    refundable = min(change.balances.total_refundable_amount, position.net_captured)
    amounts = exchange_amounts(
        change.balances.grand_total_amount, refundable, replacement.grand_total_amount, summary.currency
    )
    if amounts.to_charge > 0 and payments_link().exchange_card_to_charge(summary) is None:
        raise InvalidState(
            f"The replacement costs {amounts.to_charge} {summary.currency} more and the order has no card to "
            "charge it to.",
            field="exchangeItems",
            errors=[
                FieldError(
                    f"The replacement costs {amounts.to_charge} {summary.currency} more and the order has no card to "
                    "charge it to.",
                    "exchangeItems",
                    NO_CARD_TO_CHARGE,
                )
            ],
        )
    return amounts


def preview_exchange(
    summary_id: int | str, request: ExchangeInput, *, actor: Actor = None, channel_id: int | None = None
) -> ExchangeResult:
    """What the exchange would do: the return's balances, the replacement's total, what is charged or
    refunded. Nothing is written."""
    _check_request(request)
    if request.hold_replacement_until_returned:
        _return_location(request)
    with _named_as_exchange_items():
        change = preview_change(summary_id, return_planner(return_items(request)), channel_id=channel_id)
    summary = OrderSummary.objects.get(pk=change.order_summary_id)
    replacement = _replacement(summary, _groups_of(summary, request), request, f"{summary.order_number}-X")
    return ExchangeResult(
        order_summary_id=summary.pk,
        balances=change.balances,
        amounts=_amounts(summary, change, replacement),
        currency=summary.currency,
        version=change.version,
    )


def _number(summary: OrderSummary) -> str:
    count = Exchange.objects.filter(original_summary=summary).count()
    return f"{summary.order_number[: MAX_ORDER_NUMBER - 6]}-X{count + 1}"


def submit_exchange(
    summary_id: int | str,
    request: ExchangeInput,
    *,
    actor: Actor,
    expected_version: int | None = None,
    channel_id: int | None = None,
) -> ExchangeResult:
    """Return the units, create the replacement summary linked to the original, move the money (the
    payments app, through the payments link) and route the replacement, in one transaction.

    With `hold_replacement_until_returned`: the units are expected through a return order instead, the
    replacement is created on hold and nothing moves; the return order's receipt completes the exchange
    (orders.services.exchange_receipt)."""
    _check_request(request)
    if request.hold_replacement_until_returned:
        return _submit_waiting(
            summary_id, request, actor=actor, expected_version=expected_version, channel_id=channel_id
        )
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True, channel_id=channel_id)
        with _named_as_exchange_items():
            change = submit_change(
                summary.pk,
                return_planner(return_items(request)),
                actor=actor,
                expected_version=expected_version,
                channel_id=channel_id,
            )
        summary.refresh_from_db()
        replacement_data = _replacement(summary, _groups_of(summary, request), request, _number(summary))
        amounts = _amounts(summary, change, replacement_data)
        replacement = _create_replacement(summary, replacement_data, actor)
        exchange = Exchange.objects.create(
            original_summary=summary,
            exchange_summary=replacement,
            return_change_order_id=change.change_order_id,
            hold_until_returned=False,
            status=ExchangeStatus.COMPLETED,
            reason=request.items[0].reason,
            currency=summary.currency,
            returned_value=amounts.returned_value,
            replacement_total=amounts.replacement_total,
            transferred_amount=amounts.transferred,
            amount_to_charge=amounts.to_charge,
            amount_to_refund=amounts.to_refund,
            completed_at=timezone.now(),
            **actor_fields(actor),
        )
        payments_link().fund_exchange(exchange)
        order_summary_created(replacement)
        summary.refresh_from_db(fields=["version"])
    return _submitted(summary, change, amounts, exchange, change_order_id=change.change_order_id)


def _submitted(
    summary: OrderSummary,
    change: ChangeResult,
    amounts: ExchangeAmounts,
    exchange: Exchange,
    *,
    change_order_id: int | None = None,
    return_order_id: int | None = None,
) -> ExchangeResult:
    """What a submitted exchange answers, either way (done now, or waiting for the units)."""
    return ExchangeResult(
        order_summary_id=summary.pk,
        balances=change.balances,
        amounts=amounts,
        currency=summary.currency,
        version=summary.version,
        change_order_id=change_order_id,
        exchange_order_summary_id=exchange.exchange_summary_id,
        exchange_id=exchange.pk,
        return_order_id=return_order_id,
    )


def _create_replacement(summary: OrderSummary, data: ComputedOrder, actor: Actor) -> OrderSummary:
    channel = SalesChannel.objects.get(pk=summary.sales_channel_id)
    client = actor if isinstance(actor, ApiClient) else None
    replacement = build_order_summary(create_order(data, channel=channel, client=client))
    OrderSummary.objects.filter(pk=replacement.pk).update(source_order_summary=summary)
    replacement.source_order_summary = summary
    return replacement


def _return_location(request: ExchangeInput) -> int | None:
    """Where the units go back: the caller's returnLocationId, else the first inventory location by name (what
    the console's return-order wizard offers first). Preview and submit refuse an unknown one alike."""
    if request.return_location_id not in (None, ""):
        pk = parse_id(request.return_location_id)
        if pk is None or not Location.objects.filter(pk=pk).exists():
            raise InvalidInput(f"No location {request.return_location_id}.", field="returnLocationId")
        return pk
    return Location.objects.filter(is_inventory_location=True).order_by("name").values_list("pk", flat=True).first()


def _as_exchange_error(error: ServiceError) -> ServiceError:
    """create_return_order names `returnOrderLineItems[i]…` and `destinationLocationId`."""
    errors = [
        replace(
            error_,
            field=(error_.field or "")
            .replace("returnOrderLineItems", "exchangeItems", 1)
            .replace("quantityExpected", "quantity")
            .replace("reasonForReturn", "reason")
            .replace("destinationLocationId", "returnLocationId")
            or None,
        )
        for error_ in error.errors
    ]
    error.errors = errors
    return error


def _submit_waiting(
    summary_id: int | str, request: ExchangeInput, *, actor: Actor, expected_version: int | None, channel_id: int | None
) -> ExchangeResult:
    """The replacement waits for the units: a return order expects them, the replacement is made (linked, on
    hold, not routed), nothing moves. The amounts are the preview's: what the exchange does if every unit
    comes back in good condition; the receipt recomputes them from what did."""
    with transaction.atomic():
        summary = get_summary(summary_id, lock=True, channel_id=channel_id)
        if expected_version is not None and summary.version != expected_version:
            raise Conflict(
                f"The order summary changed since it was read (version {expected_version}, now "
                f"{summary.version}); preview again.",
                field="version",
            )
        with _named_as_exchange_items():
            change = preview_change(summary.pk, return_planner(return_items(request)), channel_id=channel_id)
        replacement_data = _replacement(summary, _groups_of(summary, request), request, _number(summary))
        amounts = _amounts(summary, change, replacement_data)
        try:
            return_order = create_return_order(
                ReturnOrderInput(
                    order_summary_id=summary.pk,
                    lines=tuple(
                        ReturnOrderLineInput(
                            order_item_summary_id=item.order_item_summary_id,
                            quantity_expected=item.quantity,
                            reason_for_return=item.reason,
                        )
                        for item in request.items
                    ),
                    destination_location_id=_return_location(request),
                    description=f"Exchange: replacement {replacement_data.data.order_number} waits for these units",
                ),
                actor=actor,
                channel_id=channel_id,
            )
        except ServiceError as error:
            raise _as_exchange_error(error) from None
        replacement = _create_replacement(summary, replacement_data, actor)
        who = actor_fields(actor)
        # Not routed while the units are away: a hold the receipt releases (release_holds refuses it before).
        OrderHold.objects.create(
            order_summary=replacement,
            reason=f"Waiting for the return {return_order.number}",
            held_by=who.get("created_by"),
            held_by_client=who.get("created_by_client"),
        )
        exchange = Exchange.objects.create(
            original_summary=summary,
            exchange_summary=replacement,
            return_order=return_order,
            hold_until_returned=True,
            status=ExchangeStatus.AWAITING_RETURN,
            reason=request.items[0].reason,
            currency=summary.currency,
            returned_value=amounts.returned_value,
            replacement_total=amounts.replacement_total,
            transferred_amount=amounts.transferred,
            amount_to_charge=amounts.to_charge,
            amount_to_refund=amounts.to_refund,
            **who,
        )
        order_summary_created(replacement)
        summary.refresh_from_db(fields=["version"])
    return _submitted(summary, change, amounts, exchange, return_order_id=return_order.pk)
