"""The demo data set of `make run`: orders in every state across the channels, with the money records
each state brings, consistent with the rules of DOMAIN.md, and the same on a second run.

Counts come from the stories in console/demo/scenarios.py (SEQUENCE); amounts from the seeded orders,
worked out by hand in the comments.
"""

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils.html import escape

from console.demo.scenarios import SEQUENCE, compose, order_number
from orders.funds import funds_position
from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    ChangeType,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentOrderStatus,
    FulfillmentPhase,
    InventoryLevel,
    ItemStatus,
    ItemType,
    Location,
    Order,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderKind,
    OrderSummary,
    OrderSummaryStatus,
    ProcessException,
    ProcessExceptionCategory,
    ReturnOrder,
    ReturnOrderLineItem,
    ReturnOrderStatus,
)
from payments.models import AgentRefund as RefundApproval
from payments.models import AgentRefundStatus as RefundApprovalStatus
from payments.models import (
    BackgroundOperation,
    CreditMemo,
    GatewayLogStatus,
    InteractionType,
    Invoice,
    OrderPaymentSummary,
    Payment,
    PaymentGatewayLog,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from tests.change_builders import assert_rebuilds
from tests.demo.conftest import load

pytestmark = pytest.mark.django_db

D = Decimal


def summary(number: str) -> OrderSummary:
    return OrderSummary.objects.get(order_number=number)


def items(number: str) -> list[OrderItemSummary]:
    return list(OrderItemSummary.objects.filter(order_summary__order_number=number).order_by("id"))


def net_captured(order_summary) -> Decimal:
    totals = OrderPaymentSummary.objects.filter(order_summary=order_summary).aggregate(
        captured=Sum("captured_amount"), refunded=Sum("refunded_amount")
    )
    return totals["captured"] - totals["refunded"]


def test_orders_across_the_four_channels_and_three_currencies(demo):
    # SEQUENCE: Web US 26 stories, Web EU 14, Web JP 12, Retail Stores 12: 64 orders.
    assert Counter(OrderSummary.objects.values_list("sales_channel__name", "currency")) == {
        ("Web US", "USD"): 26,
        ("Web EU", "EUR"): 14,
        ("Web JP", "JPY"): 12,
        ("Retail Stores", "USD"): 12,
    }
    assert "  Demo orders created: 64" in demo.splitlines()
    assert Location.objects.count() == 8
    # 30 products at the 4 all-round locations (3 US, 1 EU); the 20 shoes and apparel at the 4 stores.
    assert InventoryLevel.objects.count() == 4 * 30 + 4 * 20


def test_customers_have_names_from_many_scripts(demo):
    names = set(OrderSummary.objects.values_list("bill_to_name", flat=True))
    assert {"Nguyễn Văn An", "Jürgen Groß", "Łukasz Wróbel", "佐藤 花子"} <= names


def test_each_channel_taxes_the_way_its_market_does(demo):
    us, eu, jp = summary("US-10001"), summary("EU-10001"), summary("JP-10001")
    # Classic Court Sneaker 89.95 + 8.25 % = 7.42 (7.420875); Ground delivery 6.95 + 0.57 (0.573375).
    assert (us.tax_locale_type, us.total_amount, us.total_tax_amount, us.grand_total_amount) == (
        "Net",
        D("96.90"),
        D("7.99"),
        D("104.89"),
    )
    # Tee 27.95 with 20 % VAT inside: 27.95 × 20 / 120 = 4.658 → 4.66; Standard delivery 4.95 → 0.825 → 0.83.
    # Gross: the grand total is the total, tax included.
    assert (eu.tax_locale_type, eu.total_amount, eu.total_tax_amount, eu.grand_total_amount) == (
        "Gross",
        D("32.90"),
        D("5.49"),
        D("32.90"),
    )
    # 2 × ¥9,900 slippers = ¥19,800 with 10 % inside: 19,800 × 10 / 110 = ¥1,800; delivery ¥550 → ¥50.
    assert (jp.tax_locale_type, jp.total_amount, jp.total_tax_amount, jp.grand_total_amount) == (
        "Gross",
        D("20350"),
        D("1850"),
        D("20350"),
    )
    rates = Counter(OrderItemSummary.objects.values_list("order_summary__sales_channel__name", "tax_rate"))
    assert {rate for (channel, rate) in rates if channel == "Web US"} == {D("8.25")}
    assert {rate for (channel, rate) in rates if channel == "Web EU"} == {D("20")}
    assert {rate for (channel, rate) in rates if channel == "Web JP"} == {D("10")}
    # Each shop charges its state's rate: New York 8.875 %, Illinois 10.25 %, California 8.625 %.
    assert {rate for (channel, rate) in rates if channel == "Retail Stores"} <= {D("8.875"), D("10.25"), D("8.625")}
    for ois in OrderItemSummary.objects.filter(order_summary__currency="JPY"):
        assert ois.total_line_amount == ois.total_line_amount.to_integral_value()
        assert ois.total_line_tax_amount == ois.total_line_tax_amount.to_integral_value()


def test_orders_in_every_summary_status(demo):
    # Created: 4 placed moments ago + 1 that no location can ship. Waiting to Fulfill: Web US 4 (allocated,
    # assigned, pick-pack, partly shipped), Web EU 3, Web JP 1, Retail 1. Canceled: 3. Returned: the 5
    # "returned" stories and US-10017, whose only unit came back with a restocking fee. Fulfilled: the other 41.
    expected = {"Created": 5, "Waiting to Fulfill": 9, "Fulfilled": 41, "Canceled": 3, "Returned": 6}
    assert Counter(OrderSummary.objects.values_list("status", flat=True)) == expected
    assert (
        "  Order summaries by status: Created 5, Waiting to Fulfill 9, Fulfilled 41, Canceled 3, Returned 6"
        in demo.splitlines()
    )
    assert not FulfillmentOrder.objects.filter(order_summary__status=OrderSummaryStatus.CREATED).exists()
    waiting = set(
        FulfillmentOrder.objects.filter(order_summary__status=OrderSummaryStatus.WAITING_TO_FULFILL).values_list(
            "status", flat=True
        )
    )
    assert waiting == {"Allocated", "Assigned", "Pickpack", "Fulfilled"}


def test_partly_shipped_orders_have_one_group_fulfilled_and_one_in_the_warehouse(demo):
    for number in ("US-10023", "EU-10013"):
        first, second = summary(number).delivery_group_summaries.order_by("id")
        assert {fo.status for fo in first.fulfillment_orders.all()} == {FulfillmentOrderStatus.FULFILLED}
        assert {fo.status for fo in second.fulfillment_orders.all()} == {FulfillmentOrderStatus.PICKPACK}
        assert Invoice.objects.filter(order_summary__order_number=number).count() == first.fulfillment_orders.count()


def test_several_orders_have_two_delivery_groups(demo):
    # Two-group stories: fulfilled (Web US, EU, JP), gift card and card (Web US), created (Web US), partly
    # shipped (Web US, EU).
    two = [
        s
        for s in OrderSummary.objects.prefetch_related("delivery_group_summaries")
        if len(s.delivery_group_summaries.all()) == 2
    ]
    assert len(two) == 7
    assert all(s.delivery_group_summaries.all()[1].is_gift for s in two)


def test_gift_card_and_card_pay_together(demo):
    # Gift card and card: US-10005, US-10013, EU-10006, JP-10003. The gift card's sale is applied first,
    # the card is captured for the rest: together exactly the grand total.
    numbers = set(
        OrderPaymentSummary.objects.filter(type="GiftCard").values_list("order_summary__order_number", flat=True)
    )
    assert numbers == {"US-10005", "US-10013", "EU-10006", "JP-10003"}
    for number in numbers:
        gift, card = OrderPaymentSummary.objects.filter(order_summary__order_number=number).order_by("id")
        assert (gift.type, card.type) in {("GiftCard", "Visa"), ("GiftCard", "Mastercard")}
        assert gift.captured_amount == gift.authorization_amount > 0
        assert (gift.balance_amount, card.balance_amount) == (0, 0)
        assert gift.captured_amount + card.captured_amount == summary(number).grand_total_amount
    # US-10005: 321.34; the gift card pays 50.00, the Visa is captured for 271.34.
    gift, card = OrderPaymentSummary.objects.filter(order_summary__order_number="US-10005").order_by("id")
    assert (gift.captured_amount, card.captured_amount) == (D("50.00"), D("271.34"))


def test_declined_captures_raise_payment_exceptions(demo):
    exceptions = ProcessException.objects.filter(
        category=ProcessExceptionCategory.PAYMENT, status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES
    )
    assert sorted(exceptions.values_list("order_summary__order_number", flat=True)) == ["EU-10007", "US-10016"]
    for number in ("EU-10007", "US-10016"):
        order_summary = summary(number)
        assert order_summary.active_process_exception_count == 1
        assert list(
            Payment.objects.filter(order_payment_summary__order_summary=order_summary).values_list("status", flat=True)
        ) == [PaymentStatus.FAILED]
        # Shipped but not paid: the whole grand total is still owed on the invoice.
        invoice_balance = Invoice.objects.filter(order_summary=order_summary).aggregate(total=Sum("balance"))["total"]
        assert invoice_balance == order_summary.grand_total_amount
    assert "  Open process exceptions: Fulfillment 1, Payment 2" in demo.splitlines()


def test_an_order_no_location_can_ship_raises_a_fulfillment_exception(demo):
    order_summary = summary("US-10024")
    exception = ProcessException.objects.get(category=ProcessExceptionCategory.FULFILLMENT)
    assert exception.order_summary == order_summary
    assert "SH-LTD-99" in exception.description
    assert order_summary.status == OrderSummaryStatus.CREATED
    assert not order_summary.fulfillment_orders.exists()


def test_timed_out_captures_are_reconciled(demo):
    timeouts = PaymentGatewayLog.objects.filter(
        interaction_type=InteractionType.CAPTURE, status=GatewayLogStatus.TIMEOUT
    )
    assert sorted(timeouts.values_list("order_payment_summary__order_summary__order_number", flat=True)) == [
        "JP-10006",
        "US-10011",
    ]
    for log in timeouts:
        settled = PaymentGatewayLog.objects.get(payment=log.payment, is_reconciliation=True)
        assert settled.status == GatewayLogStatus.SUCCESS
        assert Payment.objects.get(pk=log.payment_id).status == PaymentStatus.PROCESSED
    assert not Payment.objects.filter(status=PaymentStatus.PENDING).exclude(idempotency_key=None).exists()
    assert not Refund.objects.filter(status=RefundStatus.PENDING).exists()


def test_every_shipped_fulfillment_order_is_invoiced_and_every_job_finished(demo):
    shipped = FulfillmentOrder.objects.filter(status=FulfillmentOrderStatus.FULFILLED)
    assert shipped.count() > 40
    assert Invoice.objects.filter(fulfillment_order__in=shipped).count() == shipped.count()
    unpaid = Invoice.objects.filter(balance__gt=0).values_list("order_summary__order_number", flat=True)
    assert sorted(unpaid) == ["EU-10007", "US-10016"]
    assert set(BackgroundOperation.objects.values_list("status", flat=True)) == {"Complete"}


def test_money_adds_up_for_every_settled_order(demo):
    """Shipped, returned or canceled, nothing declined and nothing waiting for approval: what was captured
    and not refunded is exactly the grand total, so there is neither excess nor credit outstanding."""
    held = {"EU-10007", "US-10016", "US-10022"}
    settled = OrderSummary.objects.filter(status__in=["Fulfilled", "Returned", "Canceled"]).exclude(
        order_number__in=held
    )
    assert settled.count() == 50 - len(held)
    for order_summary in settled:
        position = funds_position(order_summary)
        assert net_captured(order_summary) == order_summary.grand_total_amount, order_summary.order_number
        assert (position.total_excess_funds_amount, position.outstanding_credit) == (0, 0), order_summary.order_number


def test_item_summaries_are_the_original_plus_every_change(demo):
    for order_summary in OrderSummary.objects.all():
        assert_rebuilds(order_summary)


def test_whole_and_partial_cancels(demo):
    canceled = OrderSummary.objects.filter(status=OrderSummaryStatus.CANCELED)
    assert sorted(canceled.values_list("order_number", flat=True)) == ["EU-10011", "JP-10008", "US-10008"]
    for order_summary in canceled:
        assert order_summary.grand_total_amount == 0
        for ois in order_summary.item_summaries.filter(type=ItemType.PRODUCT):
            assert (ois.quantity_canceled, ois.status) == (ois.quantity_ordered, ItemStatus.CANCELED)
    # Partly canceled with shipping reduction: one of two units, and the delivery charge shrinks with the
    # products it carries, without being canceled.
    for number in ("US-10010", "EU-10008"):
        products = [ois for ois in items(number) if ois.type == ItemType.PRODUCT]
        charge = next(ois for ois in items(number) if ois.type == ItemType.DELIVERY_CHARGE)
        assert (products[0].quantity_ordered, products[0].quantity_canceled) == (2, 1)
        assert charge.quantity_canceled == 0 and 0 < charge.total_line_amount < charge.unit_price
    # Canceled after allocation: the location canceled the unit on its fulfillment order first.
    puffer = next(ois for ois in items("US-10019") if ois.sku == "AP-PUF-08")
    assert (puffer.quantity_canceled, puffer.quantity_allocated, puffer.status) == (1, 0, ItemStatus.CANCELED)
    line = FulfillmentOrderLineItem.objects.get(order_item_summary=puffer)
    assert (line.original_quantity, line.quantity) == (1, 0)


def test_returns_are_credited_and_refunded(demo):
    returned = OrderSummary.objects.filter(status=OrderSummaryStatus.RETURNED)
    assert returned.count() == 6
    for order_summary in returned:
        for ois in order_summary.item_summaries.filter(type=ItemType.PRODUCT):
            assert (ois.quantity, ois.status) == (0, ItemStatus.RETURNED)
    assert CreditMemo.objects.count() == CreditMemo.objects.filter(balance=0).count() > 10
    assert set(Refund.objects.values_list("status", flat=True)) == {RefundStatus.PROCESSED}
    memos_refunded = Refund.objects.filter(credit_memo__isnull=False).values("credit_memo").distinct().count()
    assert memos_refunded == CreditMemo.objects.count()


def test_a_return_with_a_restocking_fee_pays_the_fee_out_of_the_refund(demo):
    fees = Order.objects.filter(kind=OrderKind.CHANGE, change_type=ChangeType.FEE)
    assert sorted(fees.values_list("order_summary__order_number", flat=True)) == ["RS-10007", "US-10017"]
    for fee in fees:
        assert Invoice.objects.get(change_order_links__change_order=fee).balance == 0
    # US-10017: the hoodie 64.95 + 8.25 % tax 5.36 (5.358) = 70.31 back; the fee is 10 % of 64.95 = 6.50
    # (6.495) + tax 0.54 (0.53625) = 7.04, paid out of it: 63.27 refunded to the card.
    card = OrderPaymentSummary.objects.get(order_summary__order_number="US-10017")
    assert card.refunded_amount == D("63.27")
    assert summary("US-10017").status == OrderSummaryStatus.RETURNED


def test_a_return_order_processed_in_two_parts(demo):
    return_orders = ReturnOrder.objects.order_by("id")
    assert [(ro.order_summary.order_number, ro.status) for ro in return_orders] == [
        ("US-10014", ReturnOrderStatus.CLOSED),
        ("JP-10004", ReturnOrderStatus.CLOSED),
    ]
    for return_order in return_orders:
        pair, single = items(return_order.order_summary.order_number)[:2]
        # Two expected back: one returned in the first parcel, the second rejected (worn) in the next.
        assert (pair.quantity_ordered, pair.quantity_return_initiated, pair.quantity_returned) == (2, 1, 1)
        assert (single.quantity_returned, single.status) == (1, ItemStatus.RETURNED)
        # The pair's line, the single item's line, and the line split off the pair's for the unit still expected.
        lines = ReturnOrderLineItem.objects.filter(return_order=return_order).order_by("id")
        assert [(line.quantity_returned, line.quantity_rejected, line.is_processed) for line in lines] == [
            (1, 0, True),
            (1, 0, True),
            (0, 1, True),
        ]
        changes = Order.objects.filter(order_summary=return_order.order_summary, change_type=ChangeType.RETURN)
        assert changes.count() == 2
        assert CreditMemo.objects.filter(order_summary=return_order.order_summary).count() == 2


def test_price_adjustments_before_and_after_fulfillment(demo):
    adjustments = Counter(
        Order.objects.filter(change_type=ChangeType.ADJUST).values_list(
            "order_summary__order_number", "fulfillment_phase"
        )
    )
    assert adjustments == {
        ("US-10020", FulfillmentPhase.PRE): 1,
        ("JP-10009", FulfillmentPhase.PRE): 1,
        ("US-10012", FulfillmentPhase.POST): 1,
        ("EU-10010", FulfillmentPhase.POST): 1,
        ("RS-10010", FulfillmentPhase.POST): 1,
    }
    # Late delivery goodwill of 15.00 before tax on US-10012: 15.00 + 8.25 % (1.2375) = 16.24 refunded;
    # on EU-10010, 15.00 with VAT included.
    assert OrderPaymentSummary.objects.get(order_summary__order_number="US-10012").refunded_amount == D("16.24")
    assert OrderPaymentSummary.objects.get(order_summary__order_number="EU-10010").refunded_amount == D("15.00")


def test_a_refund_above_the_agent_limit_waits_for_a_supervisor(demo):
    # Every refund an agent's change started is recorded (they count towards the limit); one waits.
    approval = RefundApproval.objects.get(status=RefundApprovalStatus.PENDING)
    # The headphones 249.00 + 8.25 % tax 20.54 (20.5425) = 269.54, above the agent's 200.00.
    assert (approval.order_summary.order_number, approval.amount, approval.currency, approval.status) == (
        "US-10022",
        D("269.54"),
        "USD",
        RefundApprovalStatus.PENDING,
    )
    assert approval.requested_by.username == "agent"
    order_summary = approval.order_summary
    assert net_captured(order_summary) - order_summary.grand_total_amount == D("269.54")
    assert funds_position(order_summary).outstanding_credit == D("269.54")
    assert "  Refunds waiting for a supervisor: 1" in demo.splitlines()


def test_changes_are_made_by_the_console_users(demo):
    makers = Counter(OrderItemSummaryChange.objects.values_list("created_by__username", flat=True))
    assert set(makers) == {"agent", "supervisor"}


def test_the_order_plans_do_not_depend_on_the_run(demo):
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    channel, stories = SEQUENCE[0]
    first = [compose(channel, order_number(channel, i), story, now) for i, story in enumerate(stories)]
    again = [compose(channel, order_number(channel, i), story, now) for i, story in enumerate(stories)]
    assert first == again


def _snapshot() -> dict:
    models = [
        OrderSummary,
        Order,
        OrderItemSummary,
        OrderItemSummaryChange,
        FulfillmentOrder,
        Location,
        InventoryLevel,
        ReturnOrder,
        ReturnOrderLineItem,
        ProcessException,
        OrderPaymentSummary,
        Payment,
        Refund,
        Invoice,
        CreditMemo,
        BackgroundOperation,
        PaymentGatewayLog,
        RefundApproval,
        get_user_model(),
    ]
    return {
        "counts": {model.__name__: model.objects.count() for model in models},
        "versions": list(OrderSummary.objects.order_by("id").values_list("version", "status", "grand_total_amount")),
        "stock": list(InventoryLevel.objects.order_by("id").values_list("quantity_on_hand", "quantity_reserved")),
        "money": list(OrderPaymentSummary.objects.order_by("id").values_list("captured_amount", "refunded_amount")),
    }


def test_running_it_again_changes_nothing(demo, settings):
    settings.DEBUG = True
    before = _snapshot()

    output = load()

    assert _snapshot() == before
    assert "  Demo orders created: 0 (64 were there already)" in output.splitlines()


@pytest.mark.parametrize(
    "number", ["US-10024", "US-10023", "US-10005", "US-10008", "JP-10004", "US-10022", "EU-10007", "RS-10007"]
)
def test_the_console_shows_the_demo_orders(demo, client, number):
    # Created with a Fulfillment exception, partly shipped with two groups, gift card and card, canceled,
    # a return order in yen, a refund waiting for approval, a declined capture, a return with a fee.
    client.force_login(get_user_model().objects.get(username="supervisor"))
    order_summary = summary(number)

    response = client.get(f"/console/orders/{order_summary.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert number in page and escape(order_summary.bill_to_name) in page


def test_the_console_lists_the_demo_exceptions(demo, client):
    client.force_login(get_user_model().objects.get(username="supervisor"))
    response = client.get("/console/exceptions/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "US-10016" in page and "EU-10007" in page and "US-10024" in page


def test_the_demo_money_keeps_the_invariant(demo):
    """Issue 12, rule 9: after the demo load, check_money reports no order summary."""
    from payments.money_check import check_money

    assert check_money() == {}
