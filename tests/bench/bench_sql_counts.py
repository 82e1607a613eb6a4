"""B2: SQL statements per ingested order for 1, 10 and 100 product lines (target: the same, ≤ 15).

The request runs in-process in autocommit, as gunicorn serves it, and every statement sent is counted,
BEGIN and COMMIT included (Django logs them): the key, the Idempotency-Key's claim (one autocommit
INSERT), then BEGIN, the order's nine inserts, the answer kept for the key, COMMIT.
"""

import json

from django.test import Client

from tests.bench.support import query_count, storefront_order

INGEST = "/api/v1/commerce/orders"


def _statement(sql: str) -> str:
    words = sql.split()
    verb = words[0]
    table = next((w.strip('"') for w in words if w.startswith('"') and "_" in w), "")
    return f"{verb} {table.split('.')[0].strip(chr(34))}"


def test_b2_statements_per_ingested_order(storefront, figures, run):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {storefront['key']}")

    def ingest(number: str, lines: int):
        response = client.post(
            INGEST,
            json.dumps(storefront_order(number, lines=lines)),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=number,
        )
        assert response.status_code == 201, response.content[:500]

    ingest(f"B2-{run}-warm", 1)  # the key's last-used time is written on its first use only
    for lines, figure_id in ((1, "B2.queries.1_line"), (10, "B2.queries.10_lines"), (100, "B2.queries.100_lines")):
        count, statements = query_count(lambda lines=lines: ingest(f"B2-{run}-{lines}", lines))
        note = ", ".join(_statement(sql) for sql in statements) if lines == 10 else ""
        figures.record(
            figure_id,
            f"SQL statements per ingested order, {lines} line(s)",
            count,
            "queries",
            "same for all, ≤ 15",
            note,
        )
