"""The webhook endpoint resource and the change feed over REST (issue 17 points 1, 2 and 5), every answer
checked against the served OpenAPI schema."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Event, WebhookEndpoint
from tests.api.schema import check_every_response
from tests.builders import ensure_channel, ingest, order_body

pytestmark = pytest.mark.django_db

WEBHOOKS = "/api/v1/webhook-endpoints"
FEED = "/api/v1/commerce/events"


@pytest.fixture(autouse=True)
def every_response_checked(monkeypatch):
    check_every_response(monkeypatch)


@pytest.fixture(autouse=True)
def settled_at_once(settings):
    settings.OMS_EVENT_FEED_SETTLE_SECONDS = 0


def create(api, url="https://hooks.oms-receiver.invalid/oms", events=("order_summary.created",), **extra):
    return api.post_json(WEBHOOKS, {"url": url, "events": list(events), **extra})


def test_the_secret_is_shown_once_and_the_endpoint_can_be_changed_and_removed(api):
    response = create(api, description="ERP", events=["invoice.created", "order_summary.created", "invoice.created"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["invoice.created", "order_summary.created"]
    assert (body["active"], body["description"], body["salesChannelId"]) == (True, "ERP", None)
    one = api.get(f"{WEBHOOKS}/{body['id']}").json()
    assert "secret" not in one and one["url"] == "https://hooks.oms-receiver.invalid/oms"
    assert "secret" not in api.get(WEBHOOKS).json()["webhookEndpoints"][0]

    patched = api.patch(
        f"{WEBHOOKS}/{body['id']}",
        {"events": ["refund.failed"], "active": False, "url": "https://other.oms-receiver.invalid/x"},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["events"], patched.json()["active"]) == (["refund.failed"], False)
    assert WebhookEndpoint.objects.get().url == "https://other.oms-receiver.invalid/x"

    assert api.delete(f"{WEBHOOKS}/{body['id']}").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert api.get(f"{WEBHOOKS}/{body['id']}").status_code == 404


def test_bad_input_names_the_field(api):
    assert create(api, events=[]).json()["errors"][0]["field"] == "events"
    assert create(api, events=["order.exploded"]).json()["errors"][0]["field"] == "events[0]"
    assert create(api, url="not a url").json()["errors"][0]["field"] == "url"
    response = create(api, secret="mine")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "secret"
    endpoint = create(api).json()
    patched = api.patch(f"{WEBHOOKS}/{endpoint['id']}", {"url": "http://127.0.0.1/"}, format="json")
    assert patched.status_code == 400 and patched.json()["errors"][0]["field"] == "url"


def test_webhooks_manage_is_the_scope(make_api):
    reader = make_api(scopes=["orders:read", "orders:write", "payments:write"])
    assert create(reader).status_code == 403
    assert reader.get(WEBHOOKS).status_code == 403
    manager = make_api(scopes=["webhooks:manage"])
    assert create(manager).status_code == 201
    assert manager.get(FEED).status_code == 403  # the feed reads orders: orders:read


def test_endpoints_are_paged_with_a_cursor(api):
    ids = [create(api).json()["id"] for _ in range(3)]
    first = api.get(WEBHOOKS, {"limit": 2}).json()
    assert [row["id"] for row in first["webhookEndpoints"]] == ids[:2]
    second = api.get(WEBHOOKS, {"limit": 2, "cursor": first["nextCursor"]}).json()
    assert [row["id"] for row in second["webhookEndpoints"]] == ids[2:]
    assert second["nextCursor"] is None
    assert api.get(WEBHOOKS, {"cursor": "!!"}).status_code == 400


def test_a_channel_key_sees_and_changes_its_channel_endpoints_only(make_api):
    north, south = ensure_channel("North"), ensure_channel("South")
    north_api = make_api(scopes=["webhooks:manage"], channel=north)
    south_api = make_api(scopes=["webhooks:manage"], channel=south)
    mine = create(north_api).json()
    assert mine["salesChannelId"] == str(north.pk)
    assert south_api.get(WEBHOOKS).json()["webhookEndpoints"] == []
    for response in (
        south_api.get(f"{WEBHOOKS}/{mine['id']}"),
        south_api.patch(f"{WEBHOOKS}/{mine['id']}", {"active": False}, format="json"),
        south_api.delete(f"{WEBHOOKS}/{mine['id']}"),
        south_api.get(f"{WEBHOOKS}/{mine['id']}/deliveries"),
    ):
        assert response.status_code == 404
    assert WebhookEndpoint.objects.get().is_active


def test_the_change_feed_catches_up_in_order(api):
    first = ingest(order_body(number="FEED-1"))
    second = ingest(order_body(number="FEED-2"))
    page = api.get(FEED, {"limit": 1}).json()
    (event,) = page["events"]
    assert (event["type"], event["orderSummaryId"], event["sequence"]) == ("order_summary.created", str(first.pk), 1)
    assert event["data"]["orderNumber"] == "FEED-1"
    assert page["hasMore"] is True and page["lastEventId"] == event["id"]
    rest = api.get(FEED, {"after": page["lastEventId"]}).json()
    assert [e["orderSummaryId"] for e in rest["events"]] == [str(second.pk)]
    assert rest["hasMore"] is False
    # Nothing new: the same position comes back, to poll again from.
    idle = api.get(FEED, {"after": rest["lastEventId"]}).json()
    assert (idle["events"], idle["lastEventId"], idle["hasMore"]) == ([], rest["lastEventId"], False)
    third = ingest(order_body(number="FEED-3"))
    caught_up = api.get(FEED, {"after": idle["lastEventId"]}).json()
    assert [e["orderSummaryId"] for e in caught_up["events"]] == [str(third.pk)]


def test_the_feed_filters_by_type_and_summary(api):
    from orders.services.cancel import submit_cancel
    from tests.builders import items_by_sku
    from tests.change_builders import change

    summary = ingest(order_body(number="TYPES-1"))
    ingest(order_body(number="TYPES-2"))
    item = next(iter(items_by_sku(summary).values()))
    submit_cancel(summary.pk, [change(item.pk, 1)], actor=None)
    changed = api.get(FEED, {"types": "order_summary.changed"}).json()["events"]
    assert [(e["type"], e["sequence"]) for e in changed] == [("order_summary.changed", 2)]
    assert changed[0]["data"]["id"] == str(summary.pk)
    both = api.get(
        FEED, {"types": "order_summary.changed,order_summary.created", "orderSummaryId": str(summary.pk)}
    ).json()["events"]
    assert [e["sequence"] for e in both] == [1, 2]
    assert api.get(FEED, {"types": "order_summary.exploded"}).json()["errors"][0]["field"] == "types"
    assert api.get(FEED, {"after": "x1"}).json()["errors"][0]["field"] == "after"


def test_the_feed_waits_for_young_events_to_settle(api, settings):
    settings.OMS_EVENT_FEED_SETTLE_SECONDS = 5
    ingest(order_body(number="YOUNG-1"))
    assert api.get(FEED).json()["events"] == []
    Event.objects.update(created_at=timezone.now() - timedelta(seconds=6))
    assert len(api.get(FEED).json()["events"]) == 1


def test_a_channel_key_reads_its_channel_events_only(make_api):
    north = ensure_channel("North")
    ensure_channel("South")
    ingest(order_body(number="N-1", channel="North"))
    ingest(order_body(number="S-1", channel="South"))
    north_api = make_api(scopes=["orders:read"], channel=north)
    events = north_api.get(FEED).json()["events"]
    assert [e["data"]["orderNumber"] for e in events] == ["N-1"]
