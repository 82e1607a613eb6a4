"""What the change services read together: the channel check with the summary, reason codes and the funds
sums in one query, the change order count (the numbers of new change orders) under the lock."""

from decimal import Decimal as D

import pytest

from orders.calculations.inputs import AdjustInput, AdjustItemInput
from orders.errors import InvalidInput, NotFound
from orders.models import ItemStatus, Order, OrderItemSummary, OrderItemSummaryChange, ReasonCode
from orders.services.adjust import submit_adjust
from orders.services.cancel import preview_cancel, submit_cancel
from orders.services.simple_return import submit_return
from tests.builders import ensure_channel, items_by_sku, mark_captured, set_fulfillment_state, worked_example
from tests.change_builders import change, fee

pytestmark = pytest.mark.django_db


def test_another_channel_is_not_found_and_nothing_is_written():
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    other = ensure_channel("Store EU")
    before = (Order.objects.count(), OrderItemSummaryChange.objects.count())
    with pytest.raises(NotFound, match=f"No order summary {summary.pk}."):
        preview_cancel(summary.pk, [change(a.pk, 1)], channel_id=other.pk)
    with pytest.raises(NotFound, match=f"No order summary {summary.pk}."):
        submit_cancel(summary.pk, [change(a.pk, 1)], actor=None, channel_id=other.pk)
    assert (Order.objects.count(), OrderItemSummaryChange.objects.count()) == before
    assert submit_cancel(summary.pk, [change(a.pk, 1)], actor=None, channel_id=summary.sales_channel_id).change_order_id


def test_change_orders_are_numbered_in_sequence_whatever_their_kind():
    summary = worked_example()
    items = items_by_sku(summary)
    first = submit_cancel(summary.pk, [change(items["A"].pk, 1)], actor=None)
    with_fee = submit_cancel(summary.pk, [change(items["B"].pk, 1, fees=(fee("2.00"),))], actor=None)
    for ois in summary.item_summaries.all():
        set_fulfillment_state(
            ois,
            allocated=ois.quantity_ordered - ois.quantity_canceled,
            fulfilled=ois.quantity_ordered - ois.quantity_canceled,
        )
    returned = submit_return(summary.pk, [change(items["A"].pk, 1)], actor=None)
    numbers = [
        Order.objects.get(pk=pk).order_number
        for pk in (
            first.change_order_id,
            with_fee.change_order_id,
            with_fee.fee_change_order_id,
            returned.change_order_id,
        )
    ]
    assert numbers == [f"{summary.order_number}-C{n}" for n in (1, 2, 3, 4)]


def test_no_active_reason_code_refuses_every_reason():
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    ReasonCode.objects.update(is_active=False)
    for action in (
        lambda: preview_cancel(summary.pk, [change(a.pk, 1)]),
        lambda: submit_cancel(summary.pk, [change(a.pk, 1)], actor=None),
    ):
        with pytest.raises(InvalidInput) as refused:
            action()
        assert refused.value.errors[0].field == "changeItems[0].reason"


def test_a_reason_code_named_with_quotes_and_commas_is_read_back_exactly():
    ReasonCode.objects.create(name='Said "no", then [yes]')
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    result = submit_cancel(summary.pk, [change(a.pk, 1, reason='Said "no", then [yes]')], actor=None)
    assert (
        OrderItemSummaryChange.objects.get(change_order_id=result.change_order_id, order_item_summary=a).reason
        == 'Said "no", then [yes]'
    )


def test_an_item_canceled_whole_is_saved_with_its_status():
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    submit_cancel(summary.pk, [change(a.pk, a.quantity_ordered)], actor=None)
    a.refresh_from_db()
    assert (a.quantity_canceled, a.status) == (a.quantity_ordered, ItemStatus.CANCELED)
    assert a.total_line_amount == 0


def test_the_preview_funds_position_is_the_submits():
    summary = worked_example()
    mark_captured(summary, "118.80")
    a = items_by_sku(summary)["A"]
    preview = preview_cancel(summary.pk, [change(a.pk, 1)])
    submitted = submit_cancel(summary.pk, [change(a.pk, 1)], actor=None)
    assert preview.balances == submitted.balances
    # 118.80 captured, the cancel takes 43.20 off the grand total: that much is excess
    assert submitted.balances.total_excess_funds_amount == D("43.20")
    assert submitted.currency == preview.currency == "USD"


def test_adjust_submit_updates_only_what_moved():
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    submit_adjust(
        summary.pk, AdjustInput(items=(AdjustItemInput(a.pk, "AmountWithoutTax", D("-10"), "Price Match"),)), actor=None
    )
    a_after = OrderItemSummary.objects.get(pk=a.pk)
    assert a_after.total_adjustment_amount == a.total_adjustment_amount - D("10")
    assert (a_after.quantity_ordered, a_after.total_line_amount) == (a.quantity_ordered, a.total_line_amount)
