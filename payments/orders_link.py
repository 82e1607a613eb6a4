"""The payments app's side of orders.payments_link.PaymentsLink: what orders asks of payments, answered by
the payments functions that do it. Registered in PaymentsConfig.ready(). Each method looks its function up
on its module when called, so the module stays the one home of each behaviour."""

from decimal import Decimal
from typing import Any

from django.db.models import OuterRef

from orders.funds import FundsPosition
from orders.ingest_input import PaymentInput
from orders.models import Exchange, FulfillmentOrder, Order, OrderSummary
from orders.payments_link import FundsSums
from payments import automation, funds
from payments.models import OrderPaymentSummary
from payments.services import checkout_payments, exchange_funds


class PaymentsForOrders:
    def record_checkout_payments(
        self, orders: list[tuple[Order, OrderSummary | None, tuple[PaymentInput, ...]]]
    ) -> list[list[OrderPaymentSummary]]:
        return checkout_payments.record_checkout_payments(orders)

    def funds_annotations(self, summary_ref: OuterRef | None = None) -> dict[str, Any]:
        return funds.funds_annotations(summary_ref)

    def funds_position(
        self,
        summary: OrderSummary,
        *,
        grand_total_reduction: Decimal,
        added_outstanding_credit: Decimal,
        sums: FundsSums | None,
    ) -> FundsPosition:
        return funds.funds_position(
            summary,
            grand_total_reduction=grand_total_reduction,
            added_outstanding_credit=added_outstanding_credit,
            sums=sums,
        )

    def fulfillment_order_fulfilled(self, fulfillment_order: FulfillmentOrder) -> None:
        automation.fulfillment_order_fulfilled(fulfillment_order)

    def order_summary_changed(self, summary_id: int) -> None:
        automation.order_summary_changed(summary_id)

    def fund_exchange(self, exchange: Exchange) -> bool:
        return exchange_funds.fund_exchange(exchange)

    def exchange_card_to_charge(self, summary: OrderSummary) -> tuple[str, str, str, str] | None:
        return exchange_funds.card_to_charge(summary)
