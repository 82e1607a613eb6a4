"""Refunds a supervisor can work (issue 13, points 5–7): one payments service for a change and its money,
the approvals queue, approve one of two, decline with a reason, refund remaining, limits per currency
and counted over an agent's day on one order.

The order: 5 × 100.00 at 8 % = 540.00, paid by a Visa sale at checkout. Canceling n units frees
n × 108.00 of captured funds. The agent limit in USD is 200.00 (migration 0004 of payments).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from orders.calculations.inputs import ChangeItemInput
from orders.models import OrderSummary
from payments.models import AgentRefund, AgentRefundLimit, BackgroundOperation, OrderPaymentSummary
from payments.services.agent_changes import remaining_refund, started_within_window, submit_agent_change
from tests.builders import address, ingest, item, items_by_sku, order_body

pytestmark = pytest.mark.django_db

D = Decimal


def paid_order(*, currency="USD", units=5, price="100.00", rate=8, number=None) -> OrderSummary:
    unit = D(price)
    total = (unit * units * (1 + D(rate) / 100)).quantize(D("1") if currency == "JPY" else D("0.01"))
    return ingest(
        order_body(
            number=number,
            currency=currency,
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("BIG", units, price, rate=rate)],
                }
            ],
            payments=[
                {
                    "kind": "sale",
                    "method": "Visa",
                    "gatewayToken": "tok_visa",
                    "last4": "4242",
                    "amount": total,
                    "gatewayReference": f"sale_{currency}_{number or 'x'}",
                }
            ],
        )
    )


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def cancel_in_console(client, summary, units: int, *, reason="Damaged"):
    """Preview then submit the Cancel wizard; returns the preview's page."""
    big = items_by_sku(summary)["BIG"]
    url = f"/console/orders/{summary.pk}/cancel/"
    body = client.post(url, {"action": "preview", f"item-{big.pk}": str(units), "reason": reason}).content.decode()
    assert 'data-testid="wizard-preview"' in body, body
    client.post(url, {"action": "submit", "token": token_of(body)})
    return body


def refunded(summary) -> Decimal:
    return OrderPaymentSummary.objects.get(order_summary=summary).refunded_amount


def excess_operations(summary) -> list[Decimal]:
    return [
        D(op.input["excessFundsAmount"])
        for op in BackgroundOperation.objects.filter(order_summary=summary).order_by("id")
    ]


# --- the queue: approve one of two, decline with a reason, refund remaining --------------------------


def test_approve_one_of_two_releases_exactly_its_own_amount(
    agent_client, supervisor_client, django_capture_on_commit_callbacks
):
    summary = paid_order()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_in_console(agent_client, summary, 3)  # 324.00 > 200.00: waits
        body = cancel_in_console(agent_client, summary, 1)  # 108.00, but 324.00 + 108.00 > 200.00 today: waits
    assert "With the 324.00 USD you already refunded on this order in the last 24 hours, 108.00 USD more" in body
    first, second = AgentRefund.objects.order_by("id")
    assert [(r.status, r.amount, r.excess_amount) for r in (first, second)] == [
        ("Pending", D("324.00"), D("324.00")),
        ("Pending", D("108.00"), D("108.00")),
    ]
    assert not BackgroundOperation.objects.exists()

    # The supervisor's navigation counts them; the queue lists them oldest first with agent, amount, reason.
    queue = supervisor_client.get("/console/approvals/").content.decode()
    assert re.search(r'data-testid="nav-approvals">Approvals <span[^>]*>2</span>', queue)
    rows = re.findall(r'<tr id="approval-(\d+)" data-testid="approval-row">', queue)
    assert rows == [str(first.pk), str(second.pk)]
    assert queue.count(f">{summary.order_number}</a>") == 2
    assert "Approve 324.00 USD" in queue and "Approve 108.00 USD" in queue and ">agent<" in queue
    assert "Damaged" in queue
    # An agent has neither the queue nor its link.
    assert agent_client.get("/console/approvals/").status_code == 403
    assert "nav-approvals" not in agent_client.get(f"/console/orders/{summary.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(
            f"/console/refund-approvals/{second.pk}/",
            {"decision": "approve", "next": "/console/approvals/"},
            follow=True,
        )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/console/approvals/"
    assert f"Refund of 108.00 USD on order {summary.order_number} approved" in page
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.decided_by.username) == ("Pending", "Approved", "supervisor")
    # Exactly 108.00 went back, not the 432.00 in excess; the 324.00 still waits, with its own amount.
    assert excess_operations(summary) == [D("108.00")]
    assert refunded(summary) == D("108.00")
    assert rows_in(page) == [str(first.pk)]
    assert re.search(r'data-testid="nav-approvals">Approvals <span[^>]*>1</span>', page)
    order_page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert order_page.count('data-testid="approval"') == 1 and "Approve refund of 324.00 USD" in order_page


def rows_in(page: str) -> list[str]:
    return re.findall(r'<tr id="approval-(\d+)" data-testid="approval-row">', page)


def test_decline_asks_for_a_reason_and_a_confirmation_then_refund_remaining_is_offered(
    agent_client, supervisor_client, django_capture_on_commit_callbacks
):
    summary = paid_order()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_in_console(agent_client, summary, 3)
    pending = AgentRefund.objects.get()

    confirm = supervisor_client.get(f"/console/refund-approvals/{pending.pk}/decline/?next=/console/approvals/")
    text = confirm.content.decode()
    assert "Decline the refund of 324.00 USD?" in text and 'name="reason"' in text
    assert 'name="next" value="/console/approvals/"' in text
    # Without a reason nothing is decided.
    refused = supervisor_client.post(
        f"/console/refund-approvals/{pending.pk}/", {"decision": "decline", "confirm": "1", "reason": "  "}
    )
    assert refused.status_code == 400 and "Say why the refund is declined." in refused.content.decode()
    pending.refresh_from_db()
    assert pending.status == "Pending"
    # A next= to another site is not followed.
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(
            f"/console/refund-approvals/{pending.pk}/",
            {"decision": "decline", "confirm": "1", "reason": "Customer keeps the items", "next": "https://evil.test/"},
        )
    assert response["Location"] == f"/console/orders/{summary.pk}/"
    pending.refresh_from_db()
    assert (pending.status, pending.decline_reason, pending.decided_by.username) == (
        "Declined",
        "Customer keeps the items",
        "supervisor",
    )
    assert not BackgroundOperation.objects.exists()

    # The order offers the 324.00 that nobody refunds; the timeline says who declined and why.
    page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert "Refund remaining 324.00 USD" in page
    assert "Refund declined" in page and "Customer keeps the items" in page
    assert remaining_refund(OrderSummary.objects.get(pk=summary.pk)).amount == D("324.00")

    # An agent's "Refund remaining" is subject to the limit again: 324.00 > 200.00 waits.
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            f"/console/orders/{summary.pk}/refund-remaining/", {"reason": "Asked again"}, follow=True
        )
    assert "The refund of 324.00 USD is above your limit" in response.content.decode()
    again = AgentRefund.objects.latest("id")
    assert (again.kind, again.status, again.amount, again.reason) == (
        "remaining",
        "Pending",
        D("324.00"),
        "Asked again",
    )
    # Held by that approval, nothing remains to offer.
    assert "Refund remaining" not in agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(f"/console/refund-approvals/{again.pk}/", {"decision": "approve"})
    assert excess_operations(summary) == [D("324.00")]
    assert refunded(summary) == D("324.00")
    assert remaining_refund(OrderSummary.objects.get(pk=summary.pk)).amount == 0


def test_supervisor_refunds_what_remains_at_once(agent_client, supervisor_client, django_capture_on_commit_callbacks):
    summary = paid_order()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_in_console(agent_client, summary, 2)  # 216.00 > 200.00
        refund = AgentRefund.objects.get()
        supervisor_client.post(
            f"/console/refund-approvals/{refund.pk}/",
            {"decision": "decline", "confirm": "1", "reason": "Check with the warehouse"},
        )
        response = supervisor_client.post(f"/console/orders/{summary.pk}/refund-remaining/")
    assert response["Location"].startswith(f"/console/orders/{summary.pk}/?awaiting=")
    assert refunded(summary) == D("216.00")
    remaining = AgentRefund.objects.latest("id")
    assert (remaining.kind, remaining.status, remaining.requested_by.username) == (
        "remaining",
        "Released",
        "supervisor",
    )
    # Nothing is left: asking again says so and changes nothing.
    response = supervisor_client.post(f"/console/orders/{summary.pk}/refund-remaining/", follow=True)
    assert "Nothing is left to refund on this order." in response.content.decode()
    assert AgentRefund.objects.count() == 2


def test_a_decided_refund_cannot_be_decided_again(agent_client, supervisor_client, django_capture_on_commit_callbacks):
    summary = paid_order()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_in_console(agent_client, summary, 3)
        refund = AgentRefund.objects.get()
        supervisor_client.post(
            f"/console/refund-approvals/{refund.pk}/", {"decision": "decline", "confirm": "1", "reason": "No"}
        )
        response = supervisor_client.post(
            f"/console/refund-approvals/{refund.pk}/", {"decision": "approve"}, follow=True
        )
    assert "This refund was already declined." in response.content.decode()
    assert not BackgroundOperation.objects.exists()


# --- limits per currency, counted over the agent's day -------------------------------------------------------


def test_limits_are_per_currency(agent, django_capture_on_commit_callbacks):
    # 4 × 5000 JPY at 10 % = 22000 JPY; canceling 2 frees 11000 JPY: under the 30000 JPY limit.
    jpy = paid_order(currency="JPY", units=4, price="5000", rate=10, number="JP-1")
    big = items_by_sku(jpy)["BIG"]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = submit_agent_change(jpy.pk, "cancel", [ChangeItemInput(big.pk, D(2), "Damaged")], user=agent)
    assert (outcome.refund.status, outcome.refund.amount, outcome.refund.currency) == ("Released", D("11000"), "JPY")
    assert refunded(jpy) == D("11000")

    # The same figure in USD is far above 200.00.
    usd = paid_order(units=4, price="5000", rate=10, number="US-1")
    big = items_by_sku(usd)["BIG"]
    outcome = submit_agent_change(usd.pk, "cancel", [ChangeItemInput(big.pk, D(2), "Damaged")], user=agent)
    assert (outcome.refund.status, outcome.refund.amount) == ("Pending", D("11000.00"))


def test_a_currency_without_a_limit_always_needs_approval_and_the_admin_sets_one(
    agent, agent_client, django_capture_on_commit_callbacks
):
    AgentRefundLimit.objects.filter(currency="EUR").delete()
    summary = paid_order(currency="EUR", units=5, price="10.00", rate=20, number="EU-1")  # 60.00 EUR
    big = items_by_sku(summary)["BIG"]
    url = f"/console/orders/{summary.pk}/cancel/"
    body = agent_client.post(url, {"action": "preview", f"item-{big.pk}": "1", "reason": "Damaged"}).content.decode()
    assert "Refunds in EUR have no agent limit: the refund will wait for a supervisor&#x27;s approval." in body
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"action": "submit", "token": token_of(body)})
    held = AgentRefund.objects.get()
    assert (held.status, held.amount) == ("Pending", D("12.00"))  # 10.00 + 20 % VAT

    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    response = client.post("/admin/payments/agentrefundlimit/add/", {"currency": "eur", "amount": "150.00"})
    assert response.status_code == 302, response.content.decode()
    assert AgentRefundLimit.objects.get(currency="EUR").amount == D("150.00")
    refused = client.post("/admin/payments/agentrefundlimit/add/", {"currency": "JPY", "amount": "10.5"})
    assert "JPY has no amounts smaller than 1." in refused.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = submit_agent_change(summary.pk, "cancel", [ChangeItemInput(big.pk, D(1), "Damaged")], user=agent)
    # 12.00 pending (counted) + 12.00 ≤ 150.00: released.
    assert (outcome.refund.status, outcome.refund.amount) == ("Released", D("12.00"))
    assert refunded(summary) == D("12.00")


def test_refunds_split_over_several_changes_add_up_within_24_hours(
    agent, supervisor, django_capture_on_commit_callbacks
):
    summary = paid_order()
    big = items_by_sku(summary)["BIG"]

    def cancel_one(user):
        with django_capture_on_commit_callbacks(execute=True):
            return submit_agent_change(
                summary.pk, "cancel", [ChangeItemInput(big.pk, D(1), "Damaged")], user=user
            ).refund

    first = cancel_one(agent)
    assert (first.status, first.amount) == ("Released", D("108.00"))
    # 108.00 + 108.00 = 216.00 > 200.00: the split does not stay under the limit.
    second = cancel_one(agent)
    assert (second.status, second.amount) == ("Pending", D("108.00"))
    assert started_within_window(summary.pk, agent) == D("216.00")
    # A supervisor's refunds are not the agent's, and never wait.
    third = cancel_one(supervisor)
    assert third.status == "Released"
    assert started_within_window(summary.pk, agent) == D("216.00")
    # A day later the first two no longer count: another 108.00 goes out at once.
    AgentRefund.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=timezone.now() - timedelta(hours=25))
    fourth = cancel_one(agent)
    assert (fourth.status, fourth.amount) == ("Released", D("108.00"))
    assert excess_operations(summary) == [D("108.00"), D("108.00"), D("108.00")]
    assert refunded(summary) == D("324.00")


def test_the_refund_is_computed_from_the_submit_not_the_preview(
    agent, agent_client, django_capture_on_commit_callbacks
):
    """A change made between the preview and the submit is refused by the version check; the refund of a
    submit that goes through is its own figure (previously the session's preview was refunded)."""
    summary = paid_order()
    big = items_by_sku(summary)["BIG"]
    url = f"/console/orders/{summary.pk}/cancel/"
    body = agent_client.post(url, {"action": "preview", f"item-{big.pk}": "1", "reason": "Damaged"}).content.decode()
    assert "108.00 USD will be refunded to Visa •••• 4242 as excess funds." in body
    session = agent_client.session
    stored = next(iter(session["console_wizards"].values()))
    assert set(stored) == {"summary_id", "kind", "version", "request"}  # no money kept in the session
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"action": "submit", "token": token_of(body)})
    assert AgentRefund.objects.get().amount == D("108.00")
    assert refunded(summary) == D("108.00")


def test_whole_order_cancel_on_a_routed_paid_order_holds_the_full_refund_for_approval(
    agent_client, supervisor_client, django_capture_on_commit_callbacks
):
    from tests.fulfillment.helpers import make_location, place, stock

    summary = paid_order()
    warehouse = make_location("WH-A")
    stock("WH-A", BIG=5)
    place(summary, (warehouse, [(items_by_sku(summary)["BIG"], D(5))]))
    url = f"/console/orders/{summary.pk}/cancel-order/"
    body = agent_client.post(url, {"action": "preview", "reason": "Damaged"}).content.decode()
    # Everything goes: 540.00 captured, all of it in excess after the cancel.
    assert "540.00 USD will be refunded to Visa •••• 4242 as excess funds." in body
    assert "540.00 USD is above your refund limit of 200.00 USD" in body
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"action": "submit", "token": token_of(body)})
    held = AgentRefund.objects.get()
    assert (held.kind, held.status, held.amount, held.reason) == ("cancel_order", "Pending", D("540.00"), "Damaged")
    assert OrderSummary.objects.get(pk=summary.pk).status == "Canceled"
    assert not BackgroundOperation.objects.exists()  # the automation did not refund it behind the approval
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(f"/console/refund-approvals/{held.pk}/", {"decision": "approve"})
    assert excess_operations(summary) == [D("540.00")]
    assert refunded(summary) == D("540.00")
