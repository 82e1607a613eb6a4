"""Load and check the change orders a billing document is made from."""

from collections.abc import Sequence
from decimal import Decimal

from orders.errors import FieldError, InvalidInput, InvalidState
from orders.models import Order, OrderKind, OrderSummary


def load_change_orders(
    summary: OrderSummary, change_order_ids: Sequence[int | str], *, field: str = "changeOrderIds"
) -> list[Order]:
    """The change orders by id, in the order given, each belonging to this summary; locked."""
    if not change_order_ids:
        raise InvalidInput("Name at least one change order.", field=field)
    ids = []
    for index, raw in enumerate(change_order_ids):
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise InvalidInput(f"'{raw}' is not a change order id.", field=f"{field}[{index}]") from None
    if len(set(ids)) != len(ids):
        raise InvalidInput("A change order is named twice.", field=field)
    found = {
        order.pk: order
        for order in Order.objects.select_for_update().filter(pk__in=ids).prefetch_related("items__order_item_summary")
    }
    errors = []
    for index, pk in enumerate(ids):
        order = found.get(pk)
        if order is None or order.kind != OrderKind.CHANGE:
            errors.append(FieldError(f"Change order {pk} does not exist.", f"{field}[{index}]"))
        elif order.order_summary_id != summary.pk:
            errors.append(FieldError(f"Change order {pk} belongs to another order summary.", f"{field}[{index}]"))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    return [found[pk] for pk in ids]


def refuse(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidState(errors[0].message, errors=errors)


def owed_change(order: Order) -> Decimal:
    """What the change order adds to the amount owed (negative for a reduction)."""
    owed: Decimal = order.grand_total_amount
    return owed
