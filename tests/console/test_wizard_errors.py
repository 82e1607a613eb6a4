"""Every error code the change wizards can show, as an agent reads it (issue 13 point 8): money rounded to
the order's currency ("40.00", "1,500", never "40.0000") and no API field names (camelCase, field paths).

The walk is complete by construction: every error code orders.errors defines is either produced below through
the wizards (the codes are read off the service errors the wizard caught) or named with the reason the wizards
cannot meet it, so a new code fails this test until someone decides which it is.

USD worked example: A 2 × 40.00 (tax 3.20 a unit), B 1 × 20.00 (1.60), delivery 10.00 (0.80) = 118.80.
JPY: P 2 × 1500 (tax 150 a unit), delivery 500 (50) = 3850.
"""

import re
from decimal import Decimal as D

import pytest

from console.views import wizards
from orders import errors
from orders.calculations.inputs import ChangeItemInput
from orders.errors import ServiceError
from orders.services.cancel import submit_cancel
from orders.services.fulfillment_status import change_fulfillment_order_status
from tests.builders import address, ingest, item, items_by_sku, order_body, tax, worked_example
from tests.fulfillment.helpers import make_location, place, stock

pytestmark = pytest.mark.django_db

# Codes the wizards cannot meet, and why.
NOT_IN_THE_WIZARDS = {
    errors.FEE_EXCEEDS_REDUCTION: "the wizards take no fees",
    errors.DELIVERY_CHARGE_STRANDED: "raised by a fulfillment order's cancel-item, not by a change",
    errors.NotFound.code: "the wizard's URL answers 404 before any service runs",
    errors.PermissionDenied.code: "the console's permissions refuse the page before any service runs",
    errors.IdempotencyKeyReused.code: "API only (Idempotency-Key)",
    errors.IdempotencyKeyInUse.code: "API only (Idempotency-Key)",
    errors.DuplicateOrder.code: "order ingest only",
    errors.FULFILLMENT_ORDER_NOT_OPEN: "shipments (issue 15), not a change",
    errors.EXCEEDS_QUANTITY_TO_SHIP: "shipments, not a change",
    errors.PICKUP_NOT_SHIPPED: "shipments, not a change",
    errors.FULFILLMENT_ORDER_HELD: "shipments, not a change",
    # The change calculation takes no shipped unit off a fulfillment order; this guard behind it (in
    # take_off_lines) words its message with the SKU and the fulfillment order, no API names.
    errors.UNITS_SHIPPED: "a guard behind the cancel calculation, which leaves shipped units alone",
}
# A camelCase word or an API field path (changeItems[0].quantity).
API_NAME = re.compile(r"\b[a-z]+[A-Z]\w*|\w+\[\d+\]")
DECIMAL = re.compile(r"\d+\.(\d+)")


def all_codes() -> set[str]:
    field_codes = {value for name, value in vars(errors).items() if name.isupper() and isinstance(value, str)}
    error_codes = {cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, ServiceError)}
    return field_codes | error_codes


@pytest.fixture
def seen(monkeypatch):
    """The codes of the service errors the wizard caught (its preview and its submit), as they were raised."""
    codes = set()

    def recording(function):
        def call(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except ServiceError as failure:
                codes.update(error.code or failure.code for error in failure.errors)
                raise

        return call

    monkeypatch.setattr(wizards, "_preview", recording(wizards._preview))
    monkeypatch.setattr(wizards, "_submit", recording(wizards._submit))
    return codes


def shown(response) -> list[str]:
    """What the agent reads: the form's errors and the page's notice."""
    context = response.context
    form = context.get("form")
    texts = [message for messages in form.errors.values() for message in messages] if form else []
    if context.get("notice"):
        texts.append(context["notice"])
    return texts


def assert_agent_words(texts, places: int):
    assert texts
    for text in texts:
        assert not API_NAME.search(text), text
        for decimals in DECIMAL.findall(text):
            assert len(decimals) == places, text


def post(client, summary, kind, data):
    response = client.post(f"/console/orders/{summary.pk}/{kind}/", data)
    assert response.status_code == 200
    return response


@pytest.fixture
def routed():
    warehouse = make_location("WH-1")
    stock("WH-1", A=5, B=5)
    summary = worked_example()
    items = items_by_sku(summary)
    (fulfillment_order,) = place(summary, (warehouse, [(items["A"], 2)]))
    return summary, items, fulfillment_order


def test_every_error_code_the_wizards_can_show_reads_as_console_words(agent_client, routed, seen):
    summary, items, fulfillment_order = routed
    a, b = items["A"], items["B"]
    reason = {"reason": "Damaged"}

    # UNITS_ALLOCATED: A's two units are on an Allocated fulfillment order and the box is not ticked.
    texts = shown(post(agent_client, summary, "cancel", {**reason, f"item-{a.pk}": "1", "action": "preview"}))
    assert_agent_words(texts, 2)
    assert any("Also cancel units allocated to fulfillment orders not yet picked" in text for text in texts)

    # WHOLE_UNITS_ONLY (INVALID_API_INPUT): half a unit.
    texts = shown(post(agent_client, summary, "cancel", {**reason, f"item-{b.pk}": "0.5", "action": "preview"}))
    assert_agent_words(texts, 2)
    assert "Must be a whole number: this item is ordered in whole units." in texts

    # INVALID_STATE: more units than are left (B: one ordered).
    texts = shown(post(agent_client, summary, "cancel", {**reason, f"item-{b.pk}": "3", "action": "preview"}))
    assert_agent_words(texts, 2)

    # Adjust: a discount larger than the price it is spread over (B: 20.00), and one that rounds to nothing.
    texts = shown(
        post(
            agent_client,
            summary,
            "adjust",
            {
                **reason,
                "reason": "Price Match",
                f"item-{b.pk}": "50",
                "adjustment_type": "AmountWithoutTax",
                "mode": "Disallowed",
                "action": "preview",
            },
        )
    )
    assert_agent_words(texts, 2)
    assert "The discount 50.00 USD exceeds the price 20.00 USD of the units it is spread over." in texts
    texts = shown(
        post(
            agent_client,
            summary,
            "adjust",
            {
                "reason": "Price Match",
                f"item-{b.pk}": "0.001",
                "adjustment_type": "AmountWithoutTax",
                "mode": "Disallowed",
                "action": "preview",
            },
        )
    )
    assert_agent_words(texts, 2)
    # Every unit of A is being fulfilled and the mode leaves them out.
    texts = shown(
        post(
            agent_client,
            summary,
            "adjust",
            {
                "reason": "Price Match",
                f"item-{a.pk}": "5",
                "adjustment_type": "AmountWithoutTax",
                "mode": "Disallowed",
                "action": "preview",
            },
        )
    )
    assert_agent_words(texts, 2)
    assert any("units not yet allocated and units shipped" in text for text in texts), texts

    # Return: nothing has shipped.
    texts = shown(post(agent_client, summary, "return", {**reason, f"item-{b.pk}": "1", "action": "preview"}))
    assert_agent_words(texts, 2)

    # CONFLICT, then UNITS_IN_FULFILLMENT: the agent previews canceling one A with the box ticked; meanwhile
    # the warehouse starts picking A and another change cancels B. The submit is refused as stale, and the
    # fresh preview the wizard makes on the current order refuses A, naming its fulfillment order.
    body = post(
        agent_client, summary, "cancel", {**reason, f"item-{a.pk}": "1", "cancel_allocated": "on", "action": "preview"}
    )
    token = body.context["token"]
    change_fulfillment_order_status(fulfillment_order.pk, "Pickpack")
    submit_cancel(
        summary.pk, [ChangeItemInput(order_item_summary_id=b.pk, quantity=D(1), reason="Damaged")], actor=None
    )
    texts = shown(post(agent_client, summary, "cancel", {"action": "submit", "token": token}))
    assert_agent_words(texts, 2)
    assert errors.Conflict.code in seen
    assert any(fulfillment_order.number in text for text in texts), texts
    assert any("nothing was applied" in text for text in texts), texts

    # NOTHING_TO_CANCEL: B canceled, A in picking, the delivery charge ships with A.
    texts = shown(post(agent_client, summary, "cancel-order", {**reason, "action": "preview"}))
    assert_agent_words(texts, 2)

    assert seen == {
        errors.UNITS_ALLOCATED,
        errors.WHOLE_UNITS_ONLY,
        errors.InvalidInput.code,
        errors.InvalidState.code,
        errors.Conflict.code,
        errors.UNITS_IN_FULFILLMENT,
        errors.NOTHING_TO_CANCEL,
    } - {None}
    assert seen | set(NOT_IN_THE_WIZARDS) == all_codes()


def test_yen_amounts_in_wizard_errors_have_no_decimals(agent_client, seen):
    summary = ingest(
        order_body(
            currency="JPY",
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "deliveryCharge": {"amount": D("500"), "taxes": [tax(10, "50")]},
                    "items": [item("P", 2, "1500", taxes=[tax(10, "300")])],
                }
            ],
        )
    )
    p = items_by_sku(summary)["P"]
    texts = shown(
        post(
            agent_client,
            summary,
            "adjust",
            {
                "reason": "Price Match",
                f"item-{p.pk}": "4000",
                "adjustment_type": "AmountWithoutTax",
                "mode": "Disallowed",
                "action": "preview",
            },
        )
    )
    # The discount 4000 exceeds the price 3000 (2 × 1500) of the units it is spread over.
    assert_agent_words(texts, 0)
    assert "The discount 4,000 JPY exceeds the price 3,000 JPY of the units it is spread over." in texts
