"""The typed inputs of ensure funds and ensure refunds, and reading a background operation's stored input.

A submit takes an `EnsureFundsInput` / `EnsureRefundsInput`; every interface builds one (the API view from
the request body, automation and the console from their own records). The operation stores its input as
the API spells it (camelCase, ids and amounts as text: that is what `GET` of an operation answers), and the
worker reads it back with `from_stored`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Self

from orders.errors import InvalidInput
from orders.money import ZERO, is_rounded
from payments.allocation import SequenceStep


@dataclass(frozen=True)
class SequenceInput:
    """One step of the order in which payment summaries are drawn on."""

    payment_summary_id: int
    amount: Decimal = ZERO


@dataclass(frozen=True)
class EnsureFundsInput:
    invoice_id: int
    allow_partial: bool = False
    sequences: tuple[SequenceInput, ...] = field(default=())

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            invoice_id=identifier(data.get("invoiceId"), "invoiceId"),
            allow_partial=bool(data.get("isAllowPartial", False)),
            sequences=stored_sequences(data.get("sequences")),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "invoiceId": str(self.invoice_id),
            "isAllowPartial": self.allow_partial,
            "sequences": stored_steps(self.sequences),
        }


@dataclass(frozen=True)
class EnsureRefundsInput:
    credit_memo_id: int | None = None
    excess_funds_amount: Decimal = ZERO
    invoices_to_pay: tuple[int, ...] = ()
    allow_partial: bool = False
    sequences: tuple[SequenceInput, ...] = field(default=())

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> Self:
        memo = data.get("creditMemoId")
        return cls(
            credit_memo_id=identifier(memo, "creditMemoId") if memo not in (None, "") else None,
            excess_funds_amount=amount(data.get("excessFundsAmount") or 0, "excessFundsAmount"),
            invoices_to_pay=identifiers(data.get("invoicesToPay") or [], "invoicesToPay"),
            allow_partial=bool(data.get("isAllowPartial", False)),
            sequences=stored_sequences(data.get("sequences")),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "creditMemoId": str(self.credit_memo_id) if self.credit_memo_id else None,
            "excessFundsAmount": str(self.excess_funds_amount),
            "invoicesToPay": [str(pk) for pk in self.invoices_to_pay],
            "isAllowPartial": self.allow_partial,
            "sequences": stored_steps(self.sequences),
        }


def amount(value: object, field: str) -> Decimal:
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"'{value}' is not an amount.", field=field) from None
    return parsed


def money(value: Decimal, currency: str, field: str) -> Decimal:
    """An amount the operation may move: finite, zero or more, no finer than the currency's minor unit."""
    if not value.is_finite() or value < 0:
        raise InvalidInput("The amount must be zero or more.", field=field)
    if not is_rounded(value, currency):
        raise InvalidInput(f"The amount has more decimals than {currency} allows.", field=field)
    return value


def identifier(value: object, field: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(f"'{value}' is not an id.", field=field) from None


def identifiers(values: Iterable[object], field: str) -> tuple[int, ...]:
    return tuple(identifier(raw, f"{field}[{index}]") for index, raw in enumerate(values))


def stored_sequences(raw: Iterable[Mapping[str, Any]] | None) -> tuple[SequenceInput, ...]:
    """Sequences as the API spells them (ids and amounts as text or numbers), parsed."""
    return tuple(
        SequenceInput(
            identifier(entry.get("orderPaymentSummaryId"), f"sequences[{index}].orderPaymentSummaryId"),
            amount(entry.get("amount", 0), f"sequences[{index}].amount"),
        )
        for index, entry in enumerate(raw or [])
    )


def stored_steps(steps: Sequence[SequenceInput]) -> list[dict[str, str]]:
    return [{"orderPaymentSummaryId": str(step.payment_summary_id), "amount": str(step.amount)} for step in steps]


def sequences(raw: Sequence[SequenceInput], payment_summary_ids: set[int], currency: str) -> list[SequenceStep]:
    """The steps checked against the order summary: its own payment summaries, amounts it can move."""
    steps = []
    for index, entry in enumerate(raw):
        if entry.payment_summary_id not in payment_summary_ids:
            raise InvalidInput(
                f"Order payment summary {entry.payment_summary_id} does not belong to this order summary.",
                field=f"sequences[{index}].orderPaymentSummaryId",
            )
        steps.append(
            SequenceStep(entry.payment_summary_id, money(entry.amount, currency, f"sequences[{index}].amount"))
        )
    return steps
