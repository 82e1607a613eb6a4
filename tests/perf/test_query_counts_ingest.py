"""Ingest: query counts pinned at two sizes, the same number of statements for a small and a large order.

Counted inside the test's transaction, so each `transaction.atomic()` of a service shows as a SAVEPOINT
and its RELEASE (two statements that production, in autocommit, sends as BEGIN and COMMIT instead).
"""

import pytest
from django.db import connection

from tests.api.helpers import INGEST
from tests.perf.query_counting import body_with, count

pytestmark = pytest.mark.django_db

# PostgreSQL writes a single order's rows with one statement; SQLite with one insert per table (nine more).
SINGLE = 13 if connection.vendor == "postgresql" else 22


def test_ingest_costs_the_same_for_1_and_12_lines(warm_api, django_assert_max_num_queries):
    def ingest(lines, number):
        def run():
            response = warm_api.post_json(INGEST, body_with(lines, number), key=number)
            assert response.status_code == 201, response.content

        return run

    # The key; the claim of the Idempotency-Key (savepoint, insert, release); the channel by name; the
    # order's transaction (savepoint; on PostgreSQL one statement writing the order, groups, items, taxes,
    # summary, group summaries, item summaries, payment summary and authorization (issue 19,
    # orders/services/ingest_statement.py; one insert per table on SQLite); the active hold rules (issue 16:
    # a new order may be held before it is routed); the order_summary.created event (issue 17: the summary's
    # first sequence, the event, the webhook endpoints); the answer kept for replay; release). No duplicate
    # check before: the order's unique index refuses a taken number, and only then are the existing ids read.
    # In production the claim is one autocommit INSERT and the transaction BEGIN … COMMIT: 11, and 10 for a
    # storefront key, which names no channel (B2 of the benchmarks); two commits. SQLite: 22.
    with django_assert_max_num_queries(SINGLE):
        small = count(ingest(1, "ONE-1"))
    with django_assert_max_num_queries(SINGLE):
        large = count(ingest(12, "TWELVE-1"))
    assert small == large


def test_a_batch_of_10_orders_costs_what_a_batch_of_2_costs(warm_api, django_assert_max_num_queries):
    def batch(count, prefix):
        orders = [{**body_with(3, f"{prefix}-{n}"), "idempotencyKey": f"{prefix}-{n}"} for n in range(count)]

        def run():
            response = warm_api.post_json("/api/v1/commerce/orders/batch", {"orders": orders})
            assert [r["success"] for r in response.json()["results"]] == [True] * count

        return run

    # The key. The claims' transaction (savepoint … release here): the keys already known (one
    # select) and every new claim (one insert, in a savepoint). The orders' transaction: the channel,
    # the duplicate numbers (one select), then in a savepoint one insert per table for all the orders
    # (orders, groups, items, taxes, summaries, group summaries, item summaries, payment summaries,
    # authorizations: not one statement, which measured no cheaper for a batch, docs/performance.md), the
    # active hold rules, read once for the whole batch (issue 16), the order_summary.created events (issue
    # 17: the channels' names, the sequences, the events, the webhook endpoints: one statement each for the
    # whole batch), and the answers kept (one update). 28 whatever the count.
    with django_assert_max_num_queries(28):
        small = count(batch(2, "TWO"))
    with django_assert_max_num_queries(28):
        large = count(batch(10, "TEN"))
    assert small == large
