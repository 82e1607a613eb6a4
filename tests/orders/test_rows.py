"""orders.db's row helpers give what the ORM gives: the same instances and values, the same writes."""

from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.db import CompiledQuery, Lock, get_row, get_rows, lock_row, lock_rows, money_sums, update_row, update_where
from orders.models import OrderItemSummary, OrderSummary, OutboxMessage, OutboxStatus
from orders.models.fields import MoneySum
from payments.models import Invoice, OrderPaymentSummary, Payment
from tests.builders import ingest, order_body, worked_example
from tests.payments.money_builders import invoice_everything

pytestmark = pytest.mark.django_db


def _values(instance, attnames=None) -> dict:
    fields = instance._meta.concrete_fields
    return {f.attname: getattr(instance, f.attname) for f in fields if attnames is None or f.attname in attnames}


def test_a_row_is_the_instance_the_orm_reads():
    summary = worked_example()
    ops = OrderPaymentSummary.objects.filter(order_summary=summary).first()
    for model, pk in [(OrderSummary, summary.pk), (OrderPaymentSummary, ops.pk)]:
        mine = get_row(model, pk)
        theirs = model.objects.get(pk=pk)
        assert type(mine) is model and not mine._state.adding and mine._state.db == "default"
        assert _values(mine) == _values(theirs)
        # Money comes back as the ORM gives it: a Decimal with the stored places, on SQLite too.
        assert all(
            type(getattr(mine, f.attname)) is type(getattr(theirs, f.attname)) for f in model._meta.concrete_fields
        )
    assert get_row(OrderSummary, summary.pk + 10**6) is None
    with pytest.raises(OrderSummary.DoesNotExist), transaction.atomic():
        lock_row(OrderSummary, summary.pk + 10**6)


def test_some_fields_only_and_conditions():
    summary = worked_example()
    only = get_row(OrderSummary, summary.pk, fields=("currency", "grand_total_amount"))
    assert only.get_deferred_fields() == {f.attname for f in OrderSummary._meta.concrete_fields} - {
        "id",
        "currency",
        "grand_total_amount",
    }
    assert (only.currency, only.grand_total_amount) == (summary.currency, summary.grand_total_amount)
    # A condition that does not hold finds nothing; a list is IN, an empty list matches nothing.
    assert get_row(OrderSummary, summary.pk, where={"currency": "XXX"}) is None
    items = list(OrderItemSummary.objects.filter(order_summary=summary).order_by("id"))
    found = get_rows(OrderItemSummary, where={"order_summary_id": [summary.pk], "type": items[0].type})
    assert [i.pk for i in found] == [i.pk for i in items if i.type == items[0].type]
    assert get_rows(OrderItemSummary, where={"order_summary_id": []}) == []
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        get_rows(OrderItemSummary, where={"order_summary_id": summary.pk}, lock=True, no_key=True)
    if connection.features.has_select_for_no_key_update:
        assert captured.captured_queries[-1]["sql"].endswith("FOR NO KEY UPDATE")


def test_lock_rows_gives_each_row_as_lock_row_does_in_one_statement_in_the_order_given():
    summary = ingest(order_body(payments=[{**order_body()["payments"][0], "kind": "sale"}]))
    invoice = invoice_everything(summary)
    ops = OrderPaymentSummary.objects.get(order_summary=summary)
    payment = Payment.objects.get(order_payment_summary=ops)
    locks = [
        Lock(OrderSummary, summary.pk, ("active_process_exception_count",)),
        Lock(OrderPaymentSummary, ops.pk, no_key=True),
        Lock(Invoice, invoice.pk),
        Lock(Payment, payment.pk, no_key=True),
    ]
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        mine = lock_rows(*locks)
    [statement] = [query["sql"] for query in captured.captured_queries]
    theirs = [lock_row(lock.model, lock.pk, fields=lock.fields) for lock in locks]
    for row, other, lock in zip(mine, theirs, locks, strict=True):
        assert type(row) is lock.model and not row._state.adding and row._state.db == "default"
        assert row.get_deferred_fields() == other.get_deferred_fields()
        assert _values(row, set(_values(other)) - other.get_deferred_fields()) == _values(
            other, set(_values(other)) - other.get_deferred_fields()
        )
        assert all(
            type(getattr(row, name)) is type(getattr(other, name))
            for name in set(_values(other)) - other.get_deferred_fields()
        )
    # The locks in the order given (one branch after the other), each as lock_row takes it.
    tables = [lock.model._meta.db_table for lock in locks]
    assert [statement.index(f'FROM "{table}"') for table in tables] == sorted(
        statement.index(f'FROM "{table}"') for table in tables
    )
    if connection.features.has_select_for_no_key_update:
        assert statement.count("FOR NO KEY UPDATE") == 2 and statement.count("FOR UPDATE") == 2
    # A row that does not exist is None when not required, the others are still found; else DoesNotExist.
    with transaction.atomic():
        found = lock_rows(locks[0], Lock(Invoice, invoice.pk + 10**6, required=False), locks[3])
    assert found[0].pk == summary.pk and found[1] is None and found[2].pk == payment.pk
    with pytest.raises(Invoice.DoesNotExist), transaction.atomic():
        lock_rows(locks[0], Lock(Invoice, invoice.pk + 10**6))


def test_update_row_writes_as_save_does_with_last_modified():
    summary = ingest()
    invoice = invoice_everything(summary)
    before = Invoice.objects.get(pk=invoice.pk).last_modified
    mine = get_row(Invoice, invoice.pk)
    mine.balance -= D("1.25")
    update_row(mine, ["balance", "balance"])
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.balance == invoice.balance - D("1.25")
    assert stored.last_modified == mine.last_modified and stored.last_modified > before


def test_update_where_counts_what_it_wrote():
    message = OutboxMessage.objects.create(task_name="x.y", next_attempt_at="2026-01-01T00:00:00Z")
    assert update_where(OutboxMessage, message.pk, {"status": OutboxStatus.DONE}, last_error="no") == 0
    assert (
        update_where(
            OutboxMessage,
            message.pk,
            {"status": OutboxStatus.PENDING},
            status=OutboxStatus.DONE,
            done_at=timezone.now(),
            last_error="yes",
        )
        == 1
    )
    message.refresh_from_db()
    assert (message.status, message.last_error) == (OutboxStatus.DONE, "yes")


def test_a_compiled_query_answers_as_its_queryset_for_each_value():
    summaries = [worked_example(), ingest()]

    def build(pk):
        return OrderSummary.objects.filter(pk=pk).values_list(
            "currency",
            Coalesce(
                MoneySum("item_summaries__total_line_amount", filter=Q(item_summaries__type="Order Product")), D(0)
            ),
        )

    compiled = CompiledQuery(build, numbers=True)
    for summary in summaries * 2:
        assert compiled.rows(summary.pk) == list(build(summary.pk))
    assert compiled.rows(-1) == []
    with pytest.raises(AssertionError):
        # A query that does not carry the value as a parameter is refused, not run with a stale value.
        CompiledQuery(lambda pk: OrderSummary.objects.filter(pk=1).values_list("pk"), numbers=True).rows(1)


def test_money_sums_are_moneysum_by_key():
    sales = [
        {
            "kind": "sale",
            "method": f"Card {n}",
            "gatewayToken": "tok_visa",
            "last4": "4242",
            "amount": amount,
            "gatewayReference": f"sale_{n}",
        }
        for n, amount in enumerate(["7.30", "3.50", "0.01"])
    ]
    summary = ingest(order_body(payments=sales))
    ops_ids = list(OrderPaymentSummary.objects.filter(order_summary=summary).values_list("pk", flat=True))
    theirs = dict(
        Payment.objects.filter(order_payment_summary_id__in=ops_ids)
        .values("order_payment_summary_id")
        .annotate(total=MoneySum("amount"))
        .values_list("order_payment_summary_id", "total")
    )
    assert len(theirs) == 3 and sorted(theirs.values()) == [D("0.01"), D("3.50"), D("7.30")]
    assert (
        money_sums(Payment, "amount", by="order_payment_summary_id", where={"order_payment_summary_id": ops_ids})
        == theirs
    )
