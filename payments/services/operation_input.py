"""Reading a background operation's stored input: ids and amounts as the API accepted them."""

from decimal import Decimal, InvalidOperation

from orders.errors import InvalidInput
from orders.money import is_rounded
from payments.allocation import SequenceStep


def money(value, currency: str, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"'{value}' is not an amount.", field=field) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput("The amount must be zero or more.", field=field)
    if not is_rounded(amount, currency):
        raise InvalidInput(f"The amount has more decimals than {currency} allows.", field=field)
    return amount


def identifier(value, field: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(f"'{value}' is not an id.", field=field) from None


def sequences(raw, payment_summary_ids: set[int], currency: str) -> list[SequenceStep]:
    steps = []
    for index, entry in enumerate(raw or []):
        ops_id = identifier(entry.get("orderPaymentSummaryId"), f"sequences[{index}].orderPaymentSummaryId")
        if ops_id not in payment_summary_ids:
            raise InvalidInput(
                f"Order payment summary {ops_id} does not belong to this order summary.",
                field=f"sequences[{index}].orderPaymentSummaryId",
            )
        steps.append(SequenceStep(ops_id, money(entry.get("amount", 0), currency, f"sequences[{index}].amount")))
    return steps
