"""What the orders app asks of the payments app, as a typed protocol.

Orders must not import payments (payments builds on orders' models and services: a cycle otherwise). Yet
an ingested order brings its checkout payments, a change needs the funds position, a shipped fulfillment
order must be billed, a submitted change settled and an exchange paid. The payments app implements
`PaymentsLink` and registers it once, in `PaymentsConfig.ready()`; orders calls `payments_link()`. A
reader follows the call to this protocol, and a type checker checks the implementation against it
(decisions.md, "Orders calls payments through a protocol registered at start-up").
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, OuterRef

if TYPE_CHECKING:
    from orders.funds import FundsPosition
    from orders.ingest_input import PaymentInput
    from orders.models import Exchange, FulfillmentOrder, Order, OrderSummary

# The three sums funds_annotations() reads with a summary's row (net captured, owed back, credit memo balances).
FundsSums = tuple[Decimal, Decimal, Decimal]


class PaymentsLink(Protocol):
    def record_checkout_payments(
        self, orders: list[tuple[Order, OrderSummary | None, tuple[PaymentInput, ...]]]
    ) -> Sequence[Sequence[Model]]:
        """Write each new (order, summary, payments)'s checkout payments in the caller's transaction; each
        order's payment summaries (one per method, none without a summary), their ids set once written."""
        ...

    def funds_annotations(self, summary_ref: OuterRef | None = None) -> dict[str, Any]:
        """name → expression over the rows of an OrderSummary queryset (or of its children's, with
        `summary_ref` = OuterRef("order_summary_id")) giving the sums the funds position is made of."""
        ...

    def funds_position(
        self,
        summary: OrderSummary,
        *,
        grand_total_reduction: Decimal,
        added_outstanding_credit: Decimal,
        sums: FundsSums | None,
    ) -> FundsPosition:
        """The funds position of DOMAIN.md §3.6, after a change reducing the grand total and adding credit."""
        ...

    def fulfillment_order_fulfilled(self, fulfillment_order: FulfillmentOrder) -> None:
        """A fulfillment order shipped: bill it and take the money (queued in the caller's transaction)."""
        ...

    def order_summary_changed(self, summary_id: int) -> None:
        """A change order was written: settle what follows once the caller's transaction commits."""
        ...

    def fund_exchange(self, exchange: Exchange) -> bool:
        """Pay an exchange's replacement, inside the exchange's transaction. False when a dearer difference has
        no card to go on (a process exception on the replacement says so; it stays on hold)."""
        ...

    def exchange_card_to_charge(self, summary: OrderSummary) -> tuple[str, str, str, str] | None:
        """The original's card a dearer replacement is charged to, or None when there is none."""
        ...


_registered: PaymentsLink | None = None


def register_payments_link(link: PaymentsLink) -> None:
    """Called once by the payments app's AppConfig.ready(); registering again replaces the link."""
    global _registered
    _registered = link


def payments_link() -> PaymentsLink:
    if _registered is None:
        raise ImproperlyConfigured(
            "No payments link is registered: the payments app registers it in PaymentsConfig.ready(); "
            "is 'payments' in INSTALLED_APPS?"
        )
    return _registered
