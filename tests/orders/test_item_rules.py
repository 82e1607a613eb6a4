"""The rules on the item state (orders/item_rules.py, issue 18 point 3), and the places that now share them: the
calculation's type checks, the console's wizard forms and the console's order page (which disagreed before)."""

from decimal import Decimal as D

import pytest

from console.forms.exchange import returnable_items as exchangeable_items
from console.forms.reship import reshippable_items
from console.forms.return_orders import returnable_items
from console.forms.wizards import ADJUST, CANCEL, RETURN, eligible_items
from console.order_page.rows import ITEM_FIELDS, Item, item_rows
from console.order_page.text import FigureText
from orders import item_rules
from orders.calculations.adjust import plan_adjust
from orders.calculations.inputs import AdjustInput, AdjustItemInput, ChangeItemInput
from orders.calculations.reductions import plan_cancel, plan_return
from orders.calculations.state import DELIVERY_CHARGE, FEE, PRODUCT, Amounts, ItemState, Quantities, SummaryState
from orders.errors import ServiceError
from orders.models import OrderItemSummary

REASONS = {"Damaged"}


def summary_item(
    pk=1,
    *,
    type=PRODUCT,
    ordered="2",
    canceled="0",
    allocated="0",
    fulfilled="0",
    return_initiated="0",
    returned="0",
    reshipped="0",
    line="20.00",
    adjustment="0.00",
):
    """An unsaved OrderItemSummary: the rules read only its type and the quantities it derives."""
    return OrderItemSummary(
        pk=pk,
        type=type,
        quantity_ordered=D(ordered),
        quantity_canceled=D(canceled),
        quantity_allocated=D(allocated),
        quantity_fulfilled=D(fulfilled),
        quantity_return_initiated=D(return_initiated),
        quantity_returned=D(returned),
        quantity_reshipped=D(reshipped),
        total_line_amount=D(line),
        total_adjustment_amount=D(adjustment),
        total_line_tax_amount=D("0"),
        total_adjustment_tax_amount=D("0"),
    )


def page_row(item: OrderItemSummary) -> Item:
    """The same item as the order page reads it (stored columns only)."""
    values = {field: getattr(item, field, None) for field in ITEM_FIELDS}
    values.update(
        delivery_group_summary_id=1,
        line_number=item.pk,
        sku="",
        name="x",
        status="Ordered",
        tax_locale_type="Net",
        unit_price=D("10.00"),
    )
    return Item(**values)


# --- one test per rule ------------------------------------------------------------------------------------


def test_cancel_takes_products_and_delivery_charges_with_units_not_yet_allocated():
    assert item_rules.may_cancel(summary_item(ordered="2", allocated="1"))  # 2 − 1 allocated = 1 left
    assert not item_rules.may_cancel(summary_item(ordered="2", allocated="2"))
    assert not item_rules.may_cancel(summary_item(ordered="2", canceled="1", allocated="1"))  # 2 − 1 − 1 = 0
    assert item_rules.may_cancel(summary_item(type=DELIVERY_CHARGE, ordered="1"))
    assert not item_rules.may_cancel(summary_item(type=FEE, ordered="1"))


def test_return_takes_shipped_product_units_not_already_being_returned():
    assert item_rules.may_return(summary_item(fulfilled="2", return_initiated="1"))  # 2 − 1 = 1
    assert not item_rules.may_return(summary_item(fulfilled="2", return_initiated="2"))
    assert not item_rules.may_return(summary_item(fulfilled="0"))
    assert not item_rules.may_return(summary_item(type=DELIVERY_CHARGE, ordered="1", fulfilled="1"))


def test_exchange_offers_what_a_return_offers():
    for item in [
        summary_item(fulfilled="1"),
        summary_item(fulfilled="1", return_initiated="1"),
        summary_item(type=DELIVERY_CHARGE, ordered="1", fulfilled="1"),
    ]:
        assert item_rules.may_exchange(item) == item_rules.may_return(item)


def test_reship_takes_shipped_units_still_with_the_customer_and_not_reshipped():
    assert item_rules.may_reship(summary_item(fulfilled="2", reshipped="1"))  # 2 − 0 − 1 = 1
    assert not item_rules.may_reship(summary_item(fulfilled="2", return_initiated="1", reshipped="1"))  # 0
    assert not item_rules.may_reship(summary_item(fulfilled="2", reshipped="3"))  # never below zero
    assert not item_rules.may_reship(summary_item(type=DELIVERY_CHARGE, ordered="1", fulfilled="1"))


def test_adjust_takes_products_and_delivery_charges_with_units_and_a_price_left():
    assert item_rules.may_adjust(summary_item(ordered="2", line="20.00"))
    assert not item_rules.may_adjust(summary_item(ordered="2", canceled="2"))  # no unit left
    assert not item_rules.may_adjust(summary_item(ordered="2", line="20.00", adjustment="-20.00"))  # price 0
    assert item_rules.may_adjust(summary_item(type=DELIVERY_CHARGE, ordered="1", line="5.00"))
    assert not item_rules.may_adjust(summary_item(type=FEE, ordered="1", line="5.00"))


# --- the console's forms offer what the rules say -----------------------------------------------------------

ITEMS = [
    summary_item(1),
    summary_item(2, allocated="2", fulfilled="2"),
    summary_item(3, fulfilled="2", reshipped="2", allocated="2"),
    summary_item(4, type=DELIVERY_CHARGE, ordered="1", line="5.00"),
    summary_item(5, type=FEE, ordered="1", line="3.00"),
    summary_item(6, line="0.00"),
]


@pytest.mark.parametrize(
    ("offered", "rule"),
    [
        (lambda items: eligible_items(CANCEL, items), item_rules.may_cancel),
        (lambda items: eligible_items(RETURN, items), item_rules.may_return),
        (lambda items: eligible_items(ADJUST, items), item_rules.may_adjust),
        (returnable_items, item_rules.may_return),
        (exchangeable_items, item_rules.may_exchange),
        (reshippable_items, item_rules.may_reship),
    ],
)
def test_each_wizard_offers_the_items_its_rule_allows(offered, rule):
    assert [item.pk for item in offered(ITEMS)] == [item.pk for item in ITEMS if rule(item)]


def test_the_cancel_wizard_also_offers_units_on_fulfillment_orders_not_yet_picked():
    allocated_only = summary_item(7, allocated="2")
    assert not item_rules.may_cancel(allocated_only)
    assert eligible_items(CANCEL, [allocated_only], allocated={7: D("2")}) == [allocated_only]


# --- the disagreements the order page had, now settled by the rules ----------------------------------------


def page_facts(items):
    _, facts = item_rows([page_row(item) for item in items], "EUR", FigureText())
    return facts


def test_order_page_offers_adjust_when_the_only_priced_item_is_a_delivery_charge():
    """Before: the page looked at products only, so a free product with a paid delivery charge hid Adjust,
    while the Adjust wizard and the calculation accept the delivery charge."""
    items = [summary_item(1, line="0.00"), summary_item(2, type=DELIVERY_CHARGE, ordered="1", line="4.95")]
    assert [item.pk for item in eligible_items(ADJUST, items)] == [2]
    assert page_facts(items).can_adjust is True


def test_order_page_offers_cancel_when_only_a_delivery_charge_is_left_to_cancel():
    """Before: the page looked at products only; the Cancel wizard and the calculation take delivery charges."""
    items = [summary_item(1, allocated="2"), summary_item(2, type=DELIVERY_CHARGE, ordered="1")]
    assert [item.pk for item in eligible_items(CANCEL, items)] == [2]
    assert page_facts(items).can_cancel is True


def test_order_page_agrees_with_the_rules_on_each_item():
    for item in ITEMS:
        facts = page_facts([item])
        assert (facts.can_cancel, facts.can_return, facts.can_reship, facts.can_adjust) == (
            item_rules.may_cancel(item),
            item_rules.may_return(item),
            item_rules.may_reship(item),
            item_rules.may_adjust(item),
        ), item.pk


# --- the calculation names the same item types --------------------------------------------------------------


def state_of(item_type: str) -> SummaryState:
    quantities = Quantities(ordered=D("1"), allocated=D("1"), fulfilled=D("1"))
    item = ItemState(
        id=1,
        type=item_type,
        group_id=1,
        unit_price=D("10.00"),
        quantities=quantities,
        amounts=Amounts(D("10.00"), D("0.00")),
    )
    return SummaryState(currency="EUR", tax_locale_type="Net", items=(item,))


def refuses_the_type(plan) -> bool:
    try:
        plan()
    except ServiceError as error:
        return any("Only products" in field_error.message for field_error in error.errors)
    return False


@pytest.mark.parametrize("item_type", [PRODUCT, DELIVERY_CHARGE, FEE])
def test_the_calculation_refuses_the_item_types_the_rules_exclude(item_type):
    change = [ChangeItemInput(order_item_summary_id=1, quantity=D("1"), reason="Damaged")]
    adjust = AdjustInput(
        items=(
            AdjustItemInput(
                order_item_summary_id=1, adjustment_type="AmountWithoutTax", amount=D("-1.00"), reason="Damaged"
            ),
        )
    )
    state = state_of(item_type)
    assert refuses_the_type(lambda: plan_cancel(state, change, reason_codes=REASONS)) == (
        item_type not in item_rules.CANCELABLE_TYPES
    )
    assert refuses_the_type(lambda: plan_return(state, change, reason_codes=REASONS)) == (
        item_type not in item_rules.RETURNABLE_TYPES
    )
    assert refuses_the_type(lambda: plan_adjust(state, adjust, reason_codes=REASONS)) == (
        item_type not in item_rules.ADJUSTABLE_TYPES
    )
