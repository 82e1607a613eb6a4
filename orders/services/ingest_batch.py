"""Ingest a batch of storefront orders (POST /commerce/orders/batch): each order on its own, under its own key.

Every order carries its own Idempotency-Key, in the single ingest's namespace (same client, same
fingerprint of the order posted alone), so an order first sent alone and retried in a batch, or the
other way round, is replayed, not ingested twice. Two transactions for the whole batch: the keys are
claimed and committed first, so a concurrent retry of any of them sees its claim; then the orders that
pass every check are written together (orders.services.ingest.ingest_orders, one insert per table for all
of them), their answers kept with one update and the keys of the others freed, in the same commit.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from orders.db import insert_rows
from orders.errors import ServiceError
from orders.idempotency_keys import claim, record_answers, replayable_record
from orders.ingest_input import OrderInput
from orders.models import ApiClient, IdempotencyRecord
from orders.services.ingest import IngestResult, ingest_orders

# Errors are answered with their field relative to the order; the caller places them in its envelope.
ErrorList = list[dict[str, Any]]


@dataclass(frozen=True)
class BatchOrder:
    """One order of a batch: its key, the fingerprint the key is bound to, and the order.

    `order` is the typed input, or the errors its body failed validation with. Those errors are answered
    only once the key is claimed: a replay, or a key reused or still in flight, answers as it would for
    a valid body."""

    key: str
    request_hash: str
    order: OrderInput | ErrorList


@dataclass(frozen=True)
class Answered:
    """The order is written (`result`) or was already (`result` None: replayed); `answer` is what its key
    keeps, the single ingest's answer."""

    answer: dict[str, Any]
    result: IngestResult | None = None


@dataclass(frozen=True)
class Refused:
    errors: ErrorList
    output: dict[str, Any] | None = None


BatchOutcome = Answered | Refused


def ingest_batch(
    orders: Sequence[BatchOrder],
    *,
    client: ApiClient,
    key_path: str,
    answer_of: Callable[[IngestResult], dict[str, Any]],
) -> list[BatchOutcome]:
    """Each order's outcome, in the order given.

    `key_path` is the resource the keys are bound to (POST /commerce/orders); `answer_of` gives the answer
    a written order's key keeps (status 201), the one that resource would have answered.
    """
    outcomes: list[BatchOutcome | None] = [None] * len(orders)
    with transaction.atomic():
        pending = _claim_keys(client, key_path, orders, outcomes)
    try:
        # One transaction for all the orders: those that pass every check are written together, the
        # others answer their errors and free their keys.
        with transaction.atomic():
            valid: list[tuple[int, OrderInput]] = []
            for index in pending:
                order = orders[index].order
                if isinstance(order, OrderInput):
                    valid.append((index, order))
                else:
                    outcomes[index] = Refused(order)
            written = ingest_orders([order for _, order in valid], client=client)
            answers: dict[str, tuple[int, dict[str, Any]]] = {}
            for (index, _), outcome in zip(valid, written, strict=True):
                if isinstance(outcome, ServiceError):
                    outcomes[index] = Refused(outcome.as_error_list(), outcome.output)
                    continue
                answer = answer_of(outcome)
                answers[orders[index].key] = (201, answer)
                outcomes[index] = Answered(answer, outcome)
            record_answers(client, answers)
            freed = [orders[index].key for index in pending if orders[index].key not in answers]
            if freed:
                IdempotencyRecord.objects.filter(client=client, key__in=freed).delete()
    except BaseException:
        IdempotencyRecord.objects.filter(client=client, key__in=[orders[index].key for index in pending]).delete()
        raise
    answered: list[BatchOutcome] = []
    for each in outcomes:
        assert each is not None  # every order is answered: replayed or refused at its claim, or above
        answered.append(each)
    return answered


def _claim_keys(
    client: ApiClient, key_path: str, orders: Sequence[BatchOrder], outcomes: list[BatchOutcome | None]
) -> list[int]:
    """Claim every order's key: the indexes of the orders this request now holds, in order; the others
    get their outcome (a replay or a refusal).

    Keys never seen are claimed with one insert for all; a key seen before (a retry) or repeated in the
    batch, or all of them if another request claims one meanwhile, goes through `claim` one by one.
    """
    seen = set(
        IdempotencyRecord.objects.filter(client=client, key__in=[order.key for order in orders]).values_list(
            "key", flat=True
        )
    )
    fresh: dict[str, int] = {}
    one_by_one: list[int] = []
    for index, order in enumerate(orders):
        if order.key in seen or order.key in fresh:
            one_by_one.append(index)
        else:
            fresh[order.key] = index
    held: list[int] = []
    try:
        with transaction.atomic():
            insert_rows(
                [
                    IdempotencyRecord(
                        client=client,
                        key=orders[index].key,
                        method="POST",
                        path=key_path[:500],
                        request_hash=orders[index].request_hash,
                    )
                    for index in fresh.values()
                ]
            )
        held += fresh.values()
    except IntegrityError:
        one_by_one += fresh.values()
    for index in sorted(one_by_one):
        if _claim_alone(client, key_path, orders[index], index, outcomes):
            held.append(index)
    return sorted(held)


def _claim_alone(
    client: ApiClient, key_path: str, order: BatchOrder, index: int, outcomes: list[BatchOutcome | None]
) -> bool:
    """Claim one key; False when the order is answered already (its first answer replayed, or refused)."""
    try:
        existing = claim(client, order.key, order.request_hash, method="POST", path=key_path)
        if existing is not None:
            replayable = replayable_record(existing, order.request_hash, field="idempotencyKey")
            if replayable is not None:
                outcomes[index] = Answered(json.loads(replayable.response_body))
                return False
    except ServiceError as exc:
        outcomes[index] = Refused(exc.as_error_list())
        return False
    return True
