"""Fill the database with many order summaries for the search and list benchmarks (docs/performance.md).

    python manage.py generate_bench_data --orders 1000000

Tops up: rows it made before (order numbers GEN-…) count towards --orders, so a second run adds only
what is missing. Each summary has its original order (header only: list and search never read
items) with a name, an email, a date spread over two years, a status and a sales channel drawn
deterministically from its number. On PostgreSQL rows are streamed with COPY in batches, ids taken
from the tables' sequences; elsewhere bulk_create in batches.
"""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from orders.models import Order, OrderKind, OrderSummary, OrderSummaryStatus, SalesChannel

PREFIX = "GEN-"
FIRST_NAMES = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Katherine",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Ken",
    "Dennis",
    "Hedy",
    "Tim",
    "Sophie",
    "Claude",
    "Annie",
    "Guido",
    "Bjarne",
    "Jean",
    "Carol",
    "Shafi",
    "Leslie",
    "Whitfield",
    "Martin",
    "Yukihiro",
    "Anita",
    "Mary",
    "Rasmus",
    "Larry",
    "Susan",
    "Ivan",
    "Adele",
    "Jim",
    "Karen",
    "Robin",
    "Marvin",
    "Lynn",
    "Fernando",
    "Ellen",
    "Butler",
    "Judea",
    "Silvio",
    "Manuela",
    "Ole",
    "Xavier",
    "Yvonne",
)
LAST_NAMES = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Backus",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Thompson",
    "Ritchie",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "Shannon",
    "Easley",
    "van Rossum",
    "Stroustrup",
    "Sammet",
    "Shaw",
    "Goldwasser",
    "Lamport",
    "Diffie",
    "Fowler",
    "Matsumoto",
    "Borg",
    "Kenyon",
    "Lerdorf",
    "Wall",
    "Kare",
    "Sutherland",
    "Goldberg",
    "Gray",
    "Jones",
    "Milner",
    "Minsky",
    "Conway",
    "Corbato",
    "Ullman",
    "Lampson",
    "Pearl",
    "Micali",
    "Blum",
    "Dahl",
    "Leroy",
    "Hill",
)
CHANNELS = ("Bench Web", "Bench Store", "Bench Marketplace")
STATUSES = (
    (OrderSummaryStatus.FULFILLED, 6),
    (OrderSummaryStatus.WAITING_TO_FULFILL, 2),
    (OrderSummaryStatus.CREATED, 1),
    (OrderSummaryStatus.CANCELED, 1),
)
SPAN = timedelta(days=730)
START = datetime(2025, 1, 1, tzinfo=UTC)


def number_of(n: int) -> str:
    return f"{PREFIX}{n:08d}"


def attributes(n: int) -> dict:
    """Deterministic, well-spread values for the n-th generated order (multiplicative hashing)."""
    first = FIRST_NAMES[(n * 7919) % len(FIRST_NAMES)]
    last = LAST_NAMES[(n * 104729 // len(FIRST_NAMES)) % len(LAST_NAMES)]
    weights = [status for status, weight in STATUSES for _ in range(weight)]
    seconds = (n * 2654435761) % int(SPAN.total_seconds())
    total = Decimal((n * 37) % 50000 + 500) / 100
    tax = (total * Decimal("0.08")).quantize(Decimal("0.01"))
    return {
        "number": number_of(n),
        "name": f"{first} {last}",
        "email": f"{first}.{last}.{n}@example.com".lower().replace(" ", ""),
        "ordered": START + timedelta(seconds=seconds),
        "status": weights[(n * 31) % len(weights)],
        "channel": CHANNELS[n % len(CHANNELS)],
        "total": total,
        "tax": tax,
    }


class Command(BaseCommand):
    help = "Generate order summaries (GEN-…) until the database holds --orders of them."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=200_000)
        parser.add_argument("--batch", type=int, default=50_000)

    def handle(self, *args, orders: int, batch: int, **options):
        channels = {name: SalesChannel.objects.get_or_create(name=name)[0].pk for name in CHANNELS}
        have = OrderSummary.objects.filter(order_number__startswith=PREFIX).count()
        started = time.monotonic()
        write = self._copy if connection.vendor == "postgresql" else self._bulk_create
        for first in range(have, orders, batch):
            last = min(first + batch, orders)
            with transaction.atomic():
                write(range(first, last), channels)
            self.stdout.write(f"{last:,} / {orders:,} order summaries ({time.monotonic() - started:.0f} s)")
        if connection.vendor == "postgresql" and have < orders:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE orders_order")
                cursor.execute("ANALYZE orders_ordersummary")
        self.stdout.write(
            self.style.SUCCESS(
                f"{max(orders, have):,} generated order summaries; {max(0, orders - have):,} added in "
                f"{time.monotonic() - started:.1f} s"
            )
        )

    # --- rows ---------------------------------------------------------------------------------

    def _rows(self, numbers, channels):
        now = timezone.now()
        for n in numbers:
            a = attributes(n)
            grand = a["total"] + a["tax"]
            common = {
                "order_number": a["number"],
                "sales_channel_id": channels[a["channel"]],
                "currency": "USD",
                "tax_locale_type": "Net",
                "ordered_date": a["ordered"],
                "external_reference": "",
                "bill_to_name": a["name"],
                "bill_to_email": a["email"],
                "bill_to_phone": "",
                "street": f"{n % 9999 + 1} Main St",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62701",
                "country": "US",
            }
            order = {
                **common,
                "kind": OrderKind.ORIGINAL,
                "status": "Activated",
                "order_summary_id": None,
                "change_type": "",
                "fulfillment_phase": "",
                "reason": "",
                "created_by_id": None,
                "created_by_client_id": None,
                "total_amount": a["total"],
                "total_tax_amount": a["tax"],
                "grand_total_amount": grand,
                "created_at": now,
            }
            summary = {
                **common,
                "life_cycle_type": "MANAGED",
                "status": a["status"],
                "name": "",
                "active_process_exception_count": 0,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "total_product_amount": a["total"],
                "total_adjusted_product_amount": a["total"],
                "total_adjusted_product_tax_amount": a["tax"],
                "total_amount": a["total"],
                "total_tax_amount": a["tax"],
                "grand_total_amount": grand,
            }
            yield order, summary

    def _bulk_create(self, numbers, channels):
        pairs = list(self._rows(numbers, channels))
        orders = Order.objects.bulk_create([Order(**_known(Order, order)) for order, _ in pairs])
        OrderSummary.objects.bulk_create(
            [
                OrderSummary(original_order=order, **_known(OrderSummary, summary))
                for order, (_, summary) in zip(orders, pairs, strict=True)
            ]
        )

    def _copy(self, numbers, channels):
        pairs = list(self._rows(numbers, channels))
        order_ids = _take_ids(Order, len(pairs))
        summary_ids = _take_ids(OrderSummary, len(pairs))
        order_columns = _columns(Order)
        summary_columns = _columns(OrderSummary)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(_copy_sql(Order, order_columns)) as copy:
                for order_id, (order, _) in zip(order_ids, pairs, strict=True):
                    values = {**order, "id": order_id}
                    copy.write_row([values.get(column, _default(Order, column)) for column in order_columns])
            with raw.copy(_copy_sql(OrderSummary, summary_columns)) as copy:
                for summary_id, order_id, (_, summary) in zip(summary_ids, order_ids, pairs, strict=True):
                    values = {**summary, "id": summary_id, "original_order_id": order_id}
                    copy.write_row([values.get(column, _default(OrderSummary, column)) for column in summary_columns])


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _copy_sql(model, columns) -> str:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    return f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"


def _default(model, column):
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    return field.get_default() if field.has_default() else None


def _known(model, values: dict) -> dict:
    columns = {field.column: field.attname for field in model._meta.concrete_fields}
    return {columns[key]: value for key, value in values.items() if key in columns and key != "created_at"}


def _take_ids(model, count: int) -> list[int]:
    """Ids from the table's own sequence, so rows created later by the app do not collide."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]
