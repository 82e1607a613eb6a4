"""Fulfillment-order moves on the order page's timeline (issue 13 point 8): who made each status change and
line cancel, and the amounts as they were then; moves back, rejects and cancels confirmed with a reason."""

import re
from decimal import Decimal

from orders.models import FulfillmentMoveKind, FulfillmentOrderMove
from tests.console.test_fulfillment import placed_order
from tests.factories import ApiKeyClient
from tests.fulfillment.helpers import lines_by_sku

D = Decimal
FO = "/api/v1/commerce/fulfillment/fulfillment-orders"


def _timeline(page: str) -> list[str]:
    """Each timeline entry as `who | what · amount | reason`, tags stripped."""
    section = page[page.index('id="timeline"') : page.index("</ol>", page.index('id="timeline"'))]
    entries = []
    for item in re.findall(r"<li>(.*?)</li>", section, re.S):
        who = re.search(r"</time>(?: · ([^<]*))?</p>", item).group(1) or ""
        text = re.sub(r"<[^>]+>", "", item.split("</p>", 1)[1]).strip()
        entries.append(f"{who} | {text}")
    return entries


def test_timeline_keeps_who_and_the_amounts_of_the_time(supervisor_client):
    # The worked example placed whole: A 2 × 40 + 6.40 tax, B 20 + 1.60, delivery 10 + 0.80 = 118.80 USD.
    summary, fulfillment_order = placed_order()
    url = f"/console/fulfillment-orders/{fulfillment_order.pk}/status/"
    assert supervisor_client.post(url, {"status": "Assigned"}).status_code == 302  # forward: one click
    api = ApiKeyClient.create(name="Warehouse app", scopes=["all"])
    line_a = lines_by_sku(fulfillment_order)["A"]
    response = api.post_json(
        f"{FO}/{fulfillment_order.pk}/actions/cancel-item",
        {"fulfillmentOrderLineItemsToCancel": [{"fulfillmentOrderLineItemId": str(line_a.pk), "quantity": 1}]},
    )
    assert response.status_code == 200, response.content
    # Later the rest is canceled: the total is 118.80 - 43.20 = 75.60 then, and 0 after.
    response = supervisor_client.post(url, {"status": "Cancelled", "confirm": "1", "reason": "  Customer called  "})
    assert response.status_code == 302
    fulfillment_order.refresh_from_db()
    assert (fulfillment_order.status, fulfillment_order.grand_total_amount) == ("Cancelled", D(0))

    entries = _timeline(supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode())
    number = fulfillment_order.number
    moves = [entry for entry in entries if "FO-" in entry and "created at" not in entry]
    assert moves == [
        f"supervisor | {number} moved from Allocated to Assigned · 118.80 USD",
        f"API: Warehouse app | 1 × Product A canceled on {number} · 43.20 USD",
        f"supervisor | {number} cancelled · 75.60 USDReason: Customer called",
    ]
    # The timestamp entry ("FO-00000001 cancelled", without who) gives way to the recorded move.
    assert sum(f"{number} cancelled" in entry for entry in entries) == 1
    rows = list(
        FulfillmentOrderMove.objects.order_by("id").values_list(
            "kind",
            "from_status",
            "to_status",
            "quantity",
            "amount",
            "reason",
            "created_by__username",
            "created_by_client__name",
        )
    )
    assert rows == [
        (FulfillmentMoveKind.STATUS, "Allocated", "Assigned", None, D("118.80"), "", "supervisor", None),
        (FulfillmentMoveKind.LINE_CANCEL, "Assigned", "Assigned", D(1), D("43.20"), "", None, "Warehouse app"),
        (FulfillmentMoveKind.STATUS, "Assigned", "Cancelled", None, D("75.60"), "Customer called", "supervisor", None),
    ]


def test_a_cancel_asks_for_confirmation_and_a_reason(supervisor_client):
    _, fulfillment_order = placed_order()
    url, number = f"/console/fulfillment-orders/{fulfillment_order.pk}/status/", fulfillment_order.number
    response = supervisor_client.post(url, {"status": "Cancelled"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Move {number} from Allocated to Cancelled?" in body
    assert 'name="reason"' in body and "required" in body and "118.80 USD" in body
    # Confirmed without a reason (or only spaces): refused, nothing moved.
    response = supervisor_client.post(url, {"status": "Cancelled", "confirm": "1", "reason": "   "})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    fulfillment_order.refresh_from_db()
    assert fulfillment_order.status == "Allocated"
    assert not FulfillmentOrderMove.objects.exists()


def test_a_step_back_asks_for_a_reason_and_a_step_forward_does_not(supervisor_client):
    _, fulfillment_order = placed_order()
    url, number = f"/console/fulfillment-orders/{fulfillment_order.pk}/status/", fulfillment_order.number
    assert supervisor_client.post(url, {"status": "Pickpack"}).status_code == 302
    response = supervisor_client.post(url, {"status": "Assigned"})
    assert response.status_code == 200 and f"Move {number} from Pickpack to Assigned?" in response.content.decode()
    fulfillment_order.refresh_from_db()
    assert fulfillment_order.status == "Pickpack"
    response = supervisor_client.post(url, {"status": "Assigned", "confirm": "1", "reason": "Picked the wrong bin"})
    assert response.status_code == 302
    fulfillment_order.refresh_from_db()
    assert fulfillment_order.status == "Assigned"
    move = FulfillmentOrderMove.objects.latest("id")
    assert (move.from_status, move.to_status, move.reason) == ("Pickpack", "Assigned", "Picked the wrong bin")


def test_canceling_lines_asks_for_a_reason_kept_in_the_timeline(supervisor_client):
    # The worked example placed whole: A 2 × 40.00 + 3.20 tax a unit.
    summary, fulfillment_order = placed_order()
    page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    form = page[page.index(f"/console/fulfillment-orders/{fulfillment_order.pk}/cancel-lines/") :]
    form = form[: form.index("</form>")]
    assert 'name="reason"' in form and "required" in form
    url = f"/console/fulfillment-orders/{fulfillment_order.pk}/cancel-lines/"
    line_a = lines_by_sku(fulfillment_order)["A"]

    # Without a reason (or only spaces): refused, nothing canceled.
    response = supervisor_client.post(url, {f"line-{line_a.pk}": "1", "reason": "   "}, follow=True)
    assert "Nothing was canceled: give a reason" in response.content.decode()
    line_a.refresh_from_db()
    assert line_a.quantity == 2
    assert not FulfillmentOrderMove.objects.exists()

    supervisor_client.post(url, {f"line-{line_a.pk}": "1", "reason": " Damaged in the warehouse "})
    line_a.refresh_from_db()
    assert line_a.quantity == 1
    assert list(
        FulfillmentOrderMove.objects.values_list("kind", "quantity", "amount", "reason", "created_by__username")
    ) == [(FulfillmentMoveKind.LINE_CANCEL, D(1), D("43.20"), "Damaged in the warehouse", "supervisor")]
    entries = _timeline(supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode())
    assert (
        f"supervisor | 1 × Product A canceled on {fulfillment_order.number} · 43.20 USDReason: Damaged in the warehouse"
    ) in entries
