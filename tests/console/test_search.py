"""Order search: filters, htmx fragment vs full page, pagination, queries that do not grow per row."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import OrderSummary, SalesChannel
from tests.builders import ingest, order_body
from tests.console.conftest import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(db):
    ada = ingest(order_body(number="WEB-1001"))
    bob = ingest(
        order_body(
            number="WEB-1002",
            billTo={
                "name": "Bob Stone",
                "email": "bob@example.org",
                "street": "2 Elm St",
                "city": "Austin",
                "state": "TX",
                "postalCode": "73301",
                "country": "US",
            },
            orderedDate="2026-10-01T09:00:00Z",
        )
    )
    store = ingest(order_body(number="STORE-7", channel="Store EU"))
    return ada, bob, store


def test_full_page_lists_orders_newest_first(agent_client, orders):
    response = agent_client.get("/console/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body and 'role="search"' in body
    assert "3 orders found" in body
    # Ada and the store order are dated 2026-11-20, Bob 2026-10-01: Bob comes last.
    assert body.index("WEB-1001") < body.index("WEB-1002")
    assert body.index("STORE-7") < body.index("WEB-1002")


def test_htmx_request_gets_only_the_results_fragment(agent_client, orders):
    response = agent_client.get("/console/", {"q": "bob"}, **HTMX)
    body = response.content.decode()
    assert "<html" not in body
    assert "1 order found" in body
    assert "WEB-1002" in body and "WEB-1001" not in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "WEB-100"}, {"WEB-1001", "WEB-1002"}),
        ({"q": "bob@example"}, {"WEB-1002"}),
        ({"q": "ada park"}, {"WEB-1001", "STORE-7"}),
        ({"date_from": "2026-11-01"}, {"WEB-1001", "STORE-7"}),
        ({"date_to": "2026-10-01"}, {"WEB-1002"}),
        ({"status": "Canceled"}, set()),
    ],
)
def test_filters(agent_client, orders, params, expected):
    body = agent_client.get("/console/", params, **HTMX).content.decode()
    shown = {number for number in ("WEB-1001", "WEB-1002", "STORE-7") if f">{number}<" in body}
    assert shown == expected


def test_channel_filter(agent_client, orders):
    store = SalesChannel.objects.get(name="Store EU")
    body = agent_client.get("/console/", {"channel": store.pk}, **HTMX).content.decode()
    assert ">STORE-7<" in body and ">WEB-1001<" not in body


def test_no_match_shows_the_designed_empty_state(agent_client, orders):
    body = agent_client.get("/console/", {"q": "zzz"}, **HTMX).content.decode()
    assert "No orders match" in body


def test_reversed_dates_are_an_error_next_to_the_field(agent_client, orders):
    body = agent_client.get("/console/", {"date_from": "2026-11-02", "date_to": "2026-11-01"}, **HTMX).content.decode()
    assert 'id="id_date_to-error" hx-swap-oob="true"' in body
    assert "The end date is before the start date." in body
    full = agent_client.get("/console/", {"date_from": "2026-11-02", "date_to": "2026-11-01"}).content.decode()
    assert "The end date is before the start date." in full
    assert "hx-swap-oob" not in full


def test_pages_of_25_with_links_that_keep_the_filters(agent_client):
    first = ingest(order_body(number="P-000"))
    for n in range(1, 30):
        ingest(
            order_body(
                number=f"P-{n:03d}",
                orderedDate=(dt.datetime(2026, 1, 1) + dt.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        )
    assert OrderSummary.objects.count() == 30
    page_one = agent_client.get("/console/", {"q": "P-"}, **HTMX).content.decode()
    assert "30 orders found, page 1 of 2" in page_one
    assert "q=P-&amp;page=2" in page_one
    page_two = agent_client.get("/console/", {"q": "P-", "page": 2}, **HTMX).content.decode()
    # P-000 keeps the default date 2026-11-20 and comes first; P-029 .. P-001 are dated 2026-01-30 .. 01-02.
    # Page one: P-000 and P-029 .. P-006 (25 rows); page two: P-005 .. P-001.
    assert ">P-005<" in page_two and ">P-001<" in page_two
    assert ">P-006<" not in page_two and f">{first.order_number}<" not in page_two


def test_query_count_does_not_grow_with_the_rows(agent_client):
    for n in range(3):
        ingest(order_body(number=f"Q-{n}"))
    with CaptureQueriesContext(connection) as few:
        agent_client.get("/console/", **HTMX)
    for n in range(3, 20):
        ingest(order_body(number=f"Q-{n}"))
    with CaptureQueriesContext(connection) as many:
        agent_client.get("/console/", **HTMX)
    assert len(many) == len(few)


@pytest.fixture
def thirty_orders(db):
    for n in range(30):
        ingest(
            order_body(
                number=f"C-{n:03d}",
                orderedDate=(dt.datetime(2026, 1, 1) + dt.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        )


def test_past_the_cap_the_count_reads_more_than(agent_client, thirty_orders, monkeypatch):
    monkeypatch.setattr("console.selectors.SEARCH_COUNT_CAP", 20)
    page_one = agent_client.get("/console/", {"q": "C-"}, **HTMX).content.decode()
    assert "More than 20 orders found, page 1." in page_one
    assert "<span>Page 1</span>" in page_one and "of 2" not in page_one
    assert "q=C-&amp;page=2" in page_one and "← Newer" not in page_one
    # Newest first: C-029 .. C-005 on page one, C-004 .. C-000 on page two, which has no next page.
    assert ">C-029<" in page_one and ">C-005<" in page_one and ">C-004<" not in page_one
    page_two = agent_client.get("/console/", {"q": "C-", "page": 2}, **HTMX).content.decode()
    assert "More than 20 orders found, page 2." in page_two
    assert ">C-004<" in page_two and ">C-000<" in page_two and ">C-005<" not in page_two
    assert "← Newer" in page_two and "Older →" not in page_two


def test_a_page_past_the_last_row_of_a_capped_search_is_the_last_page(agent_client, thirty_orders, monkeypatch):
    monkeypatch.setattr("console.selectors.SEARCH_COUNT_CAP", 20)
    # As Django's paginator answers a page out of range, with the exact count that takes.
    body = agent_client.get("/console/", {"q": "C-", "page": 9}, **HTMX).content.decode()
    assert "30 orders found, page 2 of 2." in body
    assert ">C-000<" in body


def test_up_to_the_cap_the_count_is_exact(agent_client, thirty_orders, monkeypatch):
    monkeypatch.setattr("console.selectors.SEARCH_COUNT_CAP", 30)
    body = agent_client.get("/console/", {"q": "C-"}, **HTMX).content.decode()
    assert "30 orders found, page 1 of 2." in body
    assert "<span>Page 1 of 2</span>" in body


def test_a_capped_search_costs_the_queries_of_an_exact_one(agent_client, thirty_orders, monkeypatch):
    agent_client.get("/console/", {"q": "C-"}, **HTMX)
    with CaptureQueriesContext(connection) as exact:
        agent_client.get("/console/", {"q": "C-", "page": 2}, **HTMX)
    monkeypatch.setattr("console.selectors.SEARCH_COUNT_CAP", 20)
    with CaptureQueriesContext(connection) as capped:
        body = agent_client.get("/console/", {"q": "C-", "page": 2}, **HTMX).content.decode()
    assert "More than 20" in body
    assert len(capped) == len(exact)


def test_capped_count_counts_no_further_than_asked(thirty_orders):
    from console.selectors import OrderSearch, capped_count, order_search_queryset

    matches = order_search_queryset(OrderSearch(q="C-"))
    assert capped_count(matches, 31) == 30
    assert capped_count(matches, 30) == 30
    assert capped_count(matches, 7) == 7
    assert capped_count(order_search_queryset(OrderSearch(q="zzz")), 7) == 0
