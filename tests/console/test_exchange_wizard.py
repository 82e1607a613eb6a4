"""The Exchange wizard (issue 15): choose → preview → submit on the exchange service, both order pages linked.

The §6 order shipped whole and captured (118.80): one A back is worth 40.00 + 3.20 = 43.20.
"""

import re
from decimal import Decimal

import pytest

from console.models import WizardSubmission
from orders.calculations.inputs import ChangeItemInput
from orders.models import Exchange, OrderSummary
from orders.services.simple_return import submit_return
from payments.models import (
    AgentRefund,
    AgentRefundLimit,
    BackgroundOperation,
    CreditMemo,
    OrderPaymentSummary,
    Payment,
    Refund,
)
from payments.money_check import check_money
from payments.services.agent_changes import decide_refund, refund_remaining, remaining_refund
from tests.builders import items_by_sku, worked_example
from tests.console.builders import shipped_and_paid
from tests.console.conftest import HTMX

pytestmark = pytest.mark.django_db


def url(summary):
    return f"/console/orders/{summary.pk}/exchange/"


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def choices(summary, *, price="50.00", rate="8", quantity="1", sku="A-44"):
    return {
        "item": str(items_by_sku(summary)["A"].pk),
        "quantity": quantity,
        "reason": "Wrong Item",
        "note": "Too small",
        "sku": sku,
        "name": "Trail shoe 44",
        "new_quantity": "1",
        "unit_price": price,
        "tax_rate": rate,
    }


def preview(client, summary, data, **extra):
    return client.post(url(summary), {"action": "preview", **data}, **extra)


def test_the_order_page_offers_the_exchange_once_units_shipped(agent_client):
    unshipped = worked_example()
    assert 'data-testid="exchange"' not in agent_client.get(f"/console/orders/{unshipped.pk}/").content.decode()
    assert "Nothing on this order can be exchanged now" in agent_client.get(url(unshipped)).content.decode()
    summary = shipped_and_paid()
    assert 'data-testid="exchange"' in agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    body = agent_client.get(url(summary)).content.decode()
    assert 'data-testid="wizard-choose"' in body and "2 can come back" in body


@pytest.mark.parametrize(
    "price, rate, sentence, charge, refund",
    [
        (
            "50.00",
            "8",
            "The customer pays 10.80 USD more, charged to Visa •••• 4242 when the new item ships.",
            "10.80",
            "0.00",
        ),
        ("30.00", "8", "10.80 USD will be refunded to Visa •••• 4242.", "0.00", "10.80"),
        ("40.00", "8", "The customer pays nothing more and gets nothing back.", "0.00", "0.00"),
    ],
)
def test_preview_says_what_the_customer_pays_or_gets_back_and_writes_nothing(
    agent_client, price, rate, sentence, charge, refund
):
    summary = shipped_and_paid()
    body = preview(agent_client, summary, choices(summary, price=price, rate=rate)).content.decode()
    assert 'data-testid="wizard-preview"' in body
    assert "1 × Product A comes back, worth 43.20 USD." in body
    assert sentence in body
    assert f'data-testid="to-charge">{charge} USD<' in body
    assert f'data-testid="to-refund">{refund} USD<' in body
    assert Exchange.objects.count() == 0 and OrderSummary.objects.count() == 1


def test_submit_creates_the_linked_replacement_once(agent_client, agent):
    summary = shipped_and_paid()
    token = token_of(preview(agent_client, summary, choices(summary)).content.decode())
    response = agent_client.post(url(summary), {"action": "submit", "token": token})
    assert response.status_code == 302 and response["Location"] == f"/console/orders/{summary.pk}/"
    (exchange,) = Exchange.objects.all()
    replacement = exchange.exchange_summary
    assert (exchange.created_by, exchange.amount_to_charge, replacement.source_order_summary_id) == (
        agent,
        Decimal("10.80"),
        summary.pk,
    )

    # The same token again (a double click, the back button): refused before the service, nothing more.
    again = agent_client.post(url(summary), {"action": "submit", "token": token})
    assert again.status_code == 302 and Exchange.objects.count() == 1

    original_page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert f'href="/console/orders/{replacement.pk}/">{replacement.order_number}</a>' in original_page
    assert (
        f"Exchange: replacement order {replacement.order_number} created; 10.80 USD more charged at "
        "shipment" in original_page
    )
    replacement_page = agent_client.get(f"/console/orders/{replacement.pk}/").content.decode()
    assert 'data-testid="exchange-origin"' in replacement_page
    assert f'href="/console/orders/{summary.pk}/">{summary.order_number}</a>' in replacement_page
    assert (
        f"Created by an exchange on order {summary.order_number}: 43.20 USD paid by the returned units"
        in replacement_page
    )


def test_a_second_session_replaying_the_token_is_refused_by_the_claim(agent, agent_client):
    summary = shipped_and_paid()
    token = token_of(preview(agent_client, summary, choices(summary)).content.decode())
    WizardSubmission.objects.create(token=token, order_summary=summary, kind="exchange", user=agent)
    assert agent_client.post(url(summary), {"action": "submit", "token": token}).status_code == 302
    assert not Exchange.objects.exists()


def test_a_stale_preview_is_not_applied_and_a_fresh_one_is_shown(agent_client, agent):
    summary = shipped_and_paid()
    token = token_of(preview(agent_client, summary, choices(summary)).content.decode())
    # Someone returns one A meanwhile: the version moves on; one A can still come back.
    submit_return(summary.pk, [ChangeItemInput(items_by_sku(summary)["A"].pk, Decimal(1), "Damaged")], actor=agent)
    body = agent_client.post(url(summary), {"action": "submit", "token": token}).content.decode()
    assert "The order changed after your preview, so nothing was applied." in body
    assert 'data-testid="wizard-preview"' in body and token_of(body) != token
    assert not Exchange.objects.exists()


def test_service_errors_are_shown_next_to_the_fields(agent_client):
    summary = shipped_and_paid()
    body = preview(agent_client, summary, choices(summary, quantity="3")).content.decode()
    assert 'data-testid="wizard-choose"' in body
    assert 'id="id_quantity-error"><ul class="errorlist"><li>' in body
    htmx = preview(agent_client, summary, choices(summary, price="-1"), **HTMX).content.decode()
    assert "<html" not in htmx and 'id="id_unit_price-error"><ul class="errorlist"><li>' in htmx


# --- A cheaper replacement's refund goes through the agent refund limit (docs/agent-refunds.md) ---------------
# One A back (43.20) for a 30.00 + 8 % replacement (32.40): 32.40 moves to the replacement, 10.80 is refunded.


def exchange_cheaper(client, summary, capture):
    token = token_of(preview(client, summary, choices(summary, price="30.00")).content.decode())
    with capture(execute=True):
        assert client.post(url(summary), {"action": "submit", "token": token}).status_code == 302
    return Exchange.objects.get(original_summary=summary)


def refunded_on(summary) -> tuple[Decimal, Decimal]:
    """(refunded in all, refunded through the gateway) on the original's payment summaries."""
    ops = OrderPaymentSummary.objects.filter(order_summary=summary)
    through_gateway = sum(
        (
            refund.amount
            for refund in Refund.objects.filter(order_payment_summary__order_summary=summary).exclude(
                gateway_reference__startswith="exchange "
            )
        ),
        Decimal(0),
    )
    return sum((each.refunded_amount for each in ops), Decimal(0)), through_gateway


def test_a_cheaper_exchange_under_the_agent_limit_refunds_at_once(
    agent_client, agent, django_capture_on_commit_callbacks
):
    summary = shipped_and_paid()
    exchange = exchange_cheaper(agent_client, summary, django_capture_on_commit_callbacks)
    (refund,) = AgentRefund.objects.filter(order_summary=summary)
    assert (refund.kind, refund.status, refund.amount, refund.credit_amount, refund.requested_by) == (
        "exchange",
        "Released",
        Decimal("10.80"),
        Decimal("10.80"),
        agent,
    )
    assert refund.credit_memo_id == CreditMemo.objects.get(order_summary=summary).pk
    assert refunded_on(summary) == (Decimal("43.20"), Decimal("10.80"))
    assert check_money([summary.pk, exchange.exchange_summary_id]) == {}


def test_a_cheaper_exchange_over_the_limit_waits_then_approval_refunds(
    agent_client, supervisor, django_capture_on_commit_callbacks
):
    AgentRefundLimit.objects.filter(currency="USD").update(amount=Decimal("5.00"))
    summary = shipped_and_paid()
    preview_body = preview(agent_client, summary, choices(summary, price="30.00")).content.decode()
    assert "10.80 USD is above your refund limit of 5.00 USD: the refund will wait for a supervisor" in preview_body
    exchange = exchange_cheaper(agent_client, summary, django_capture_on_commit_callbacks)
    (refund,) = AgentRefund.objects.filter(order_summary=summary)
    assert (refund.kind, refund.status, refund.amount) == ("exchange", "Pending", Decimal("10.80"))
    # Only what moved to the replacement left the original; the 10.80 stays on the memo.
    assert refunded_on(summary) == (Decimal("32.40"), Decimal(0))
    assert CreditMemo.objects.get(order_summary=summary).balance == Decimal("10.80")
    assert check_money([summary.pk, exchange.exchange_summary_id]) == {}

    with django_capture_on_commit_callbacks(execute=True):
        decide_refund(refund.pk, approve=True, user=supervisor)
    assert refunded_on(summary) == (Decimal("43.20"), Decimal("10.80"))
    assert CreditMemo.objects.get(order_summary=summary).balance == 0
    assert check_money([summary.pk, exchange.exchange_summary_id]) == {}


def test_a_declined_exchange_refund_refunds_nothing_and_the_ledger_balances(
    agent_client, supervisor, django_capture_on_commit_callbacks
):
    AgentRefundLimit.objects.filter(currency="USD").update(amount=Decimal("5.00"))
    summary = shipped_and_paid()
    exchange = exchange_cheaper(agent_client, summary, django_capture_on_commit_callbacks)
    (refund,) = AgentRefund.objects.filter(order_summary=summary)
    with django_capture_on_commit_callbacks(execute=True):
        decide_refund(refund.pk, approve=False, user=supervisor, reason="Customer keeps store credit")
    assert AgentRefund.objects.get(pk=refund.pk).status == "Declined"
    assert refunded_on(summary) == (Decimal("32.40"), Decimal(0))
    assert not BackgroundOperation.objects.filter(order_summary=summary, type="EnsureRefunds").exists()
    assert check_money([summary.pk, exchange.exchange_summary_id]) == {}


# --- Ship the replacement only after the return arrives (holdReplacementUntilReturned) ------------------------


def test_waiting_for_the_return_in_words_then_the_receive_screen_completes_it(
    agent_client, agent, django_capture_on_commit_callbacks
):
    """One A (43.20) for a 50.00 + 8 % replacement (54.00), waiting for the return: nothing moves until the agent
    receives the unit; then 43.20 moves and 10.80 is authorized, exactly as an immediate exchange."""
    summary = shipped_and_paid()
    data = {**choices(summary), "wait_for_return": "on"}
    body = preview(agent_client, summary, data).content.decode()
    assert "A return order expects 1 × Product A, worth 43.20 USD if it comes back in good condition." in body
    assert "waits on hold: it ships only after the return arrives. No money moves until then." in body
    assert "if nothing comes back, the new order is canceled and nothing is charged." in body
    assert 'data-testid="ships-when">after the return arrives' in body
    assert not Exchange.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url(summary), {"action": "submit", "token": token_of(body)})
    exchange = Exchange.objects.get()
    return_order = exchange.return_order
    replacement = exchange.exchange_summary
    assert (exchange.status, exchange.created_by) == ("AwaitingReturn", agent)
    assert not CreditMemo.objects.filter(order_summary=summary).exists()
    original_page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert f"Waiting for the return {return_order.number}</strong>" in original_page
    assert (
        f"Exchange: replacement order {replacement.order_number} created, waiting for the return "
        f"{return_order.number}" in original_page
    )
    replacement_page = agent_client.get(f"/console/orders/{replacement.pk}/").content.decode()
    assert f"Waiting for the return {return_order.number}</strong>: this order ships only once" in replacement_page
    assert f'href="/console/orders/{summary.pk}/">{summary.order_number}</a>' in replacement_page

    # The agent receives the unit on the Receive screen.
    (line,) = return_order.lines.all()
    receive = f"/console/return-orders/{return_order.pk}/receive/"
    form = agent_client.get(receive).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = agent_client.post(receive, {"token": token_of(form), f"restock-{line.pk}": "1"}, follow=True)
    page = done.content.decode()
    assert f"The exchange is complete: replacement order {replacement.order_number} is released and ships now." in page
    assert not AgentRefund.objects.filter(order_summary=summary).exists()  # the credit pays the replacement
    exchange.refresh_from_db()
    assert (exchange.status, exchange.transferred_amount, exchange.amount_to_charge) == (
        "Completed",
        Decimal("43.20"),
        Decimal("10.80"),
    )
    memos = CreditMemo.objects.filter(order_summary=summary)
    assert [(memo.total_amount_with_tax, memo.balance) for memo in memos] == [(Decimal("43.20"), Decimal(0))]
    assert check_money([summary.pk, replacement.pk]) == {}
    original_page = agent_client.get(f"/console/orders/{summary.pk}/").content.decode()
    assert (
        f"Exchange completed: the return {return_order.number} was received, replacement order "
        f"{replacement.order_number} released; 10.80 USD more charged at shipment" in original_page
    )


def test_a_declined_exchange_refund_stays_owed_and_refund_remaining_refunds_it_from_its_memo(
    agent_client, supervisor, supervisor_client, django_capture_on_commit_callbacks
):
    """43.20 comes back, 32.40 pays the replacement: the 10.80 declined stays on the exchange's memo, owed to the
    customer, so the order offers it again and Refund remaining refunds exactly that memo's balance."""
    AgentRefundLimit.objects.filter(currency="USD").update(amount=Decimal("5.00"))
    summary = shipped_and_paid()
    exchange = exchange_cheaper(agent_client, summary, django_capture_on_commit_callbacks)
    (refund,) = AgentRefund.objects.filter(order_summary=summary)
    with django_capture_on_commit_callbacks(execute=True):
        decide_refund(refund.pk, approve=False, user=supervisor, reason="Ask the customer first")
    memo = CreditMemo.objects.get(order_summary=summary)
    assert memo.balance == Decimal("10.80")
    assert remaining_refund(OrderSummary.objects.get(pk=summary.pk)).amount == Decimal("10.80")
    assert "Refund remaining 10.80 USD" in supervisor_client.get(f"/console/orders/{summary.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        again = refund_remaining(summary.pk, user=supervisor, reason="Customer asked again")
    assert (again.kind, again.status, again.amount, again.credit_amount, again.credit_memo_id) == (
        "remaining",
        "Released",
        Decimal("10.80"),
        Decimal("10.80"),
        memo.pk,
    )
    assert refunded_on(summary) == (Decimal("43.20"), Decimal("10.80"))
    assert CreditMemo.objects.get(order_summary=summary).balance == 0
    assert CreditMemo.objects.filter(order_summary=summary).count() == 1  # the memo refunded, none made
    assert remaining_refund(OrderSummary.objects.get(pk=summary.pk)).amount == 0
    assert check_money([summary.pk, exchange.exchange_summary_id]) == {}


def test_an_exchange_refund_the_card_declines_is_back_on_its_memo_and_offered_again(
    agent_client, agent, django_capture_on_commit_callbacks
):
    """Under the limit the 10.80 is released at once; the gateway declines it: the memo gets its 10.80 back and
    the order still owes it (Refund remaining offers it; refunding it after the card is fixed settles the memo)."""
    summary = shipped_and_paid()
    Payment.objects.filter(order_payment_summary__order_summary=summary).update(gateway_token="tok_decline")
    exchange = exchange_cheaper(agent_client, summary, django_capture_on_commit_callbacks)
    assert Refund.objects.filter(order_payment_summary__order_summary=summary, status="Failed").count() == 1
    assert refunded_on(summary)[0] == Decimal("32.40")
    assert CreditMemo.objects.get(order_summary=summary).balance == Decimal("10.80")
    assert remaining_refund(OrderSummary.objects.get(pk=summary.pk)).amount == Decimal("10.80")
    assert check_money([summary.pk, exchange.exchange_summary_id]) == {}

    Payment.objects.filter(order_payment_summary__order_summary=summary).update(gateway_token="tok_visa")
    with django_capture_on_commit_callbacks(execute=True):
        refund_remaining(summary.pk, user=agent)
    assert refunded_on(summary)[0] == Decimal("43.20")
    assert list(
        Refund.objects.filter(order_payment_summary__order_summary=summary)
        .exclude(gateway_reference__startswith="exchange ")
        .order_by("id")
        .values_list("amount", "status")
    ) == [(Decimal("10.80"), "Failed"), (Decimal("10.80"), "Processed")]
    assert CreditMemo.objects.get(order_summary=summary).balance == 0
    assert check_money([summary.pk, exchange.exchange_summary_id]) == {}
