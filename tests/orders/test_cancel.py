"""Cancel service against the database: the §6 worked examples, what is written, what is refused."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.errors import Conflict, InvalidInput, InvalidState, NotFound
from orders.models import (
    ChangeType,
    ItemStatus,
    ItemType,
    Order,
    OrderItem,
    OrderItemSummary,
    OrderItemSummaryChange,
    OrderKind,
)
from orders.services.cancel import preview_cancel, submit_cancel
from payments.models import OrderPaymentSummary
from tests.builders import (
    address,
    ingest,
    item,
    items_by_sku,
    mark_captured,
    order_body,
    set_fulfillment_state,
    tax,
    worked_example,
    worked_example_body,
)
from tests.change_builders import assert_rebuilds, change, fee

pytestmark = pytest.mark.django_db


def counts():
    return (
        Order.objects.count(),
        OrderItem.objects.count(),
        OrderItemSummaryChange.objects.count(),
        OrderItemSummary.objects.count(),
    )


def balances_dict(result):
    return {name: value for name, value in vars(result.balances).items()}


def test_worked_example_cancel_with_shipping_reduction():
    summary = worked_example()
    items = items_by_sku(summary)
    request = [change(items["A"].pk, 1, shipping=True)]
    written_before = counts()

    preview = preview_cancel(summary.pk, request)
    assert counts() == written_before
    b = preview.balances
    # A: 40.00 + 3.20; delivery r = 40/100: 4.00 + 0.32
    assert (b.total_adjusted_product_amount, b.total_adjusted_product_tax_amount) == (D("40.00"), D("3.20"))
    assert (b.total_adjusted_delivery_amount, b.total_adjusted_delivery_tax_amount) == (D("4.00"), D("0.32"))
    assert (b.total_amount, b.total_tax_amount, b.grand_total_amount) == (D("44.00"), D("3.52"), D("47.52"))
    assert b.total_excess_funds_amount == 0 and b.total_refundable_amount == 0
    assert preview.change_order_id is None

    submitted = submit_cancel(summary.pk, request, actor=None)
    assert balances_dict(submitted) == balances_dict(preview)

    summary.refresh_from_db()
    # 118.80 - 47.52
    assert summary.grand_total_amount == D("71.28")
    assert summary.total_amount == D("66.00") and summary.total_tax_amount == D("5.28")
    a = OrderItemSummary.objects.get(pk=items["A"].pk)
    assert a.quantity_canceled == 1
    assert a.status == ItemStatus.ORDERED
    charge = OrderItemSummary.objects.get(type=ItemType.DELIVERY_CHARGE, order_summary=summary)
    assert charge.total_price == D("6.00") and charge.total_tax_amount == D("0.48")
    assert charge.quantity == 1

    order = Order.objects.get(pk=submitted.change_order_id)
    assert order.kind == OrderKind.CHANGE and order.change_type == ChangeType.CANCEL
    assert order.order_summary_id == summary.pk
    assert order.order_number == f"{summary.order_number}-C1"
    # signed deltas: -44.00, -3.52, -47.52
    assert (order.total_amount, order.total_tax_amount, order.grand_total_amount) == (
        D("-44.00"),
        D("-3.52"),
        D("-47.52"),
    )
    a_delta = order.items.get(order_item_summary=a)
    assert (a_delta.quantity, a_delta.line_amount, a_delta.line_tax_amount) == (D(-1), D("-40.00"), D("-3.20"))
    assert list(a_delta.tax_lines.values_list("amount", flat=True)) == [D("-3.20")]
    rows = OrderItemSummaryChange.objects.filter(change_order=order).order_by("order_item_summary_id")
    assert [(r.order_item_summary_id, r.change_type, r.is_pre_fulfillment) for r in rows] == [
        (a.pk, "Cancel", True),
        (charge.pk, "Cancel", True),
    ]
    assert summary.version == preview.version + 1 == submitted.version
    assert_rebuilds(summary)


def test_worked_example_cancel_after_capture_shows_the_excess():
    summary = worked_example()
    mark_captured(summary, "118.80")
    a = items_by_sku(summary)["A"]
    preview = preview_cancel(summary.pk, [change(a.pk, 1, shipping=True)])
    # captured 118.80 - new grand total 71.28 = 47.52
    assert preview.balances.total_excess_funds_amount == D("47.52")
    assert preview.balances.total_refundable_amount == D("47.52")
    submitted = submit_cancel(summary.pk, [change(a.pk, 1, shipping=True)], actor=None)
    assert submitted.balances.total_excess_funds_amount == D("47.52")


def test_pending_refund_is_not_counted_twice():
    """§3.6: a second change before the first excess refund completes."""
    summary = worked_example()
    mark_captured(summary, "118.80")
    items = items_by_sku(summary)
    submit_cancel(summary.pk, [change(items["A"].pk, 1, shipping=True)], actor=None)
    # the refund of the first excess (47.52) is under way
    OrderPaymentSummary.objects.filter(order_summary=summary).update(pending_refund_amount=D("47.52"))
    second = preview_cancel(summary.pk, [change(items["B"].pk, 1)])
    # net captured 118.80 - 47.52 = 71.28; grand total 71.28 - 21.60 (B 20.00 + 1.60) = 49.68
    # excess 71.28 - 49.68 = 21.60, not 47.52 + 21.60 = 69.12
    assert second.balances.total_excess_funds_amount == D("21.60")
    assert second.balances.total_refundable_amount == D("21.60")


def test_cancel_everything_removes_the_whole_delivery_charge_and_cancels_the_summary():
    summary = worked_example()
    items = items_by_sku(summary)
    result = submit_cancel(summary.pk, [change(items["A"].pk, 2, shipping=True), change(items["B"].pk, 1)], actor=None)
    assert result.balances.grand_total_amount == D("118.80")
    summary.refresh_from_db()
    assert summary.grand_total_amount == 0
    assert summary.status == "Canceled"
    charge = OrderItemSummary.objects.get(type=ItemType.DELIVERY_CHARGE, order_summary=summary)
    assert charge.quantity_canceled == 1 and charge.status == ItemStatus.CANCELED
    assert_rebuilds(summary)


def test_cancel_with_fee_writes_a_fee_change_order_and_fee_item():
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    result = submit_cancel(summary.pk, [change(a.pk, 1, fees=[fee("5.00", description="Restocking")])], actor=None)
    assert result.balances.total_fee_amount == D("5.00") and result.balances.total_fee_tax_amount == D("0.40")
    # reduction before fees: 40.00 + 3.20
    assert result.balances.grand_total_amount == D("43.20")
    fee_order = Order.objects.get(pk=result.fee_change_order_id)
    assert fee_order.change_type == ChangeType.FEE
    assert (fee_order.total_amount, fee_order.total_tax_amount) == (D("5.00"), D("0.40"))
    fee_item = OrderItemSummary.objects.get(order_summary=summary, type=ItemType.FEE)
    assert fee_item.original_order_item.order_id == fee_order.pk
    assert fee_item.delivery_group_summary_id == a.delivery_group_summary_id
    assert (fee_item.total_line_amount, fee_item.total_line_tax_amount) == (D("5.00"), D("0.40"))
    summary.refresh_from_db()
    # 118.80 - 43.20 + 5.40
    assert summary.grand_total_amount == D("81.00")
    assert summary.total_fee_amount == D("5.00")
    assert OrderItemSummaryChange.objects.get(order_item_summary=fee_item).change_type == "Fee"
    assert_rebuilds(summary)


def test_actor_is_recorded_on_change_order_and_rows(django_user_model):
    agent = django_user_model.objects.create_user(username="agent", password="x")
    summary = worked_example()
    result = submit_cancel(summary.pk, [change(items_by_sku(summary)["B"].pk, 1)], actor=agent)
    assert Order.objects.get(pk=result.change_order_id).created_by == agent
    row = OrderItemSummaryChange.objects.get(change_order_id=result.change_order_id)
    assert row.created_by == agent and row.actor == "agent"
    assert row.reason == "Customer Changed Mind"


def test_stale_version_is_a_conflict_and_writes_nothing():
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    preview = preview_cancel(summary.pk, [change(a.pk, 1)])
    submit_cancel(summary.pk, [change(a.pk, 1)], actor=None, expected_version=preview.version)
    before = counts()
    with pytest.raises(Conflict):
        submit_cancel(summary.pk, [change(a.pk, 1)], actor=None, expected_version=preview.version)
    assert counts() == before


@pytest.mark.parametrize(
    ("make_request", "error", "field"),
    [
        (lambda i: [change(i["A"].pk, 3)], InvalidState, "changeItems[0].quantity"),
        (lambda i: [change(i["A"].pk, 0)], InvalidInput, "changeItems[0].quantity"),
        # Issue #13: a delivery charge can be canceled now, but only in whole units.
        (lambda i: [change(i["DELIVERY-GROUND"].pk, "0.5")], InvalidInput, "changeItems[0].quantity"),
        (lambda i: [change(999999, 1)], InvalidInput, "changeItems[0].orderItemSummaryId"),
        (lambda i: [change(i["A"].pk, 1, reason="Whim")], InvalidInput, "changeItems[0].reason"),
    ],
)
def test_refused_requests_write_nothing(make_request, error, field):
    summary = worked_example()
    request = make_request(items_by_sku(summary))
    before = counts()
    with pytest.raises(error) as refused:
        submit_cancel(summary.pk, request, actor=None)
    assert refused.value.errors[0].field == field
    assert counts() == before
    summary.refresh_from_db()
    assert summary.version == 1 and summary.grand_total_amount == D("118.80")


def test_item_of_another_summary_is_unknown():
    summary, other = worked_example(), worked_example()
    foreign = items_by_sku(other)["A"]
    with pytest.raises(InvalidInput) as refused:
        preview_cancel(summary.pk, [change(foreign.pk, 1)])
    assert refused.value.errors[0].field == "changeItems[0].orderItemSummaryId"


def test_unmanaged_summary_is_refused():
    summary = ingest(worked_example_body(orderLifeCycleType="UNMANAGED"))
    with pytest.raises(InvalidState):
        submit_cancel(summary.pk, [change(items_by_sku(summary)["A"].pk, 1)], actor=None)


def test_unknown_summary_is_not_found():
    with pytest.raises(NotFound):
        preview_cancel(424242, [change(1, 1)])


def test_deactivated_reason_code_is_refused():
    from orders.models import ReasonCode

    ReasonCode.objects.filter(name="Goodwill").update(is_active=False)
    summary = worked_example()
    with pytest.raises(InvalidInput) as refused:
        preview_cancel(summary.pk, [change(items_by_sku(summary)["A"].pk, 1, reason="Goodwill")])
    assert refused.value.errors[0].field == "changeItems[0].reason"


def test_allocated_units_cannot_be_canceled():
    summary = worked_example()
    a = set_fulfillment_state(items_by_sku(summary)["A"], allocated=2)
    with pytest.raises(InvalidState):
        submit_cancel(summary.pk, [change(a.pk, 1)], actor=None)


def _order_with(products: int):
    return ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "deliveryCharge": {"amount": D("10.00"), "taxes": [tax(8, "0.80")]},
                    "items": [item(f"P{n}", 3, "10.00", rate=8) for n in range(products)],
                }
            ]
        )
    )


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


def test_preview_and_submit_queries_do_not_grow_with_items():
    small, large = _order_with(2), _order_with(12)

    def request_for(summary, count):
        products = summary.item_summaries.filter(type=ItemType.PRODUCT).order_by("id")[:count]
        return [change(ois.pk, 1, shipping=True) for ois in products]

    small_request, large_request = request_for(small, 1), request_for(large, 10)
    assert _queries(lambda: preview_cancel(small.pk, small_request)) == _queries(
        lambda: preview_cancel(large.pk, large_request)
    )
    assert _queries(lambda: submit_cancel(small.pk, small_request, actor=None)) == _queries(
        lambda: submit_cancel(large.pk, large_request, actor=None)
    )
