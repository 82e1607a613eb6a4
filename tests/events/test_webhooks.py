"""Webhooks end to end (issue 17 point 1): a real HTTP receiver on loopback gets signed events recorded by
the services, retried through the outbox, refused for private addresses without the setting."""

import hashlib
import hmac
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders import outbox
from orders.events import purge_old_events
from orders.models import Event, OutboxMessage, OutboxStatus, WebhookDelivery, WebhookEndpoint
from tests.builders import ensure_channel, ingest, items_by_sku, order_body, worked_example, worked_example_body
from tests.events.receiver import Receiver
from tests.fulfillment.helpers import make_location, place, stock

pytestmark = pytest.mark.django_db

WEBHOOKS = "/api/v1/webhook-endpoints"
ALL_TYPES = [
    "order_summary.created",
    "order_summary.changed",
    "fulfillment_order.created",
    "fulfillment_order.status_changed",
    "shipment.created",
    "invoice.created",
    "payment.captured",
    "payment.capture_failed",
    "refund.succeeded",
    "refund.failed",
    "return_order.received",
    "process_exception.created",
]


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/integrations.md shows it."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - timestamp) <= tolerance


@pytest.fixture
def local(settings):
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    return settings


def subscribe(api, url, events=ALL_TYPES) -> dict:
    response = api.post_json(WEBHOOKS, {"url": url, "events": events, "description": "ERP"})
    assert response.status_code == 201, response.content
    return response.json()


def make_due(delivery_id: int) -> None:
    """Time passes: the delivery's retry (waiting in the outbox) is due now."""
    past = timezone.now() - timedelta(seconds=1)
    WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=past)
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING, args=[delivery_id]).update(next_attempt_at=past)


def test_an_ingest_is_delivered_signed_as_order_summary_created(api, local, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint = subscribe(api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            ensure_channel()
            response = api.post_json("/api/v1/commerce/orders", worked_example_body(number="WH-1"), key="wh-1")
        assert response.status_code == 201, response.content
        (request,) = receiver.received
    summary_id = response.json()["orderSummaryId"]
    assert request.path == "/hooks/oms"
    assert request.headers["Content-Type"] == "application/json"
    assert verify(endpoint["secret"], request.headers["OMS-Signature"], request.body)
    assert not verify(endpoint["secret"], request.headers["OMS-Signature"], request.body + b" ")
    event = request.event
    assert event["type"] == "order_summary.created"
    assert request.headers["OMS-Event-Type"] == "order_summary.created"
    assert request.headers["OMS-Event-Id"] == event["id"]
    assert event["sequence"] == 1
    assert event["orderSummaryId"] == summary_id
    # The summary as the order summary list renders it.
    listed = api.get("/api/v1/commerce/order-management/order-summaries").json()["orderSummaries"][0]
    assert event["data"]["id"] == summary_id
    assert event["data"]["grandTotalAmount"] == 118.8 == listed["grandTotalAmount"]
    assert event["data"]["orderNumber"] == "WH-1"
    assert event["data"]["status"] == "Created"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count, delivery.last_response_status) == ("Succeeded", 1, 200)
    assert OutboxMessage.objects.get(task_name="orders.webhook_tasks.deliver_webhook").status == "Done"


def test_a_shipment_delivers_shipment_status_changed_invoice_and_payment_captured_in_sequence(
    api, local, django_capture_on_commit_callbacks
):
    summary = worked_example()
    location = make_location("WH-HOOK")
    stock("WH-HOOK", A=5, B=5)
    items = items_by_sku(summary)
    with Receiver() as receiver:
        subscribe(api, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            (fulfillment_order,) = place(summary, (location, [(items["A"], 2), (items["B"], 1)]))
        with django_capture_on_commit_callbacks(execute=True):
            path = f"/api/v1/commerce/fulfillment/fulfillment-orders/{fulfillment_order.pk}/shipments"
            response = api.post_json(
                path,
                {
                    "carrier": "UPS",
                    "service": "Ground",
                    "trackingNumber": "1Z999AA10123456784",
                    "trackingUrl": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                },
            )
            assert response.status_code == 201, response.content
        events = receiver.events()
    assert [event["type"] for event in events] == [
        "fulfillment_order.created",
        "shipment.created",
        "fulfillment_order.status_changed",
        "invoice.created",
        "payment.captured",
    ]
    # ingest made event 1 (order_summary.created); every later one of this summary counts on.
    assert [event["sequence"] for event in events] == [2, 3, 4, 5, 6]
    created, parcel, shipped, invoiced, captured = (event["data"] for event in events)
    assert created["status"] == "Allocated" and created["id"] == str(fulfillment_order.pk)
    assert (parcel["carrier"], parcel["trackingNumber"]) == ("UPS", "1Z999AA10123456784")
    assert parcel["id"] == response.json()["id"] and len(parcel["lines"]) == 2  # A and B; no delivery charge
    assert shipped["shipments"][0]["id"] == parcel["id"]
    assert shipped["status"] == "Fulfilled" and shipped["fulfilledDate"] is not None
    assert len(shipped["fulfillmentOrderLineItems"]) == 3  # A, B and the delivery charge
    assert invoiced["fulfillmentOrderId"] == str(fulfillment_order.pk)
    assert Decimal(str(invoiced["totalAmountWithTax"])) == Decimal("118.80")
    assert (captured["status"], Decimal(str(captured["amount"]))) == ("Processed", Decimal("118.80"))
    sequences = list(Event.objects.filter(order_summary=summary).order_by("id").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))


def test_a_receiver_answering_500_twice_then_200_gets_the_event_three_times_with_the_same_id(
    api, local, django_capture_on_commit_callbacks
):
    with Receiver(answers=[500, 500]) as receiver:
        subscribe(api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="RETRY-1"))
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempt_count, delivery.last_response_status) == ("Pending", 1, 500)
        # The retry waits in the outbox, 30 s after the first failure.
        waiting = OutboxMessage.objects.get(status=OutboxStatus.PENDING, args=[delivery.pk])
        assert 25 <= (waiting.next_attempt_at - timezone.now()).total_seconds() <= 31
        assert outbox.relay() == 0  # not due yet
        make_due(delivery.pk)
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.relay() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempt_count) == ("Pending", 2)
        # Backoff doubles: 60 s after the second failure.
        waiting = OutboxMessage.objects.get(status=OutboxStatus.PENDING, args=[delivery.pk])
        assert 55 <= (waiting.next_attempt_at - timezone.now()).total_seconds() <= 61
        make_due(delivery.pk)
        with django_capture_on_commit_callbacks(execute=True):
            outbox.relay()
        ids = [request.event["id"] for request in receiver.received]
    assert len(ids) == 3 and len(set(ids)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.last_response_status) == ("Succeeded", 3, 200)
    assert [(a.response_status, a.succeeded) for a in delivery.attempts.order_by("id")] == [
        (500, False),
        (500, False),
        (200, True),
    ]
    # The deliveries list shows each attempt.
    (listed,) = api.get(f"{WEBHOOKS}/{delivery.endpoint_id}/deliveries").json()["deliveries"]
    assert [attempt["responseStatus"] for attempt in listed["attempts"]] == [500, 500, 200]
    assert listed["status"] == "Succeeded" and listed["nextAttemptDate"] is None


def test_a_second_copy_of_a_delivery_message_sends_nothing(api, local, django_capture_on_commit_callbacks):
    from orders.webhook_tasks import deliver_webhook

    with Receiver() as receiver:
        subscribe(api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="DUP-1"))
        delivery = WebhookDelivery.objects.get()
        assert deliver_webhook.apply(args=[delivery.pk]).get() == "not due"
        assert len(receiver.received) == 1


def test_redirects_are_not_followed(api, local, django_capture_on_commit_callbacks):
    with Receiver(answers=[302]) as receiver:
        subscribe(api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="REDIRECT-1"))
        assert [request.path for request in receiver.received] == ["/hooks/oms"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_response_status) == ("Pending", 302)
    assert "redirects are not followed" in delivery.last_error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.0.10/hook",
        "http://0.0.0.0/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
    ],
)
def test_a_private_or_loopback_address_is_refused_without_the_setting(api, url):
    response = api.post_json(WEBHOOKS, {"url": url, "events": ["order_summary.created"]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


def test_a_name_resolving_to_loopback_is_refused_at_delivery(api, settings, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        settings.OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
        subscribe(api, receiver.url.replace("127.0.0.1", "localhost"), ["order_summary.created"])
        settings.OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="SSRF-1"))
        assert receiver.received == []
    attempt = WebhookDelivery.objects.get().attempts.get()
    assert attempt.response_status is None and attempt.error.startswith("refused:")


def test_an_endpoint_failing_for_24_hours_is_disabled_and_the_admin_says_so(
    api, local, admin_client, django_capture_on_commit_callbacks
):
    with Receiver(answers=[503] * 5) as receiver:
        endpoint = subscribe(api, receiver.url, ["order_summary.created"])
        WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(
            failing_since=timezone.now() - timedelta(hours=24, minutes=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="DOWN-1"))
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert not stored.is_active and stored.disabled_at is not None
    assert "answered 503" in stored.disabled_reason
    assert WebhookDelivery.objects.get().status == "Failed"
    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
    page = admin_client.get("/admin/orders/webhookendpoint/")
    assert page.status_code == 200
    assert f"Webhook endpoint {receiver.url} was disabled" in page.content.decode()
    # Redelivery waits for the endpoint to be turned on again; turning it on clears the failure record.
    delivery = WebhookDelivery.objects.get()
    path = f"{WEBHOOKS}/{endpoint['id']}/deliveries/{delivery.pk}/actions/redeliver"
    assert api.post_json(path, {}).status_code == 409
    patched = api.patch(f"{WEBHOOKS}/{endpoint['id']}", {"active": True}, format="json").json()
    assert (patched["active"], patched["disabledDate"], patched["failingSince"]) == (True, None, None)


def test_a_delivery_failing_past_its_retry_window_is_failed(api, local, django_capture_on_commit_callbacks):
    with Receiver(answers=[500, 500]) as receiver:
        subscribe(api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="LATE-1"))
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(retry_until=timezone.now() + timedelta(seconds=10))
        make_due(delivery.pk)
        with django_capture_on_commit_callbacks(execute=True):
            outbox.relay()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("Failed", 2)
    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()


def test_redeliver_sends_the_same_event_again(api, local, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint = subscribe(api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="AGAIN-1"))
        delivery = WebhookDelivery.objects.get()
        path = f"{WEBHOOKS}/{endpoint['id']}/deliveries/{delivery.pk}/actions/redeliver"
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post_json(path, {})
        assert response.status_code == 202
        assert response.json()["status"] == "Pending"
        first, second = receiver.received
    assert first.event["id"] == second.event["id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("Succeeded", 2)
    assert api.post_json(f"{WEBHOOKS}/{endpoint['id']}/deliveries/999999/actions/redeliver", {}).status_code == 404


def test_the_admin_action_redelivers(api, local, admin_client, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        subscribe(api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="ADMIN-1"))
        delivery = WebhookDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/orders/webhookdelivery/",
                {"action": "send_again", "_selected_action": [delivery.pk]},
                follow=True,
            )
        assert response.status_code == 200
        assert len(receiver.received) == 2
    assert "1 deliver(ies) will be sent again now." in response.content.decode()
    assert admin_client.get(f"/admin/orders/webhookdelivery/{delivery.pk}/change/").status_code == 200


def test_a_channel_key_endpoint_gets_its_channel_only(make_api, local, django_capture_on_commit_callbacks):
    north, south = ensure_channel("North"), ensure_channel("South")
    north_api = make_api(scopes=["webhooks:manage", "orders:read"], channel=north)
    with Receiver() as receiver:
        subscribe(north_api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            ingest(order_body(number="N-1", channel="North"))
            ingest(order_body(number="S-1", channel="South"))
        assert [event["data"]["orderNumber"] for event in receiver.events()] == ["N-1"]
    assert south  # the other channel's order made an event, but no delivery to this endpoint
    assert Event.objects.count() == 2 and WebhookDelivery.objects.count() == 1


def test_old_events_are_purged_with_their_deliveries(api, local, django_capture_on_commit_callbacks):
    from orders.webhook_tasks import purge_old_events as purge_task

    with Receiver() as receiver:
        subscribe(api, receiver.url, ["order_summary.created"])
        with django_capture_on_commit_callbacks(execute=True):
            old = ingest(order_body(number="OLD-1"))
            ingest(order_body(number="NEW-1"))
    Event.objects.filter(order_summary=old).update(created_at=timezone.now() - timedelta(days=31))
    assert purge_task.apply().get() == 1
    assert list(Event.objects.values_list("order_summary__order_number", flat=True)) == ["NEW-1"]
    assert WebhookDelivery.objects.count() == 1
    # The sequence goes on after a purge: it never restarts at 1.
    assert purge_old_events() == 0
