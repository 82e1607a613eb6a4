"""orders/db.py against Django's own results: update_by_key against QuerySet.update, capped_count against
QuerySet.count, ActiveReasonCodes against the ORM's list. insert_rows and update_rows have theirs in
test_bulk_insert.py and test_update_rows.py."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.db import ActiveReasonCodes, capped_count, reason_codes, update_by_key
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
    keys = ["a", "b'; --", "c \"d\"", "é"]
    answers = {key: {"response_status": 200 + index, "response_body": f'{{"n": "{key}"}}'}
               for index, key in enumerate(keys[:3])}
    done = datetime(2026, 12, 3, 16, 5, 7, 123456, tzinfo=UTC)

    theirs, _ = _records("django-client", keys)
    for key, values in answers.items():
        IdempotencyRecord.objects.filter(client=theirs, key=key).update(**values, completed_at=done)

    ours, _ = _records("our-client", keys)
    _, neighbours = _records("neighbour", keys)  # same keys, another client: left alone
    with CaptureQueriesContext(connection) as queries:
        updated = update_by_key(IdempotencyRecord, where={"client": ours.pk}, key="key", rows=answers,
                                also={"completed_at": done})

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
