"""Cancel, Return and Adjust wizards: choose → preview → submit on the change services.

Figures are DOMAIN.md §6: A 2 × 40.00, B 1 × 20.00, delivery 10.00, tax 8 % on everything;
grand total 118.80.
"""

import re
from decimal import Decimal

import pytest
from django.test import Client

from console.models import WizardSubmission
from orders.calculations.inputs import ChangeItemInput
from orders.models import ChangeType, Order
from orders.services.cancel import submit_cancel
from payments.models import AgentRefund as RefundApproval
from payments.models import BackgroundOperation, CreditMemo
from tests.builders import (
    address,
    ingest,
    item,
    items_by_sku,
    mark_captured,
    order_body,
    set_fulfillment_state,
    worked_example,
)
from tests.console.builders import paid_at_checkout, shipped_and_paid
from tests.console.conftest import HTMX

pytestmark = pytest.mark.django_db


def url(summary, kind):
    return f"/console/orders/{summary.pk}/{kind}/"


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def preview(client, summary, kind, data, **extra):
    return client.post(url(summary, kind), {"action": "preview", **data}, **extra)


def change_orders(summary):
    return Order.objects.filter(order_summary=summary, kind="Change")


# --- choose ---------------------------------------------------------------------------------------


def test_cancel_offers_only_units_not_yet_allocated(agent_client):
    summary = worked_example()
    set_fulfillment_state(items_by_sku(summary)["A"], allocated=2)
    body = agent_client.get(url(summary, "cancel")).content.decode()
    assert "<html" in body and 'data-testid="wizard-choose"' in body
    assert 'data-sku="B"' in body
    assert 'data-sku="A"' not in body  # both units of A are on a fulfillment order
    # Issue 13 point 4: the cancel wizard lists delivery charges too (it did not).
    assert "Delivery Charge" in body


def test_return_with_nothing_shipped_says_so(agent_client):
    summary = worked_example()
    body = agent_client.get(url(summary, "return")).content.decode()
    assert "Nothing on this order can be returned now" in body


def test_adjust_offers_products_and_the_delivery_charge(agent_client):
    summary = worked_example()
    body = agent_client.get(url(summary, "adjust")).content.decode()
    assert 'data-sku="A"' in body and 'data-sku="B"' in body and "Delivery Charge" in body


def test_unknown_wizard_is_404(agent_client):
    summary = worked_example()
    assert agent_client.get(url(summary, "refund")).status_code == 404


def test_anonymous_goes_to_sign_in_and_a_role_without_change_permission_gets_403(db):
    summary = worked_example()
    assert Client().get(url(summary, "cancel")).status_code == 302
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("viewer", password="x")
    viewer.user_permissions.add(Permission.objects.get(codename="use_console"))
    client = Client()
    client.force_login(viewer)
    assert client.get(url(summary, "cancel")).status_code == 403


# --- form errors ----------------------------------------------------------------------------------


def test_nothing_chosen_is_an_error_on_the_form(agent_client):
    summary = worked_example()
    body = preview(agent_client, summary, "cancel", {"reason": "Damaged"}).content.decode()
    assert "Enter a quantity for at least one item." in body
    assert 'data-testid="wizard-preview"' not in body


def test_negative_quantity_is_an_error_next_to_the_field(agent_client):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    body = preview(agent_client, summary, "cancel", {f"item-{a.pk}": "-1", "reason": "Damaged"}).content.decode()
    assert f'id="id_item-{a.pk}-error"' in body
    assert "Ensure this value is greater than or equal to 0." in body


def test_more_than_available_is_the_services_error_next_to_the_field(agent_client):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    body = preview(agent_client, summary, "cancel", {f"item-{a.pk}": "3", "reason": "Damaged"}).content.decode()
    assert f'id="id_item-{a.pk}-error"' in body
    assert "Only 2 of this item can be canceled; asked for 3." in body


def test_htmx_preview_with_errors_returns_the_wizard_fragment(agent_client):
    summary = worked_example()
    response = preview(agent_client, summary, "cancel", {"reason": "Damaged"}, **HTMX)
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<div id="wizard">')
    assert "Enter a quantity for at least one item." in body


# --- cancel ---------------------------------------------------------------------------------------


def test_cancel_preview_shows_the_change_balances_and_writes_nothing(agent_client):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    body = preview(
        agent_client,
        summary,
        "cancel",
        {
            f"item-{a.pk}": "1",
            "reason": "Customer Changed Mind",
            "shipping_reduction": "on",
        },
    ).content.decode()
    # r = 40.00 / 100.00 = 0.4: product 40.00 + tax 3.20, delivery 4.00 + tax 0.32; 44.00 + 3.52 = 47.52.
    assert 'data-testid="product">40.00 USD<' in body
    assert 'data-testid="product-tax">3.20 USD<' in body
    assert 'data-testid="delivery">4.00 USD<' in body
    assert 'data-testid="delivery-tax">0.32 USD<' in body
    assert 'data-testid="grand-total-reduction">47.52 USD<' in body
    # 118.80 − 47.52 = 71.28; nothing was captured, so nothing goes back.
    assert 'data-testid="new-grand-total">71.28 USD<' in body
    assert "No money goes back now" in body
    assert not change_orders(summary).exists()


def test_cancel_after_capture_says_where_the_excess_goes(agent_client):
    summary = worked_example()
    mark_captured(summary, "118.80")
    a = items_by_sku(summary)["A"]
    body = preview(
        agent_client,
        summary,
        "cancel",
        {
            f"item-{a.pk}": "1",
            "reason": "Customer Changed Mind",
            "shipping_reduction": "on",
        },
    ).content.decode()
    # Captured 118.80 − new grand total 71.28 = 47.52 excess.
    assert "47.52 USD will be refunded to Visa •••• 4242 as excess funds." in body
    assert 'data-testid="excess-after">47.52 USD<' in body


def test_cancel_submit_applies_the_preview_once_and_refunds_the_excess(
    agent_client, django_capture_on_commit_callbacks
):
    summary = paid_at_checkout()
    a = items_by_sku(summary)["A"]
    body = preview(
        agent_client,
        summary,
        "cancel",
        {
            f"item-{a.pk}": "1",
            "reason": "Customer Changed Mind",
            "shipping_reduction": "on",
        },
    ).content.decode()
    token = token_of(body)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url(summary, "cancel"), {"action": "submit", "token": token})
    # The order page is told to watch for the refund job the automation is about to queue.
    assert response.status_code == 302
    assert response["Location"].startswith(f"/console/orders/{summary.pk}/?awaiting=")
    summary.refresh_from_db()
    a.refresh_from_db()
    assert summary.grand_total_amount == Decimal("71.28")
    assert a.quantity_canceled == 1
    assert change_orders(summary).count() == 1
    # The automation refunded the excess: captured 118.80 − new total 71.28 = 47.52.
    operation = BackgroundOperation.objects.get(order_summary=summary)
    assert (operation.type, operation.status) == ("EnsureRefunds", "Complete")
    assert summary.payment_summaries.get().refunded_amount == Decimal("47.52")

    page = agent_client.get(response["Location"]).content.decode()
    assert "Canceled: the order&#x27;s grand total went down by 47.52 USD." in page
    assert "Refunded 47.52 USD" in page
    assert "The refund is queued" in page

    # The same preview posted again (back button, double click): nothing more happens.
    with django_capture_on_commit_callbacks(execute=True):
        again = agent_client.post(url(summary, "cancel"), {"action": "submit", "token": token})
    assert again.status_code == 302
    assert change_orders(summary).count() == 1
    assert BackgroundOperation.objects.filter(order_summary=summary).count() == 1


def test_a_second_session_replaying_the_same_token_is_refused_by_the_claim(agent, agent_client):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    token = token_of(
        preview(agent_client, summary, "cancel", {f"item-{a.pk}": "1", "reason": "Damaged"}).content.decode()
    )
    # A second request that still holds the preview in its session (two tabs, a double click racing
    # the session save) is stopped by the token's unique record.
    WizardSubmission.objects.create(token=token, order_summary=summary, kind="cancel", user=agent)
    response = agent_client.post(url(summary, "cancel"), {"action": "submit", "token": token})
    assert response.status_code == 302
    assert not change_orders(summary).exists()


def test_stale_preview_is_not_applied_and_a_fresh_preview_is_shown(agent_client, agent):
    summary = worked_example()
    items = items_by_sku(summary)
    token = token_of(
        preview(
            agent_client,
            summary,
            "cancel",
            {
                f"item-{items['A'].pk}": "1",
                "reason": "Damaged",
            },
        ).content.decode()
    )
    # Someone else cancels B meanwhile: the summary's version moves on.
    submit_cancel(summary.pk, [ChangeItemInput(items["B"].pk, Decimal(1), "Damaged")], actor=agent)

    body = agent_client.post(url(summary, "cancel"), {"action": "submit", "token": token}).content.decode()
    assert "The order changed after your preview, so nothing was applied." in body
    assert 'data-testid="wizard-preview"' in body
    # Fresh preview on the current order: 118.80 − 21.60 (B) = 97.20 now; cancelling one A takes 43.20.
    assert 'data-testid="grand-total-reduction">43.20 USD<' in body
    assert 'data-testid="new-grand-total">54.00 USD<' in body
    assert list(change_orders(summary).values_list("change_type", flat=True)) == [ChangeType.CANCEL]
    assert token_of(body) != token


def test_htmx_submit_redirects_the_browser_to_the_order(agent_client):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    token = token_of(
        preview(agent_client, summary, "cancel", {f"item-{a.pk}": "1", "reason": "Damaged"}, **HTMX).content.decode()
    )
    response = agent_client.post(url(summary, "cancel"), {"action": "submit", "token": token}, **HTMX)
    assert response["HX-Redirect"] == f"/console/orders/{summary.pk}/"
    assert change_orders(summary).count() == 1


def test_change_the_selection_brings_back_the_choices(agent_client):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    token = token_of(
        preview(
            agent_client,
            summary,
            "cancel",
            {
                f"item-{a.pk}": "2",
                "reason": "Late Delivery",
                "note": "late twice",
            },
        ).content.decode()
    )
    body = agent_client.post(url(summary, "cancel"), {"action": "edit", "token": token}).content.decode()
    assert 'data-testid="wizard-choose"' in body
    assert f'name="item-{a.pk}" id="id_item-{a.pk}" value="2"' in body
    assert "late twice" in body


# --- return ---------------------------------------------------------------------------------------


def test_return_preview_and_submit_create_the_credit_memo_and_refund_it(
    agent_client, django_capture_on_commit_callbacks
):
    summary = shipped_and_paid()
    a = items_by_sku(summary)["A"]
    body = preview(agent_client, summary, "return", {f"item-{a.pk}": "1", "reason": "Damaged"}).content.decode()
    # 40.00 + 3.20 tax = 43.20 owed back through a credit memo, no shipping reduction.
    assert "A credit memo of 43.20 USD will be created and refunded to Visa •••• 4242." in body
    assert 'data-testid="new-grand-total">75.60 USD<' in body

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url(summary, "return"), {"action": "submit", "token": token_of(body)})
    a.refresh_from_db()
    assert (a.quantity_return_initiated, a.quantity_returned) == (1, 1)
    memo = CreditMemo.objects.get(order_summary=summary)
    # Refunded in full: the memo's balance is 0 and the card got 43.20 back.
    assert (memo.total_amount_with_tax, memo.balance) == (Decimal("43.20"), Decimal("0"))
    assert summary.payment_summaries.get().refunded_amount == Decimal("43.20")


# --- adjust ---------------------------------------------------------------------------------------


def test_adjust_preview_matches_the_worked_example_and_submit_writes_pre_and_post_changes(agent_client):
    # §6: 3 × 50.00, tax 10 %, 2 allocated, 1 fulfilled; −45.00 before tax, Disallowed: pre and post
    # take −22.50 (tax −2.25) each; balances 45.00 + 4.50 = 49.50.
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("X", 3, "50.00", rate=10)],
                }
            ]
        )
    )
    x = set_fulfillment_state(items_by_sku(summary)["X"], allocated=2, fulfilled=1)
    body = preview(
        agent_client,
        summary,
        "adjust",
        {
            f"item-{x.pk}": "45.00",
            "adjustment_type": "AmountWithoutTax",
            "mode": "Disallowed",
            "reason": "Price Match",
            "note": "competitor",
        },
    ).content.decode()
    assert 'data-testid="grand-total-reduction">49.50 USD<' in body
    # 165.00 − 49.50 = 115.50
    assert 'data-testid="new-grand-total">115.50 USD<' in body

    agent_client.post(url(summary, "adjust"), {"action": "submit", "token": token_of(body)})
    phases = sorted(change_orders(summary).values_list("fulfillment_phase", "total_amount"))
    assert phases == [("Post", Decimal("-22.50")), ("Pre", Decimal("-22.50"))]


def test_adjust_mode_error_is_shown_next_to_the_mode(agent_client):
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("X", 2, "50.00", rate=10)],
                }
            ]
        )
    )
    x = set_fulfillment_state(items_by_sku(summary)["X"], allocated=2)
    body = preview(
        agent_client,
        summary,
        "adjust",
        {
            f"item-{x.pk}": "10",
            "adjustment_type": "AmountWithoutTax",
            "mode": "Disallowed",
            "reason": "Goodwill",
        },
    ).content.decode()
    # Every unit is in fulfillment and the mode leaves those out: the service refuses, next to a field.
    assert 'data-testid="wizard-preview"' not in body
    assert "field-error" in body


# --- refunds above the agent limit ------------------------------------------------------------------


def big_order():
    """5 × 100.00 at 8 %: grand total 540.00, paid by a Visa sale at checkout."""
    return ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("BIG", 5, "100.00", rate=8)],
                }
            ],
            payments=[
                {
                    "kind": "sale",
                    "method": "Visa",
                    "gatewayToken": "tok_visa",
                    "last4": "4242",
                    "amount": Decimal("540.00"),
                    "gatewayReference": "sale_big",
                }
            ],
        )
    )


def test_agent_refund_above_the_limit_waits_for_a_supervisor(
    agent_client, supervisor_client, django_capture_on_commit_callbacks
):
    summary = big_order()
    big = items_by_sku(summary)["BIG"]
    body = preview(agent_client, summary, "cancel", {f"item-{big.pk}": "3", "reason": "Damaged"}).content.decode()
    # 3 × 100.00 + 24.00 tax = 324.00 excess, above the 200.00 limit.
    assert "324.00 USD is above your refund limit of 200.00 USD" in body
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url(summary, "cancel"), {"action": "submit", "token": token_of(body)})
    approval = RefundApproval.objects.get(order_summary=summary)
    assert (approval.status, approval.amount, approval.excess_amount) == (
        "Pending",
        Decimal("324.00"),
        Decimal("324.00"),
    )
    assert not BackgroundOperation.objects.filter(order_summary=summary).exists()

    agent_page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert "Refunds waiting for a supervisor" in agent_page and "Approve refund" not in agent_page
    assert agent_client.post(f"/console/refund-approvals/{approval.pk}/", {"decision": "approve"}).status_code == 403

    supervisor_page = supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert "Approve refund" in supervisor_page
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(f"/console/refund-approvals/{approval.pk}/", {"decision": "approve"})
    approval.refresh_from_db()
    assert approval.status == "Approved" and approval.decided_by.username == "supervisor"
    operation = BackgroundOperation.objects.get(order_summary=summary)
    assert Decimal(operation.input["excessFundsAmount"]) == Decimal("324.00")
    assert summary.payment_summaries.get().refunded_amount == Decimal("324.00")

    # A second approval of the same refund is refused and queues nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(
            f"/console/refund-approvals/{approval.pk}/", {"decision": "approve"}, follow=True
        )
    assert "This refund was already approved." in response.content.decode()
    assert BackgroundOperation.objects.filter(order_summary=summary).count() == 1


def test_supervisor_refund_above_the_limit_is_queued_at_once(supervisor_client, django_capture_on_commit_callbacks):
    summary = big_order()
    big = items_by_sku(summary)["BIG"]
    body = preview(supervisor_client, summary, "cancel", {f"item-{big.pk}": "3", "reason": "Damaged"}).content.decode()
    assert "above your refund limit" not in body
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_client.post(url(summary, "cancel"), {"action": "submit", "token": token_of(body)})
    # Recorded (every refund started from the console counts towards its starter's daily limit), not held.
    refund = RefundApproval.objects.get()
    assert (refund.status, refund.amount, refund.requested_by.username) == ("Released", Decimal("324.00"), "supervisor")
    assert BackgroundOperation.objects.filter(order_summary=summary).count() == 1


def test_declined_refund_queues_nothing(agent_client, supervisor_client, django_capture_on_commit_callbacks):
    summary = big_order()
    big = items_by_sku(summary)["BIG"]
    body = preview(agent_client, summary, "cancel", {f"item-{big.pk}": "3", "reason": "Damaged"}).content.decode()
    agent_client.post(url(summary, "cancel"), {"action": "submit", "token": token_of(body)})
    approval = RefundApproval.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        # Declining asks for a reason and a confirmation first (issue 13): the button only opens them.
        asked = supervisor_client.post(f"/console/refund-approvals/{approval.pk}/", {"decision": "decline"})
        assert 'data-testid="decline-form"' in asked.content.decode()
        approval.refresh_from_db()
        assert approval.status == "Pending"
        supervisor_client.post(
            f"/console/refund-approvals/{approval.pk}/",
            {"decision": "decline", "confirm": "1", "reason": "Damage not confirmed"},
        )
    approval.refresh_from_db()
    assert (approval.status, approval.decline_reason) == ("Declined", "Damage not confirmed")
    assert not BackgroundOperation.objects.exists()


def test_adjust_over_pre_and_post_units_names_both_the_credit_memo_and_the_excess(agent_client):
    summary = ingest(
        order_body(
            groups=[
                {
                    "referenceId": "g",
                    "deliverTo": address(),
                    "deliveryMethod": "Ground",
                    "items": [item("X", 3, "50.00", rate=10)],
                }
            ],
            payments=[
                {
                    "kind": "sale",
                    "method": "Visa",
                    "gatewayToken": "tok_visa",
                    "last4": "4242",
                    "amount": Decimal("165.00"),
                    "gatewayReference": "sale_x",
                }
            ],
        )
    )
    x = set_fulfillment_state(items_by_sku(summary)["X"], allocated=2, fulfilled=1)
    body = preview(
        agent_client,
        summary,
        "adjust",
        {
            f"item-{x.pk}": "45.00",
            "adjustment_type": "AmountWithoutTax",
            "mode": "Disallowed",
            "reason": "Goodwill",
        },
    ).content.decode()
    # Post (the shipped unit): 22.50 + 2.25 = 24.75 owed back through a credit memo. Pre: the same 24.75
    # comes off the total; captured 165.00 − new total 115.50 − credit 24.75 = 24.75 excess.
    assert (
        "A credit memo of 24.75 USD will be created and refunded, and 24.75 USD will be refunded as excess "
        "funds to Visa •••• 4242."
    ) in body
    assert 'data-testid="refundable-after">49.50 USD<' in body


def test_stale_preview_whose_request_no_longer_fits_goes_back_to_the_choices(agent_client, agent):
    summary = worked_example()
    a = items_by_sku(summary)["A"]
    token = token_of(
        preview(agent_client, summary, "cancel", {f"item-{a.pk}": "2", "reason": "Damaged"}).content.decode()
    )
    # Meanwhile one A is canceled elsewhere: two can no longer be canceled.
    submit_cancel(summary.pk, [ChangeItemInput(a.pk, Decimal(1), "Damaged")], actor=agent)
    body = agent_client.post(url(summary, "cancel"), {"action": "submit", "token": token}).content.decode()
    assert 'data-testid="wizard-choose"' in body
    assert "The order changed after your preview, so nothing was applied." in body
    assert "Only 1 of this item can be canceled; asked for 2." in body
    assert change_orders(summary).count() == 1
