"""A return order received in two parts (issue 15, point 1): a restocking fee on its line, one unit rejected
(not refunded, not restocked); each receipt credits and refunds through the agent-refund path, the fee paid
out of the refund, and the ledger keeps the money invariant."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from orders.calculations.inputs import FeeInput
from orders.errors import Conflict, InvalidInput
from orders.models import ItemStatus, OrderItemSummary, ReturnOrder, ReturnOrderLineItem
from orders.services.return_orders import (
    ReturnItemInput,
    ReturnOrderInput,
    ReturnOrderLineInput,
    create_return_order,
    preview_return_order,
)
from payments.models import AgentRefundStatus, CreditMemo, Invoice
from payments.services.return_order_receipt import receive_return_order
from tests.fulfillment.helpers import on_hand_reserved
from tests.money.shop import Shop, money

pytestmark = pytest.mark.django_db

# A 3 × 40.00 and B 1 × 20.00 at 8 %, delivery 10.00 + 0.80: 150.00 + 12.00 = 162.00.
ORDER = {"currency": "USD", "items": (("A", 3, "40.00", 8), ("B", 1, "20.00", 8)), "delivery": ("10.00", "0.80")}


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


@pytest.fixture
def agent(db):
    user = User.objects.create_user(username="agent", password="x")
    user.groups.add(Group.objects.get(name="Agent"))
    return user


@pytest.fixture
def shipped(shop):
    summary = shop.order(**ORDER)
    shop.ship(shop.place(summary, [("A", 3), ("B", 1)]))
    return summary


def expect_all_a(shop, summary, fee):
    return create_return_order(
        ReturnOrderInput(
            order_summary_id=summary.pk,
            destination_location_id=shop.location.pk,
            lines=(ReturnOrderLineInput(shop.item(summary, "A").pk, D(3), "Damaged", False, (fee,)),),
        )
    )


def receive(shop, return_order, agent, **quantities):
    line = ReturnOrderLineItem.objects.get(return_order=return_order, is_processed=False)
    with shop.capture(execute=True):
        return receive_return_order(return_order.pk, [ReturnItemInput(line.pk, **quantities)], user=agent)


def test_received_in_two_parts_with_a_restocking_fee_and_one_rejected_unit(shop, shipped, agent):
    reference = shop.location.external_reference
    assert money(shipped)["captured"] == D("162.00")
    assert on_hand_reserved(reference, "A") == (D(97), D(0))
    fee = FeeInput(D(10), "Percentage", "Restocking fee")

    # What the return order credits once all three come back: 3 × 43.20, less a 10 % fee of 12.96.
    preview = preview_return_order(
        ReturnOrderInput(
            order_summary_id=shipped.pk,
            lines=(ReturnOrderLineInput(shop.item(shipped, "A").pk, D(3), "Damaged", False, (fee,)),),
        )
    )
    assert (
        preview.balances.grand_total_amount,
        preview.balances.total_fee_amount,
        preview.balances.total_fee_tax_amount,
    ) == (D("129.60"), D("12.00"), D("0.96"))
    assert not ReturnOrder.objects.exists()

    return_order = expect_all_a(shop, shipped, fee)
    assert shop.item(shipped, "A").status == ItemStatus.RETURNINITIATED

    first = receive(shop, return_order, agent, quantity_returned=D(1), quantity_received=D(1))
    assert first.refund.status == AgentRefundStatus.RELEASED and first.refund.amount == D("43.20")
    a = shop.item(shipped, "A")
    assert (a.quantity_return_initiated, a.quantity_returned) == (3, 1)
    assert on_hand_reserved(reference, "A") == (D(98), D(0))
    assert money(shipped)["refunded"] == D("38.88")  # 43.20 less the fee's 4.32

    second = receive(shop, return_order, agent, quantity_returned=D(1), quantity_rejected=D(1), quantity_received=D(2))
    assert second.refund.amount == D("43.20")
    a = shop.item(shipped, "A")
    assert (a.quantity_return_initiated, a.quantity_returned, a.quantity_available_to_return) == (2, 2, 1)
    # The rejected unit goes back to the customer: not refunded, not restocked.
    assert on_hand_reserved(reference, "A") == (D(99), D(0))
    return_order.refresh_from_db()
    assert return_order.status == "Closed"
    rejected = ReturnOrderLineItem.objects.get(return_order=return_order, quantity_rejected=1)
    assert (rejected.quantity_received, rejected.quantity_returned) == (2, 1)
    assert list(rejected.fees.values_list("amount", "amount_type")) == [(D(10), "Percentage")]

    ledger = money(shipped)
    assert ledger["refunded"] == D("77.76")
    assert sorted(ledger["memos"]) == [(D("43.20"), D("0.00"))] * 2
    assert sorted(Invoice.objects.filter(order_summary=shipped).values_list("total_amount_with_tax", "balance")) == [
        (D("4.32"), D("0.00")),
        (D("4.32"), D("0.00")),
        (D("162.00"), D("0.00")),
    ]
    shipped.refresh_from_db()
    assert shipped.grand_total_amount == D("84.24") == ledger["captured"] - ledger["refunded"]
    assert CreditMemo.objects.filter(order_summary=shipped).count() == 2
    out = StringIO()
    call_command("check_money", str(shipped.pk), stdout=out)
    assert out.getvalue() == "Every order summary keeps the money invariant.\n"


def test_a_fixed_fee_is_shared_by_the_units_returned(shop, shipped, agent):
    return_order = expect_all_a(shop, shipped, FeeInput(D("6.00"), "AmountWithoutTax", "Return shipping"))
    receive(shop, return_order, agent, quantity_returned=D(1))
    rest = ReturnOrderLineItem.objects.get(return_order=return_order, is_processed=False)
    assert list(rest.fees.values_list("amount", flat=True)) == [D("4.00")]  # 2 of 3 units still expected
    receive(shop, return_order, agent, quantity_returned=D(1), quantity_rejected=D(1), quantity_received=D(1))
    fees = OrderItemSummary.objects.filter(order_summary=shipped, type="Fee").order_by("id")
    # 2.00 + tax 0.16 per unit returned; the rejected unit's 2.00 is never charged.
    assert [(fee.total_line_amount, fee.total_line_tax_amount) for fee in fees] == [
        (D("2.00"), D("0.16")),
        (D("2.00"), D("0.16")),
    ]


def test_fees_are_checked_when_the_return_order_is_made(shop, shipped):
    with pytest.raises(InvalidInput) as bad:
        expect_all_a(shop, shipped, FeeInput(D(120), "Percentage"))
    assert bad.value.errors[0].field == "returnOrderLineItems[0].returnOrderLineItemFees[0].amount"
    with pytest.raises(InvalidInput) as too_much:
        expect_all_a(shop, shipped, FeeInput(D("200.00"), "AmountWithoutTax"))
    assert (too_much.value.errors[0].field, too_much.value.errors[0].code) == (
        "returnOrderLineItems[0].returnOrderLineItemFees",
        "FEE_EXCEEDS_REDUCTION",
    )
    assert not ReturnOrder.objects.exists()


def test_a_stale_screen_is_refused(shop, shipped, agent):
    return_order = expect_all_a(shop, shipped, FeeInput(D(10), "Percentage"))
    line = return_order.lines.get()
    with pytest.raises(Conflict):
        receive_return_order(
            return_order.pk, [ReturnItemInput(line.pk, quantity_returned=D(1))], user=agent, expected_version=0
        )
    assert shop.item(shipped, "A").quantity_returned == 0
