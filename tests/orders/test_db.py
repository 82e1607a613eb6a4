"""orders/db.py against Django's own results: update_by_key against QuerySet.update, capped_count against
QuerySet.count, ActiveReasonCodes against the ORM's list, CompiledQuery against
the queryset it compiles. insert_rows and update_rows have theirs in
test_bulk_insert.py and test_update_rows.py."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext

from orders.db import ActiveReasonCodes, CompiledQuery, capped_count, reason_codes, update_by_key
from orders.models import ApiClient, IdempotencyRecord, ReasonCode, SalesChannel

pytestmark = pytest.mark.django_db

FIELDS = ("key", "response_status", "response_body", "completed_at", "method", "request_hash")


def _records(client_name: str, keys: list[str]) -> tuple[ApiClient, list[IdempotencyRecord]]:
    client = ApiClient.objects.create(name=client_name, key_prefix=client_name[:8], key_hash=client_name * 2)
    records = IdempotencyRecord.objects.bulk_create(
        IdempotencyRecord(client=client, key=key, method="POST", path="/p", request_hash="h") for key in keys
    )
    return client, records


def _rows(client) -> list[tuple]:
    return list(IdempotencyRecord.objects.filter(client=client).order_by("key").values_list(*FIELDS))


def test_update_by_key_writes_what_an_update_per_key_writes():
    keys = ["a", "b'; --", 'c "d"', "é"]
    answers = {
        key: {"response_status": 200 + index, "response_body": f'{{"n": "{key}"}}'}
        for index, key in enumerate(keys[:3])
    }
    done = datetime(2026, 12, 3, 16, 5, 7, 123456, tzinfo=UTC)

    theirs, _ = _records("django-client", keys)
    for key, values in answers.items():
        IdempotencyRecord.objects.filter(client=theirs, key=key).update(**values, completed_at=done)

    ours, _ = _records("our-client", keys)
    _, neighbours = _records("neighbour", keys)  # same keys, another client: left alone
    with CaptureQueriesContext(connection) as queries:
        updated = update_by_key(
            IdempotencyRecord, where={"client": ours.pk}, key="key", rows=answers, also={"completed_at": done}
        )

    assert updated == 3
    assert len(queries.captured_queries) == 1
    assert _rows(ours) == _rows(theirs)
    assert _rows(ours)[0] == ("a", 200, '{"n": "a"}', done, "POST", "h")
    assert _rows(ours)[3] == ("é", None, "", None, "POST", "h")
    assert all(row[1] is None for row in _rows(neighbours[0].client))
    assert update_by_key(IdempotencyRecord, where={"client": ours.pk}, key="key", rows={}) == 0


def test_capped_count_is_the_count_up_to_the_limit():
    SalesChannel.objects.bulk_create(SalesChannel(name=f"capped-{number}") for number in range(5))
    queryset = SalesChannel.objects.filter(name__startswith="capped-").order_by("-id")
    exact = queryset.count()
    assert exact == 5
    for limit in (0, 1, 4, 5, 6, 100):
        assert capped_count(queryset, limit) == min(exact, limit)
    assert capped_count(queryset.filter(name__endswith="-1"), 10) == 1


def test_active_reason_codes_are_the_active_names():
    ReasonCode.objects.create(name="Retired for the test", is_active=False, sort_order=90)
    ReasonCode.objects.create(name="Added for the test", is_active=True, sort_order=91)
    SalesChannel.objects.create(name="codes")
    read = SalesChannel.objects.filter(name="codes").annotate(codes=ActiveReasonCodes()).values_list("codes", flat=True)
    expected = frozenset(ReasonCode.objects.filter(is_active=True).values_list("name", flat=True))
    assert "Added for the test" in expected and "Retired for the test" not in expected
    assert reason_codes(read.get()) == expected
    ReasonCode.objects.update(is_active=False)
    assert reason_codes(read.get()) == frozenset()


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


def test_compiled_query_gives_the_instances_the_queryset_gives():
    channel = SalesChannel.objects.create(name="compiled")
    bound = ApiClient.objects.create(
        name="bound",
        key_prefix="b",
        key_hash="hash-bound",
        sales_channel=channel,
        scopes=["orders:read", "orders:write"],
    )
    ApiClient.objects.create(name="free", key_prefix="f", key_hash="hash-free", scopes=["all"])
    ApiClient.objects.filter(pk=bound.pk).update(last_used_at=datetime(2026, 12, 3, 16, 0, tzinfo=UTC))

    def build(key_hash):
        return ApiClient.objects.select_related("sales_channel").filter(key_hash=key_hash)

    compiled = CompiledQuery(build)
    for key_hash in ("hash-bound", "hash-free", "hash-bound", "no such hash"):
        theirs = list(build(key_hash))
        with CaptureQueriesContext(connection) as queries:
            ours = compiled.instances(key_hash)
        assert len(queries.captured_queries) == 1
        assert [_fields(obj) for obj in ours] == [_fields(obj) for obj in theirs]
        for mine, django in zip(ours, theirs, strict=True):
            assert type(mine) is ApiClient and mine._state.db == django._state.db and not mine._state.adding
            assert ApiClient.sales_channel.is_cached(mine) and ApiClient.sales_channel.is_cached(django)
            with CaptureQueriesContext(connection) as queries:
                channel_of = mine.sales_channel
            assert len(queries.captured_queries) == 0
            assert (channel_of and _fields(channel_of)) == (django.sales_channel and _fields(django.sales_channel))
    assert compiled.instances("hash-bound")[0].scopes == ["orders:read", "orders:write"]
    assert compiled.instances("hash-free")[0].sales_channel is None


def test_compiled_query_takes_ids_and_keeps_annotations():
    first, second = SalesChannel.objects.create(name="by id 1"), SalesChannel.objects.create(name="by id 2")
    ApiClient.objects.create(name="c1", key_prefix="1", key_hash="h1", sales_channel=first, scopes=["all"])
    ApiClient.objects.create(name="c2", key_prefix="2", key_hash="h2", sales_channel=first, scopes=["all"])

    def build(pk, name_length):
        return (
            SalesChannel.objects.filter(pk=pk, name__regex=r"^by id")
            .annotate(clients=Count("api_clients"), shifted=F("pk") + name_length)
            .order_by("pk")
        )

    compiled = CompiledQuery(build, numbers=True)
    for pk in (first.pk, second.pk, second.pk + 1000):
        theirs = list(build(pk, 5))
        ours = compiled.instances(pk, 5)
        assert [_fields(obj) for obj in ours] == [_fields(obj) for obj in theirs]
        assert [(obj.clients, obj.shifted) for obj in ours] == [(obj.clients, obj.shifted) for obj in theirs]
    assert [(obj.clients, obj.shifted) for obj in compiled.instances(first.pk, 1)] == [(2, first.pk + 1)]
