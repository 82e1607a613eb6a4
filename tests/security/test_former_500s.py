"""Issue 14, point 6: every input that answered a 500 now answers a clean 4xx, and writes nothing.

Each case is the attack the issue reports, then its neighbours: every keyset-paginated list with
every kind of malformed cursor; out-of-range dates and page numbers in the console's searches;
NaN, infinities and huge numbers in every numeric console input; malformed inventory CSVs in the admin.
"""

import base64
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from orders.cursors import decode_id_cursor, decode_keyset_cursor, encode_id_cursor, encode_keyset_cursor
from orders.errors import InvalidInput
from orders.models import FulfillmentOrderLineItem, InventoryLevel, Location, ProcessException
from tests.builders import items_by_sku, worked_example
from tests.fulfillment.helpers import lines_by_sku, make_location, on_hand_reserved, place, stock

pytestmark = pytest.mark.django_db

API = "/api/v1/commerce"
KEYSET_LISTS = [
    f"{API}/order-management/order-summaries",
    f"{API}/process-exceptions",
    f"{API}/locations",
    f"{API}/inventory-levels",
    f"{API}/fulfillment/fulfillment-orders",
    f"{API}/returns/return-orders",
    f"{API}/invoices",
    f"{API}/credit-memos",
    f"{API}/background-operations",
]


def b64(raw: str | bytes) -> str:
    return base64.urlsafe_b64encode(raw if isinstance(raw, bytes) else raw.encode()).decode().rstrip("=")


BAD_CURSORS = {
    "the issue's MXwx (1|1)": "MXwx",
    "not base64": "!!!*",
    "base64 of bytes that are not UTF-8": b64(b"\xff\xfe\x00"),
    "padding only": "====",
    "non-ASCII": "é",
    "a JSON object": b64('{"a": 1}'),
    "JSON null": b64("null"),
    "three items": b64('["2026-01-01T00:00:00+00:00", 1, 2]'),
    "a date that is no date": b64('["2026-02-30T00:00:00+00:00", 1]'),
    "a date that is a number": b64("[20260101, 1]"),
    "the last instant, west of UTC": b64('["9999-12-31T23:59:59-14:00", 1]'),
    "the first instant, east of UTC": b64('["0001-01-01T00:00:00+14:00", 1]'),
    "an id past bigint": b64('["2026-01-01T00:00:00+00:00", 99999999999999999999999]'),
    "a negative id": b64('["2026-01-01T00:00:00+00:00", -1]'),
    "an id that is true": b64('["2026-01-01T00:00:00+00:00", true]'),
    "an id that is a float": b64('["2026-01-01T00:00:00+00:00", 1.5]'),
    "a bare id past bigint": b64("99999999999999999999"),
    "a bare id of zero": b64("0"),
    "a bare negative id": b64("-5"),
    "deeply nested": b64("[" * 140 + "]" * 140),
    "long": "A" * 5000,
}


@pytest.mark.parametrize("path", KEYSET_LISTS, ids=lambda path: path.rsplit("/", 1)[1])
def test_a_malformed_cursor_answers_400_on_every_keyset_list(api, path):
    problems = {}
    for what, cursor in BAD_CURSORS.items():
        response = api.get(path, {"cursor": cursor})
        body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else None
        if response.status_code != 400 or body is None:
            problems[what] = f"{response.status_code}: {response.content[:200]}"
        elif [(e["errorCode"], e["field"]) for e in body["errors"]] != [("INVALID_API_INPUT", "cursor")]:
            problems[what] = body["errors"]
    assert problems == {}


def test_the_cursors_given_out_still_page_through_every_list(api):
    summary = worked_example()
    for number in range(3):
        ProcessException.objects.create(order_summary=summary, category="Payment", message=f"E{number}")
        make_location(f"WH-{number}")
        stock(f"WH-{number}", A=number)
    pages = {}
    for path, key in [
        (f"{API}/process-exceptions", "processExceptions"),
        (f"{API}/locations", "rows"),
        (f"{API}/inventory-levels", "rows"),
    ]:
        seen, cursor = [], None
        while True:
            page = api.get(path, {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
            seen.append(len(page[key]))
            cursor = page["nextCursor"]
            if cursor is None:
                break
        pages[path.rsplit("/", 1)[1]] = seen
    assert pages == {"process-exceptions": [2, 1], "locations": [2, 1], "inventory-levels": [2, 1]}


def test_the_cursor_codec_round_trips_and_refuses_what_it_did_not_write():
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=UTC)
    assert decode_keyset_cursor(encode_keyset_cursor(moment, 42)) == (moment, 42)
    assert decode_id_cursor(encode_id_cursor(2**63 - 1)) == 2**63 - 1
    for cursor in BAD_CURSORS.values():
        with pytest.raises(InvalidInput):
            decode_keyset_cursor(cursor)
    with pytest.raises(InvalidInput):
        decode_id_cursor(b64(str(2**63)))


# --- The console: dates and page numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"date_to": "9999-12-31"},  # the case: the day after it is past the calendar
        {"date_from": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_to": "3000-01-01"},
        {"date_from": "1899-12-31", "date_to": "2026-01-01"},
        {"date_to": "2026-02-30"},
        {"date_to": "99999-01-01"},
        {"date_to": "2026-01-01\x00"},
    ],
    ids=lambda params: ",".join(f"{k}={v!r}" for k, v in params.items()),
)
def test_an_out_of_range_date_in_the_order_search_answers_400_naming_the_field(agent_client, params):
    for extra in ({}, {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/console/"}):
        response = agent_client.get("/console/", params, **extra)
        assert response.status_code == 400, (extra, response.content[:300])
        body = response.content.decode()
        # The error sits by the field it is about (swapped out of band into the form on an htmx search).
        errors = re.findall(r'id="id_(date_from|date_to)-error"[^>]*><ul class="errorlist"><li>([^<]+)</li>', body)
        assert errors and {field for field, _ in errors} <= set(params), body[:2000]
        assert all(message.startswith("Enter a") for _, message in errors), errors


def test_the_date_inputs_tell_the_browser_their_range(agent_client):
    page = agent_client.get("/console/").content.decode()
    assert page.count('min="1900-01-01"') == 2 and page.count('max="2999-12-31"') == 2


def test_the_edges_of_the_range_are_searched(agent_client):
    response = agent_client.get("/console/", {"date_from": "1900-01-01", "date_to": "2999-12-31"})
    assert response.status_code == 200 and 'class="errorlist"' not in response.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "1e1000000", "NaN", "9" * 5000, "1.5", "\x00"])
@pytest.mark.parametrize("url", ["/console/", "/console/exceptions/"])
def test_a_malformed_page_number_answers_400(agent_client, supervisor_client, url, page):
    client = supervisor_client if "exceptions" in url else agent_client
    response = client.get(url, {"page": page})
    assert response.status_code == 400, response.content[:300]


@pytest.mark.parametrize("url", ["/console/", "/console/exceptions/"])
def test_a_page_number_past_the_end_shows_the_last_page(agent_client, supervisor_client, url):
    client = supervisor_client if "exceptions" in url else agent_client
    assert client.get(url, {"page": "99999999999999999999"}).status_code == 200


# --- The console: numbers --------------------------------------------------------------------------

NOT_UNITS = [
    "1e1000000",
    "NaN",
    "-NaN",
    "sNaN",
    "inf",
    "-Infinity",
    "1e-1000000",
    "99999999999999999999",
    "0.001",
    "-1",
    "1,5",
    "\x00",
]


def placed():
    warehouse = make_location("WH-1")
    stock("WH-1", A=5, B=3)
    summary = worked_example()
    items = items_by_sku(summary)
    (order,) = place(summary, (warehouse, [(items["A"], 2), (items["B"], 1)]))
    return summary, order


def line_quantities(order):
    return sorted(FulfillmentOrderLineItem.objects.filter(fulfillment_order=order).values_list("pk", "quantity"))


@pytest.mark.parametrize("value", NOT_UNITS)
def test_cancel_lines_with_a_number_that_is_no_number_of_units_answers_400(supervisor_client, value):
    _, order = placed()
    line_a = lines_by_sku(order)["A"]
    before = (line_quantities(order), on_hand_reserved("WH-1", "A"))
    response = supervisor_client.post(
        f"/console/fulfillment-orders/{order.pk}/cancel-lines/", {f"line-{line_a.pk}": value}
    )
    assert response.status_code == 400, response.content[:300]
    assert "Units of" in response.content.decode() or "number of units" in response.content.decode()
    assert (line_quantities(order), on_hand_reserved("WH-1", "A")) == before


@pytest.mark.parametrize("key", ["line-abc", "line-99999999999999999999999", "line-", "line-1e5", "line-\x00"])
def test_cancel_lines_naming_no_line_of_the_order_answers_400(supervisor_client, key):
    _, order = placed()
    before = line_quantities(order)
    response = supervisor_client.post(f"/console/fulfillment-orders/{order.pk}/cancel-lines/", {key: "1"})
    assert response.status_code == 400, response.content[:300]
    assert line_quantities(order) == before


def test_cancel_lines_with_good_units_still_cancels(supervisor_client):
    _, order = placed()
    line_a = lines_by_sku(order)["A"]
    response = supervisor_client.post(
        f"/console/fulfillment-orders/{order.pk}/cancel-lines/",
        {f"line-{line_a.pk}": "1", f"line-{lines_by_sku(order)['B'].pk}": "", "reason": "Customer called"},
    )
    assert response.status_code == 302
    line_a.refresh_from_db()
    assert (line_a.original_quantity, line_a.quantity) == (D(2), D(1))
    assert on_hand_reserved("WH-1", "A") == (D(5), D(1))


@pytest.mark.parametrize("value", NOT_UNITS)
def test_the_create_fulfillment_order_form_refuses_a_number_that_is_no_number_of_units(supervisor_client, value):
    make_location("WH-1")
    stock("WH-1", A=5, B=3)
    summary = worked_example()
    group = summary.delivery_group_summaries.get()
    item = items_by_sku(summary)["A"]
    url = f"/console/orders/{summary.pk}/groups/{group.pk}/fulfillment-orders/new/"
    location = Location.objects.get(external_reference="WH-1")
    response = supervisor_client.post(
        url, {"location": location.pk, "fulfillment_type": "Warehouse", f"item-{item.pk}": value}
    )
    assert response.status_code == 200, response.content[:300]  # the form again, its error by the item
    assert list(response.context["form"].errors) == [f"item-{item.pk}"]
    assert not summary.fulfillment_orders.exists()


# --- The admin: the inventory CSV ------------------------------------------------------------------

UPLOAD = reverse("admin:orders_inventorylevel_upload")
HEADER = "locationExternalReference,stockKeepingUnit,quantityOnHand\n"


def upload(client, content: bytes):
    return client.post(UPLOAD, {"file": SimpleUploadedFile("stock.csv", content, content_type="text/csv")})


BAD_CSVS = {
    "a NUL byte in a field": (HEADER + "WH-1,A\x00,5\n").encode(),
    "a NUL byte in the header": b"locationExternalReference\x00,stockKeepingUnit,quantityOnHand\nWH-1,A,5\n",
    "a 200 kB field": (HEADER + "WH-1," + "A" * 200_000 + ",5\n").encode(),
    "a 200 kB location": (HEADER + "W" * 200_000 + ",A,5\n").encode(),
    "a 200 kB quantity": (HEADER + "WH-1,A," + "9" * 200_000 + "\n").encode(),
    "an unclosed quote": (HEADER + 'WH-1,"A,5\n').encode(),
    "too many fields": (HEADER + "WH-1,A,5,extra\n").encode(),
    "too few fields": (HEADER + "WH-1,A\n").encode(),
    "NaN": (HEADER + "WH-1,A,NaN\n").encode(),
    "sNaN": (HEADER + "WH-1,A,sNaN\n").encode(),
    "infinity": (HEADER + "WH-1,A,inf\n").encode(),
    "1e1000000": (HEADER + "WH-1,A,1e1000000\n").encode(),
    "1e-1000000": (HEADER + "WH-1,A,1e-1000000\n").encode(),
    "not UTF-8": HEADER.encode() + b"WH-1,\xff\xfe,5\n",
    "UTF-16": (HEADER + "WH-1,A,5\n").encode("utf-16"),
    "empty": b"",
    "a header only": HEADER.encode(),
    "a binary file": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("content", BAD_CSVS.values(), ids=BAD_CSVS.keys())
def test_a_malformed_inventory_csv_answers_400_with_the_reason_and_writes_nothing(admin_client, content):
    make_location("WH-1")
    stock("WH-1", A=1)
    response = upload(admin_client, content)
    assert response.status_code == 400, response.content[:300]
    form = response.context["form"]
    assert form.errors
    # The reason is readable: no message repeats a 200 kB field back.
    assert all(len(message) < 400 for messages in form.errors.values() for message in messages)
    assert list(InventoryLevel.objects.values_list("sku", "quantity_on_hand")) == [("A", D(1))]


def test_the_csv_upload_page_is_for_staff_only():
    response = Client().post(UPLOAD, {"file": SimpleUploadedFile("stock.csv", HEADER.encode() + b"WH-1,A,5\n")})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
