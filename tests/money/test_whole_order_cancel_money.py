"""The whole-order cancel and the money that follows it, on the API and in the console (issues 12 and 13):
both go through payments.services.agent_changes.submit_agent_change, so the refund is decided, recorded
(AgentRefund) and queued (an ensure-refunds operation in the outbox, in the change's transaction) by one
piece of code; the API client is recorded as who asked and no agent limit holds it. Once nothing is left
to ship, the unused authorization is reversed (payments.services.reversal) and check_money balances.

USD: A 2 × 40.00 (8 %: 3.20 a unit), B 1 × 20.00 (1.60), delivery 10.00 (0.80) = 118.80.
BHD: X 3 × 1.250 (10 %: 0.375), delivery 2.000 (0.200) = 6.325.
"""

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client

from config.celery import app as celery_app
from orders import outbox
from orders.models import OrderSummary, OutboxMessage, OutboxStatus
from payments.models import AgentRefund, AgentRefundKind, AgentRefundStatus, BackgroundOperation, OperationType
from payments.money_check import check_money
from payments.services.agent_changes import submit_agent_change
from tests.api.helpers import body_of
from tests.builders import ingest, items_by_sku, worked_example_body
from tests.factories import ApiKeyClient
from tests.fulfillment.helpers import make_location, place, stock

from .shop import SUMMARIES, Shop, money, reversals, void_log

USD = {"currency": "USD", "items": (("A", 2, "40.00", 8), ("B", 1, "20.00", 8)), "delivery": ("10.00", "0.80")}
SALE_USD = [
    {"kind": "sale", "method": "Visa", "gatewayToken": "tok_visa", "amount": D("118.80"), "gatewayReference": "sale_1"}
]
REQUEST = {"reason": "Customer Changed Mind", "reasonText": "Ordered twice"}


@pytest.fixture
def shop(api, django_capture_on_commit_callbacks):
    return Shop(api, django_capture_on_commit_callbacks)


def agent_client() -> Client:
    user = User.objects.create_user(username="agent", password="correct horse battery staple")
    user.groups.add(Group.objects.get(name="Agent"))
    client = Client()
    client.force_login(user)
    return client


def cancel_in_console(shop, summary):
    """The agent's Cancel order on the order page: preview, then submit the previewed token."""
    client = agent_client()
    url = f"/console/orders/{summary.pk}/cancel-order/"
    with shop.capture(execute=True):
        preview = client.post(url, {"action": "preview", "reason": REQUEST["reason"], "note": REQUEST["reasonText"]})
        token = re.search(r'name="token" value="([^"]+)"', preview.content.decode()).group(1)
        response = client.post(url, {"action": "submit", "token": token})
    assert response.status_code == 302, response.content


def cancel_over_api(shop, summary):
    shop.action(summary, "submit-cancel-order", REQUEST)


PATHS = {"console": cancel_in_console, "api": cancel_over_api}


# --- issue 12 rule 6 on both paths: the authorization is released ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_canceling_everything_left_reverses_the_unused_authorization(shop, path):
    summary = shop.order(**USD)
    # 1 × A and the delivery charge ship: 40.00 + 3.20 + 10.00 + 0.80 = 54.00 captured.
    shop.ship(shop.place(summary, [("A", 1)]))
    shop.place(summary, [("A", 1), ("B", 1)])  # Allocated, not picked: cancelable
    assert money(summary)["captured"] == D("54.00")
    assert reversals(summary) == []

    PATHS[path](shop, summary)

    summary.refresh_from_db()
    # A 43.20 and B 21.60 canceled: 118.80 − 64.80 = 54.00 is what shipped, and all of it is paid.
    assert (summary.status, summary.grand_total_amount) == ("Fulfilled", D("54.00"))
    # Nothing is left to ship: 118.80 − 54.00 = 64.80 of the authorization is voided, once.
    assert money(summary) == {
        "authorized": D("118.80"),
        "captured": D("54.00"),
        "refunded": D(0),
        "reversed": D("64.80"),
        "balance": D(0),
        "invoices": [(D("54.00"), D(0))],
        "memos": [],
    }
    assert reversals(summary) == [(D("64.80"), "Processed", True)]
    assert void_log(summary) == [("Void", D("64.80"), "Success")]
    # Nothing was captured for the canceled units: no refund is recorded on either path.
    assert not AgentRefund.objects.filter(order_summary=summary).exists()
    assert check_money([summary.pk]) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_an_order_canceled_before_anything_shipped_releases_its_whole_authorization(shop, path):
    summary = shop.order(**USD)
    shop.place(summary, [("A", 2), ("B", 1)])
    PATHS[path](shop, summary)
    summary.refresh_from_db()
    assert (summary.status, summary.grand_total_amount) == ("Canceled", D("0.00"))
    assert money(summary) == {
        "authorized": D("118.80"),
        "captured": D(0),
        "refunded": D(0),
        "reversed": D("118.80"),
        "balance": D(0),
        "invoices": [],
        "memos": [],
    }
    assert void_log(summary) == [("Void", D("118.80"), "Success")]
    assert check_money([summary.pk]) == {}


# --- issue 13 point 5: the API's refund is the agent service's ----------------------------------------------


@pytest.mark.django_db
def test_the_apis_whole_order_cancel_records_and_queues_its_refund_through_the_agent_service(shop, api):
    summary = shop.order(**USD, payments=SALE_USD)  # paid in full at checkout
    shop.place(summary, [("A", 2), ("B", 1)])
    submitted = shop.action(summary, "submit-cancel-order", REQUEST)

    # Everything is canceled: 118.80 captured, 0 owed, all of it excess and refunded.
    assert submitted["changeBalances"]["totalExcessFundsAmount"] == D("118.80")
    (refund,) = AgentRefund.objects.filter(order_summary=summary)
    assert (refund.kind, refund.status, refund.amount, refund.credit_amount, refund.excess_amount) == (
        AgentRefundKind.CANCEL_ORDER,
        AgentRefundStatus.RELEASED,
        D("118.80"),
        D("0.00"),
        D("118.80"),
    )
    assert refund.change_order_ids == [int(submitted["changeOrderId"])]
    assert (refund.requested_by, refund.requested_by_client) == (None, api.record)
    assert refund.reason == "Customer Changed Mind · Ordered twice"
    operation = refund.operation
    assert (
        operation.type,
        operation.input["excessFundsAmount"],
        operation.input["creditMemoId"],
        operation.created_by_client,
        operation.status,
    ) == (OperationType.ENSURE_REFUNDS, "118.80", None, api.record, "Complete")
    # One refund operation: the settling pass found it and did not start a second.
    assert BackgroundOperation.objects.filter(order_summary=summary, type=OperationType.ENSURE_REFUNDS).count() == 1
    assert money(summary) == {
        "authorized": D("118.80"),
        "captured": D("118.80"),
        "refunded": D("118.80"),
        "reversed": D(0),
        "balance": D(0),
        "invoices": [],
        "memos": [],
    }
    assert check_money([summary.pk]) == {}
    # The order page's timeline names the integration as who started the refund.
    page = agent_client().get(f"/console/orders/{summary.pk}/").content.decode()
    started = re.search(r"Refund started \(Cancel order\).{0,600}", page, re.S).group(0)
    assert "API: backoffice" in started and "118.80 USD" in started


@pytest.fixture
def bhd_sale(shop):
    """BHD has no agent refund limit (docs/agent-refunds.md): every agent refund in it waits for a supervisor."""
    return shop.order(
        currency="BHD",
        items=(("X", 3, "1.250", 10),),
        delivery=("2.000", "0.200"),
        payments=[{"kind": "sale", "method": "Visa", "gatewayToken": "tok_visa", "amount": D("6.325")}],
    )


@pytest.mark.django_db
def test_no_agent_limit_holds_an_api_client(shop, bhd_sale):
    summary = bhd_sale
    shop.place(summary, [("X", 3)])
    shop.action(summary, "submit-cancel-order", {"reason": "Damaged"})
    (refund,) = AgentRefund.objects.filter(order_summary=summary)
    # 3.750 + 0.375 + 2.000 + 0.200 = 6.325, released at once and refunded.
    assert (refund.status, refund.amount, refund.currency) == (AgentRefundStatus.RELEASED, D("6.325"), "BHD")
    assert money(summary)["refunded"] == D("6.325")
    assert check_money([summary.pk]) == {}


@pytest.mark.django_db
def test_the_same_cancel_by_an_agent_waits_for_a_supervisor(shop, bhd_sale):
    from orders.calculations.inputs import CancelOrderInput

    summary = bhd_sale
    shop.place(summary, [("X", 3)])
    agent = User.objects.create_user(username="agent")
    agent.groups.add(Group.objects.get(name="Agent"))
    with shop.capture(execute=True):
        outcome = submit_agent_change(summary.pk, AgentRefundKind.CANCEL_ORDER, CancelOrderInput("Damaged"), user=agent)
    assert outcome.waits_for_approval
    assert (outcome.refund.amount, outcome.refund.requested_by) == (D("6.325"), agent)
    assert money(summary)["refunded"] == D(0)
    assert check_money([summary.pk]) == {}


@pytest.mark.django_db
def test_a_storefront_key_cannot_cancel_another_channels_order(shop, make_api):
    from tests.builders import ensure_channel

    summary = shop.order(**USD)
    storefront = make_api(scopes=["orders:write"], channel=ensure_channel("Store EU"))
    response = storefront.post_json(f"{SUMMARIES}/{summary.pk}/actions/submit-cancel-order", REQUEST)
    assert response.status_code == 404
    assert body_of(response)["errors"][0]["errorCode"] == "NOT_FOUND"
    summary.refresh_from_db()
    assert summary.status != "Canceled"
    assert not AgentRefund.objects.exists()


# --- the #14 leftover: the refund is promised in the change's transaction ---------------------------------------


def _use_broker(eager: bool):
    celery_app.conf.task_always_eager = eager


@pytest.mark.django_db(transaction=True)
def test_a_crash_right_after_the_commit_loses_no_refund(monkeypatch):
    """Anything enqueued after the change's transaction committed is lost when the process dies there; the
    broker is down too. The refund must already be in the outbox, committed with the change."""
    stock_at = make_location("WH-1")
    stock("WH-1", A=5, B=5)
    body = worked_example_body()
    body["payments"] = SALE_USD
    summary = ingest(body)
    items = items_by_sku(summary)
    place(summary, (stock_at, [(items["A"], 2), (items["B"], 1)]))
    api = ApiKeyClient.create(name="backoffice", scopes=["all"])

    real_enqueue = outbox.enqueue

    def enqueue_then_die(task, *args, **kwargs):
        if not connection.in_atomic_block:
            raise RuntimeError("the process died after the commit")
        return real_enqueue(task, *args, **kwargs)

    def broker_down(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(outbox, "enqueue", enqueue_then_die)
    monkeypatch.setattr(outbox, "_publish", broker_down)
    eager = celery_app.conf.task_always_eager
    _use_broker(eager=False)
    try:
        response = api.post_json(f"{SUMMARIES}/{summary.pk}/actions/submit-cancel-order", REQUEST)
    finally:
        _use_broker(eager)
    assert response.status_code == 201, response.content

    (refund,) = AgentRefund.objects.filter(order_summary=summary)
    assert (refund.status, refund.amount) == (AgentRefundStatus.RELEASED, D("118.80"))
    waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).order_by("id")
    assert [(message.task_name, message.args) for message in waiting] == [
        ("payments.tasks.settle_order_summary", [summary.pk]),
        ("payments.tasks.run_background_operation", [refund.operation_id]),
    ]
    assert money(summary)["refunded"] == D(0)

    # The broker is back: the relay hands both over and the refund goes out once.
    monkeypatch.undo()
    assert outbox.relay() == 2
    assert money(summary) == {
        "authorized": D("118.80"),
        "captured": D("118.80"),
        "refunded": D("118.80"),
        "reversed": D(0),
        "balance": D(0),
        "invoices": [],
        "memos": [],
    }
    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
    assert check_money([summary.pk]) == {}
    assert OrderSummary.objects.get(pk=summary.pk).status == "Canceled"


@pytest.mark.django_db
def test_jpy_api_cancel_refunds_whole_yen(shop):
    # JPY: P 2 × 1500 (10 %: 150 a unit), delivery 500 (50): 3850, paid at checkout.
    summary = shop.order(
        currency="JPY",
        items=(("P", 2, "1500", 10),),
        delivery=("500", "50"),
        payments=[{"kind": "sale", "method": "Visa", "gatewayToken": "tok_visa", "amount": D("3850")}],
    )
    shop.place(summary, [("P", 2)])
    shop.action(summary, "submit-cancel-order", {"reason": "Damaged"})
    (refund,) = AgentRefund.objects.filter(order_summary=summary)
    assert (refund.amount, refund.operation.input["excessFundsAmount"]) == (D("3850"), "3850")
    assert money(summary)["refunded"] == D("3850")
    assert check_money([summary.pk]) == {}
