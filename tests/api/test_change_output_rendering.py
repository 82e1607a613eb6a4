"""The change views render their answers with plain functions: the same bytes the output serializers
(which document them) would give, and the same 404-before-400 order as when the view read the summary."""

from decimal import Decimal as D

import pytest
from rest_framework.renderers import JSONRenderer

from orders.api.change_serializers import (
    AdjustOutputSerializer,
    PreviewCancelOutputSerializer,
    PreviewChangeOutputSerializer,
    SubmitCancelOutputSerializer,
    SubmitChangeOutputSerializer,
    render_adjust,
    render_cancel,
    render_preview,
    render_submit,
)
from orders.calculations.plan import ChangeBalances, FulfillmentEffects, FulfillmentLineCancel
from orders.models import Order, OrderItemSummary, OrderItemSummaryChange
from tests.builders import ensure_channel, items_by_sku, worked_example

BALANCES = ChangeBalances(
    total_adjusted_product_amount=D("40.005"),
    total_adjusted_product_tax_amount=D("3.2"),
    total_adj_product_amt_with_tax=D("43.205"),
    total_adjusted_delivery_amount=D("4"),
    total_adjusted_delivery_tax_amount=D("0.3249"),
    total_adj_delivery_amt_with_tax=D("4.3249"),
    total_amount=D("44.005"),
    total_tax_amount=D("3.5249"),
    grand_total_amount=D("47.53"),
    total_fee_amount=D("0"),
    total_fee_tax_amount=D("-0.004"),
    total_excess_funds_amount=D("1.5"),
    total_refundable_amount=D("12.345"),
)


def _bytes(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD"])
def test_preview_rendering_matches_its_serializer(currency):
    documented = PreviewChangeOutputSerializer(
        {"orderSummaryId": "17", "changeBalances": BALANCES, "success": True, "errors": []},
        context={"currency": currency},
    ).data
    assert _bytes(render_preview(17, BALANCES, currency)) == _bytes(documented)


@pytest.mark.parametrize(("change_order_id", "fee_change_order_id"), [(5, None), (5, 6)])
def test_submit_rendering_matches_its_serializer(change_order_id, fee_change_order_id):
    documented = SubmitChangeOutputSerializer(
        {
            "orderSummaryId": "17",
            "changeBalances": BALANCES,
            "success": True,
            "errors": [],
            "changeOrderId": change_order_id,
            "feeChangeOrderId": fee_change_order_id,
        },
        context={"currency": "USD"},
    ).data
    rendered = render_submit(
        17, BALANCES, "USD", change_order_id=change_order_id, fee_change_order_id=fee_change_order_id
    )
    assert _bytes(rendered) == _bytes(documented)


@pytest.mark.parametrize("ids", [(None, None, None), (1, None, 3), (1, 2, 3)])
def test_adjust_rendering_matches_its_serializer(ids):
    pre, in_fulfillment, post = ids
    documented = AdjustOutputSerializer(
        {
            "orderSummaryId": "17",
            "changeBalances": BALANCES,
            "success": True,
            "errors": [],
            "preFulfillmentChangeOrderId": pre,
            "inFulfillmentChangeOrderId": in_fulfillment,
            "postFulfillmentChangeOrderId": post,
        },
        context={"currency": "EUR"},
    ).data
    rendered = render_adjust(17, BALANCES, "EUR", pre=pre, in_fulfillment=in_fulfillment, post=post)
    assert _bytes(rendered) == _bytes(documented)


EFFECTS = FulfillmentEffects(
    line_cancels=(
        FulfillmentLineCancel(
            line_id=7, fulfillment_order_id=3, fulfillment_order_number="FO-00000003", item_id=11, quantity=D("2")
        ),
        FulfillmentLineCancel(
            line_id=8,
            fulfillment_order_id=3,
            fulfillment_order_number="FO-00000003",
            item_id=12,
            quantity=D("1.00"),
            returned_to_group=True,
            moved_to_fulfillment_order_id=4,
        ),
        FulfillmentLineCancel(
            line_id=9,
            fulfillment_order_id=5,
            fulfillment_order_number="FO-00000005",
            item_id=12,
            quantity=D("0.5"),
            returned_to_group=True,
        ),
    ),
    canceled_orders=(3,),
)


@pytest.mark.parametrize("effects", [FulfillmentEffects(), EFFECTS])
def test_cancel_rendering_matches_its_serializers(effects):
    data = {
        "line_cancels": [
            {
                "fulfillmentOrderId": c.fulfillment_order_id,
                "fulfillmentOrderNumber": c.fulfillment_order_number,
                "fulfillmentOrderLineItemId": c.line_id,
                "orderItemSummaryId": c.item_id,
                "quantity": c.quantity,
                "returnedToGroup": c.returned_to_group,
                "movedToFulfillmentOrderId": c.moved_to_fulfillment_order_id,
            }
            for c in effects.line_cancels
        ]
    }
    extra = {
        "fulfillmentOrderLinesToCancel": data["line_cancels"],
        "canceledFulfillmentOrderIds": [str(pk) for pk in effects.canceled_orders],
        "deliveryChargesCanceledWithLastProduct": ["12"],
    }
    base = {"orderSummaryId": "17", "changeBalances": BALANCES, "success": True, "errors": []}
    documented = PreviewCancelOutputSerializer({**base, **extra}, context={"currency": "USD"}).data
    rendered = render_cancel(17, BALANCES, "USD", effects, (12,))
    assert _bytes(rendered) == _bytes(documented)
    documented = SubmitCancelOutputSerializer(
        {**base, **extra, "changeOrderId": 5, "feeChangeOrderId": None}, context={"currency": "USD"}
    ).data
    rendered = render_cancel(
        17, BALANCES, "USD", effects, (12,), submitted=True, change_order_id=5, fee_change_order_id=None
    )
    assert _bytes(rendered) == _bytes(documented)


def _written():
    return (
        Order.objects.count(),
        OrderItemSummaryChange.objects.count(),
        list(OrderItemSummary.objects.order_by("pk").values_list("quantity_canceled", flat=True)),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action",
    [
        "preview-cancel",
        "submit-cancel",
        "preview-return",
        "submit-return",
        "adjust-item-preview",
        "adjust-item-submit",
        "preview-cancel-order",
        "submit-cancel-order",
    ],
)
def test_another_channels_summary_is_404_even_with_a_bad_body(make_api, action):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    path = f"/api/v1/commerce/order-management/order-summaries/{summary.pk}/actions/{action}"
    theirs = make_api(scopes=["orders:write"], channel=ensure_channel("Store EU"))
    ours = make_api(scopes=["orders:write"], channel=ensure_channel())
    before = _written()
    for body in (
        {},
        {"changeItems": "no"},
        {"adjustItems": []},
        {"changeItems": [{"orderItemSummaryId": str(a.pk), "quantity": 1, "reason": "Damaged"}]},
    ):
        response = theirs.post_json(path, body)
        assert response.status_code == 404, response.content
        assert response.json()["errors"][0]["message"] == f"No order summary {summary.pk}."
    # The summary's own channel gets the body's 400.
    assert ours.post_json(path, {}).status_code == 400
    assert _written() == before
