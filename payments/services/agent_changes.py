"""A change an agent (or an integration) makes and the money that follows it, as one service.

`submit_agent_change` takes the order summary's lock, reads the funds position, submits the change
through the orders service, works out the refund from that submit's balances (`change_refund`, the same
pure calculation the console's preview shows), and then either releases the refund (a credit memo of
the change's post-fulfillment reductions and one ensure-refunds operation for exactly that amount,
queued when the transaction commits) or records it as waiting for a supervisor, all in one transaction.

An agent's limit is per currency (AgentRefundLimit; a currency without one always needs approval) and
cumulative: the refunds one agent started on one order summary within 24 hours add up. A supervisor
(console.approve_refunds) is never held. Approving a pending refund releases exactly its own amount;
declining needs a reason and leaves the money where it is, to be refunded later with `refund_remaining`
(again subject to the limit).

The API's whole-order cancel goes through the same service with its API client as the user: the refund
is decided, recorded and queued by the same code, but an API key is not an agent, so no limit holds it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeGuard, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from orders.calculations.inputs import AdjustInput, CancelOrderInput, ChangeItemInput
from orders.calculations.plan import ChangeBalances
from orders.errors import InvalidInput, InvalidState, NotFound, PermissionDenied, ServiceError
from orders.funds import FundsPosition
from orders.models import ApiClient, ChangeType, Exchange, ExchangeStatus, Order, OrderSummary
from orders.money import ZERO, round_money, with_tax
from orders.selectors.change_state import get_summary
from orders.services.actor import Actor
from orders.services.adjust import submit_adjust
from orders.services.cancel import submit_cancel
from orders.services.cancel_order import submit_cancel_order
from orders.services.change_flow import ChangeResult
from orders.services.simple_return import submit_return
from payments.funds import POST_FULFILLMENT_REDUCTION, funds_position
from payments.models import (
    COUNTED_STATUSES,
    FINAL_OPERATION_STATUSES,
    AgentRefund,
    AgentRefundKind,
    AgentRefundLimit,
    AgentRefundStatus,
    BackgroundOperation,
    CreditMemo,
    OperationType,
)

from .change_invoice_create import create_invoice_from_change_orders
from .credit_memo_create import create_credit_memo
from .ensure_refunds import submit_ensure_refunds
from .locks import lock_summary
from .operation_input import EnsureRefundsInput
from .process_exceptions import raise_payment_exception

# The console's permission to approve refunds above the agent limit (console.models.ConsolePermissions).
APPROVE_REFUNDS = "console.approve_refunds"
# Refunds one agent started on one order summary within this window count together against the limit.
LIMIT_WINDOW = timedelta(hours=24)

CANCEL, RETURN, ADJUST = AgentRefundKind.CANCEL, AgentRefundKind.RETURN, AgentRefundKind.ADJUST
CANCEL_ORDER = AgentRefundKind.CANCEL_ORDER


# --- The one calculation preview and submit share -----------------------------------------------------


@dataclass(frozen=True)
class ChangeRefund:
    """What a change gives back: `credit_amount` through a credit memo of its post-fulfillment reductions,
    `excess_amount` as captured funds it leaves beyond what is owed. Only what this change adds: money
    already in excess before it (a declined refund, one waiting for approval) is not counted again."""

    currency: str
    new_grand_total: Decimal
    credit_amount: Decimal
    excess_amount: Decimal
    fee_with_tax: Decimal

    @property
    def amount(self) -> Decimal:
        return self.credit_amount + self.excess_amount


def change_refund(summary: OrderSummary, balances: ChangeBalances, before: FundsPosition) -> ChangeRefund:
    """Pure: the change's balances (from its preview or its submit) and the funds position before it."""
    currency = summary.currency
    fee_with_tax = with_tax(balances.total_fee_amount, balances.total_fee_tax_amount, summary.tax_locale_type)
    # Refundable = excess + what is owed back; what this change adds to the latter is its credit memo.
    credit_after = balances.total_refundable_amount - balances.total_excess_funds_amount
    credit = max(ZERO, credit_after - before.outstanding_credit)
    excess = max(ZERO, balances.total_excess_funds_amount - before.total_excess_funds_amount)
    return ChangeRefund(
        currency=currency,
        new_grand_total=round_money(summary.grand_total_amount - balances.grand_total_amount + fee_with_tax, currency),
        credit_amount=round_money(credit, currency),
        excess_amount=round_money(excess, currency),
        fee_with_tax=round_money(fee_with_tax, currency),
    )


# --- Limits -------------------------------------------------------------------------------------------------


# What an agent change takes: change items (cancel, return), an AdjustInput, or the whole-order cancel's input.
ChangeRequest = Sequence[ChangeItemInput] | AdjustInput | CancelOrderInput


def is_api_client(user: Actor) -> TypeGuard[ApiClient]:
    return isinstance(user, ApiClient)


def can_approve(user: Actor) -> bool:
    return _is_person(user) and user.has_perm(APPROVE_REFUNDS)


def refund_limit(currency: str) -> Decimal | None:
    """The agent limit in `currency`; None when the currency has none (every refund waits)."""
    return AgentRefundLimit.objects.filter(currency=currency).values_list("amount", flat=True).first()


def started_within_window(summary_id: int, user: Actor, *, now: datetime | None = None) -> Decimal:
    """What `user` started refunding on this order summary in the last 24 hours (declined ones aside)."""
    if not _is_person(user):
        return ZERO
    since = (now or timezone.now()) - LIMIT_WINDOW
    amounts = AgentRefund.objects.filter(
        order_summary_id=summary_id,
        requested_by=user,
        status__in=COUNTED_STATUSES,
        created_at__gte=since,
    ).values_list("amount", flat=True)
    return sum(amounts, ZERO)


@dataclass(frozen=True)
class LimitCheck:
    needs_approval: bool
    limit: Decimal | None
    started: Decimal  # what the user already started on this summary within the window


def check_limit(summary: OrderSummary, user: Actor, amount: Decimal) -> LimitCheck:
    # An integration is not an agent: the limit is a check on people (docs/agent-refunds.md).
    if amount <= 0 or can_approve(user) or is_api_client(user):
        return LimitCheck(needs_approval=False, limit=None, started=ZERO)
    limit = refund_limit(summary.currency)
    started = started_within_window(summary.pk, user)
    needs = limit is None or started + amount > limit
    return LimitCheck(needs_approval=needs, limit=limit, started=started)


# --- Submitting a change and its refund ----------------------------------------------------------------------


@dataclass(frozen=True)
class AgentChangeOutcome:
    result: ChangeResult
    change_order_ids: tuple[int, ...]
    refund: AgentRefund | None  # None when nothing goes back

    @property
    def waits_for_approval(self) -> bool:
        return self.refund is not None and self.refund.status == AgentRefundStatus.PENDING

    @property
    def refund_queued(self) -> bool:
        return self.refund is not None and self.refund.operation_id is not None


def _submit(
    kind: str,
    summary_id: int | str,
    request: ChangeRequest,
    *,
    user: Actor,
    expected_version: int | None,
    cancel_allocated: bool,
    channel_id: int | None,
) -> ChangeResult:
    # The kind says which input the caller built (the console's wizard, the API's whole-order cancel).
    if kind == ADJUST:
        return submit_adjust(summary_id, cast(AdjustInput, request), actor=user, expected_version=expected_version)
    if kind == CANCEL_ORDER:
        return submit_cancel_order(
            summary_id,
            cast(CancelOrderInput, request),
            actor=user,
            expected_version=expected_version,
            channel_id=channel_id,
        )
    if kind == CANCEL:
        return submit_cancel(
            summary_id,
            cast(Sequence[ChangeItemInput], request),
            actor=user,
            expected_version=expected_version,
            cancel_allocated=cancel_allocated,
        )
    if kind == RETURN:
        return submit_return(
            summary_id, cast(Sequence[ChangeItemInput], request), actor=user, expected_version=expected_version
        )
    raise InvalidInput(f"'{kind}' is not a change an agent can make.", field="kind")


def _reason_of(request: ChangeRequest) -> str:
    if isinstance(request, AdjustInput):
        first = request.items[0] if request.items else None
        parts = [first.reason, first.description] if first else []
    elif isinstance(request, Sequence) and request and isinstance(request[0], ChangeItemInput):
        parts = [request[0].reason, request[0].reason_text]
    else:  # CancelOrderInput
        parts = [getattr(request, "reason", ""), getattr(request, "reason_text", "")]
    return " · ".join(part for part in parts if part)[:255]


def change_order_ids_of(result: ChangeResult) -> tuple[int, ...]:
    ids = [pk for _, pk in result.change_orders]
    if result.fee_change_order_id:
        ids.append(result.fee_change_order_id)
    return tuple(ids)


def _credit_change_order_ids(change_order_ids: Sequence[int]) -> list[int]:
    """The post-fulfillment reductions among the change orders: what a credit memo is made of."""
    return list(
        Order.objects.filter(POST_FULFILLMENT_REDUCTION, pk__in=change_order_ids, grand_total_amount__lt=0)
        .exclude(change_type=ChangeType.FEE)
        .order_by("id")
        .values_list("pk", flat=True)
    )


def submit_agent_change(
    summary_id: int | str,
    kind: str,
    request: ChangeRequest,
    *,
    user: Actor,
    expected_version: int | None = None,
    cancel_allocated: bool = False,
    start_refund: bool | None = None,
    channel_id: int | None = None,
) -> AgentChangeOutcome:
    """Submit the change and start (or hold for approval) the refund that follows it, in one transaction.

    `request` is what the orders service takes: change items for cancel and return, an AdjustInput for
    adjust, the cancel-order input for a whole-order cancel. `cancel_allocated` (cancel): units on
    fulfillment orders not yet picked may be canceled too. `start_refund`: whether a refund within the
    limit is started (credit memo, ensure refunds); None follows OMS_AUTO_CREDIT_AND_REFUND. Off, the refund
    is still recorded (it counts towards the limit) and an integration runs ensure refunds itself.

    `user` is a person (the console, the demo loader) or an ApiClient (the API's whole-order cancel; no
    limit applies). `channel_id`: a storefront key sees its own channel's summaries only (another's is
    NotFound, as a missing one). The refund's operation is queued through the outbox in this transaction:
    committed with the change, or not at all."""
    with transaction.atomic():
        # An unmanaged summary is refused by the change's own calculation, with its message.
        summary = get_summary(summary_id, lock=True, channel_id=channel_id)
        before = funds_position(summary)
        result = _submit(
            kind,
            summary.pk,
            request,
            user=user,
            expected_version=expected_version,
            cancel_allocated=cancel_allocated,
            channel_id=channel_id,
        )
        change_order_ids = change_order_ids_of(result)
        money = change_refund(summary, result.balances, before)
        if money.amount <= 0:
            return AgentChangeOutcome(result=result, change_order_ids=change_order_ids, refund=None)
        summary.refresh_from_db()
        refund = record_refund(
            summary,
            kind,
            user=user,
            change_order_ids=change_order_ids,
            credit_ids=_credit_change_order_ids(change_order_ids) if money.credit_amount > 0 else [],
            credit=money.credit_amount,
            excess=money.excess_amount,
            reason=_reason_of(request),
            start_refund=start_refund,
        )
    return AgentChangeOutcome(result=result, change_order_ids=change_order_ids, refund=refund)


def record_refund(
    summary: OrderSummary,
    kind: str,
    *,
    user: Actor,
    change_order_ids: Sequence[int],
    credit_ids: Sequence[int],
    credit: Decimal,
    excess: Decimal,
    reason: str,
    start_refund: bool | None = None,
    credit_memo: CreditMemo | None = None,
) -> AgentRefund:
    """Under the summary's lock: the refund, released at once or pending a supervisor. `credit_memo`: the
    credit part is already on that memo (an exchange's), so releasing it refunds the memo, makes none."""
    amount = credit + excess
    limit = check_limit(summary, user, amount)
    refund = AgentRefund.objects.create(
        order_summary=summary,
        kind=kind,
        change_order_ids=list(change_order_ids),
        credit_memo=credit_memo,
        credit_change_order_ids=list(credit_ids),
        amount=amount,
        credit_amount=credit,
        excess_amount=excess,
        currency=summary.currency,
        reason=reason,
        requested_by=user if _is_person(user) else None,
        requested_by_client=user if is_api_client(user) else None,
        status=AgentRefundStatus.PENDING if limit.needs_approval else AgentRefundStatus.RELEASED,
    )
    if not limit.needs_approval:
        _release(summary, refund, user=user, start_refund=start_refund)
    return refund


def _is_person(user: Actor) -> TypeGuard[User]:
    # An ApiClient is authenticated too (DRF asks), but it is not a user.
    return user is not None and getattr(user, "is_authenticated", False) and not is_api_client(user)


def _release(summary: OrderSummary, refund: AgentRefund, *, user: Actor, start_refund: bool | None = None) -> None:
    """The credit memo (made now) and one ensure-refunds operation for exactly the refund's amount, run by
    a worker once the transaction commits. A step that cannot be taken raises a process exception; the
    change and the refund record stay."""
    if not (settings.OMS_AUTO_CREDIT_AND_REFUND if start_refund is None else start_refund):
        # The automation is off: the integration runs ensure refunds itself (DOMAIN.md §4.3).
        return
    memo_id = None
    if refund.credit_memo_id is not None and not refund.credit_change_order_ids:
        memo_id = refund.credit_memo_id  # made before (an exchange's memo, its balance left)
    elif refund.credit_change_order_ids:
        try:
            with transaction.atomic():
                refund.credit_memo = create_credit_memo(summary.pk, list(refund.credit_change_order_ids))
        except ServiceError as exc:
            raise_payment_exception(
                summary,
                message=f"The credit memo could not be made: {exc.message}",
                description=str(exc.as_error_list()),
                attached_to=refund,
            )
        else:
            memo_id = refund.credit_memo.pk
    excess = refund.excess_amount if refund.excess_amount > 0 else ZERO
    if memo_id is not None or excess > 0:
        data = EnsureRefundsInput(
            credit_memo_id=memo_id, excess_funds_amount=excess, invoices_to_pay=tuple(_fee_invoices(summary, refund))
        )
        try:
            with transaction.atomic():
                refund.operation = submit_ensure_refunds(
                    summary.pk,
                    data,
                    user=user if _is_person(user) else None,
                    client=user if is_api_client(user) else None,
                )
        except ServiceError as exc:
            raise_payment_exception(
                summary,
                message=f"Ensure refunds could not be submitted: {exc.message}",
                description=str(exc.as_error_list()),
                attached_to=refund,
            )
    refund.save(update_fields=["credit_memo", "operation"])


def _fee_invoices(summary: OrderSummary, refund: AgentRefund) -> list[int]:
    """The invoices of the refund's Fee change orders (a restocking fee of a received return order), made
    now: ensure refunds pays them out of the refund, so the customer gets the reduction less the fees."""
    if refund.kind != RETURN or len(refund.change_order_ids) < 2:
        return []  # a return's fee comes as a second change order: nothing else has one (and no query)
    fee_ids = list(
        Order.objects.filter(pk__in=list(refund.change_order_ids), change_type=ChangeType.FEE, grand_total_amount__gt=0)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if not fee_ids:
        return []
    try:
        with transaction.atomic():
            return [create_invoice_from_change_orders(summary.pk, fee_ids).pk]
    except ServiceError as exc:
        raise_payment_exception(
            summary,
            message=f"The fee invoice could not be made: {exc.message}",
            description=str(exc.as_error_list()),
            attached_to=refund,
        )
        return []


# --- Deciding a pending refund, refunding what remains ----------------------------------------------------------


def decide_refund(refund_id: int, *, approve: bool, user: User, reason: str = "") -> AgentRefund:
    """A supervisor approves (exactly this refund's amount is released) or declines (with a reason:
    nothing is refunded, the money stays for a later "Refund remaining") a pending refund."""
    if not can_approve(user):
        raise PermissionDenied("Only a supervisor can approve or decline a refund above the agent limit.")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput("Say why the refund is declined: the agent and the timeline show it.", field="reason")
    summary_id = AgentRefund.objects.filter(pk=refund_id).values_list("order_summary_id", flat=True).first()
    if summary_id is None:
        raise NotFound(f"Refund {refund_id} does not exist.")
    with transaction.atomic():
        summary = lock_summary(summary_id, managed=False)
        refund = AgentRefund.objects.select_for_update().get(pk=refund_id)
        if refund.status != AgentRefundStatus.PENDING:
            raise InvalidState(f"This refund was already {refund.get_status_display().lower()}.")
        refund.status = AgentRefundStatus.APPROVED if approve else AgentRefundStatus.DECLINED
        refund.decided_by = user
        refund.decided_at = timezone.now()
        refund.decline_reason = "" if approve else reason[:2000]
        refund.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        if approve:
            _release(summary, refund, user=user)
    return refund


@dataclass(frozen=True)
class RemainingRefund:
    """What is left to refund on an order summary that nobody is refunding, less what waits for approval:
    the balance of a credit memo whose refund was declined or failed (`credit_memo_id`: refunding it is
    refunding that memo), else the post-fulfillment reductions not on a credit memo; and captured funds in
    excess."""

    currency: str
    credit_change_order_ids: tuple[int, ...]
    credit_amount: Decimal
    excess_amount: Decimal
    refund_running: bool  # an ensure-refunds operation has not finished: its amount is not settled yet
    credit_memo_id: int | None = None

    @property
    def amount(self) -> Decimal:
        return self.credit_amount + self.excess_amount

    @property
    def can_refund(self) -> bool:
        return self.amount > 0 and not self.refund_running


def remaining_amounts(
    funds: FundsPosition,
    memos: Sequence[tuple[int, Decimal]],
    pending: Sequence[AgentRefund],
    currency: str,
    *,
    spoken_for: Decimal = ZERO,
) -> tuple[Decimal, Decimal, int | None]:
    """Pure: (credit, excess, credit memo) left to refund. `memos` are the summary's (id, balance). A memo
    with a balance that no pending refund holds is owed to the customer (its refund was declined, or the
    card refused it and gave it back): it is refunded first, one memo a time, since ensure refunds takes one
    memo. Otherwise the credit is what the post-fulfillment reductions not on a memo owe (the outstanding
    credit less the memos' balances), less `spoken_for` (credit an exchange waits on) and what pending
    refunds hold: a pending refund holds its memo when it has one, else its change orders' credit."""
    held_memos = {refund.credit_memo_id for refund in pending if refund.credit_memo_id is not None}
    held_credit = sum((refund.credit_amount for refund in pending if refund.credit_memo_id is None), ZERO)
    held_excess = sum((refund.excess_amount for refund in pending), ZERO)
    excess = round_money(max(ZERO, funds.total_excess_funds_amount - held_excess), currency)
    owed_memos = sorted((pk, balance) for pk, balance in memos if balance > 0 and pk not in held_memos)
    if owed_memos:
        memo_id, balance = owed_memos[0]
        return round_money(balance, currency), excess, memo_id
    memo_balances = sum((balance for _, balance in memos), ZERO)
    credit = max(ZERO, funds.outstanding_credit - memo_balances - spoken_for - held_credit)
    return round_money(credit, currency), excess, None


def remaining_refund(summary: OrderSummary) -> RemainingRefund:
    pending = list(AgentRefund.objects.filter(order_summary=summary, status=AgentRefundStatus.PENDING))
    held_ids = {pk for refund in pending for pk in refund.credit_change_order_ids}
    # A receipt of a return order an exchange waits for: its credit pays the replacement when the last units
    # arrive (orders.services.exchange_receipt), it is not the agent's to refund (read in the same query).
    awaited = Exists(
        Exchange.objects.filter(
            status=ExchangeStatus.AWAITING_RETURN, return_order__lines__change_order_item__order_id=OuterRef("pk")
        )
    )
    rows = list(
        Order.objects.filter(
            POST_FULFILLMENT_REDUCTION, order_summary=summary, credit_memo_link__isnull=True, grand_total_amount__lt=0
        )
        .exclude(pk__in=held_ids)
        .annotate(awaited=awaited)
        .order_by("id")
        .values_list("pk", "grand_total_amount", "awaited")
    )
    memos = list(CreditMemo.objects.filter(order_summary=summary).values_list("pk", "balance"))
    awaited_credit = sum((-total for _, total, waits in rows if waits), ZERO)
    credit, excess, memo_id = remaining_amounts(
        funds_position(summary), memos, pending, summary.currency, spoken_for=awaited_credit
    )
    running = (
        BackgroundOperation.objects.filter(
            order_summary=summary,
            type=OperationType.ENSURE_REFUNDS,
        )
        .exclude(status__in=FINAL_OPERATION_STATUSES)
        .exists()
    )
    return RemainingRefund(
        currency=summary.currency,
        credit_change_order_ids=() if memo_id is not None else tuple(pk for pk, _, waits in rows if not waits),
        credit_amount=credit,
        excess_amount=excess,
        refund_running=running,
        credit_memo_id=memo_id,
    )


def refund_remaining(summary_id: int, *, user: Actor, reason: str = "") -> AgentRefund:
    """Refund what remains (after a declined refund, or one that went out in part), subject to the limit. A
    memo left with a balance is refunded from that memo (no new one); the rest takes another request."""
    with transaction.atomic():
        summary = lock_summary(summary_id)
        remaining = remaining_refund(summary)
        if remaining.refund_running:
            raise InvalidState(
                "A refund is still running on this order: wait until it finishes, then refund what remains."
            )
        if remaining.amount <= 0:
            raise InvalidState("Nothing is left to refund on this order.")
        return record_refund(
            summary,
            AgentRefundKind.REMAINING,
            user=user,
            change_order_ids=(),
            credit_ids=remaining.credit_change_order_ids,
            credit=remaining.credit_amount,
            excess=remaining.excess_amount,
            reason=(reason or "").strip()[:255] or "Refund of what remained on the order",
            credit_memo=CreditMemo.objects.get(pk=remaining.credit_memo_id) if remaining.credit_memo_id else None,
        )


def pending_refunds(*, queue_filter: Q | None = None) -> QuerySet[AgentRefund]:
    """The queue of refunds waiting for a supervisor, oldest first."""
    queryset = AgentRefund.objects.filter(status=AgentRefundStatus.PENDING)
    if queue_filter is not None:
        queryset = queryset.filter(queue_filter)
    return queryset.select_related("order_summary", "requested_by").order_by("created_at", "id")


def pending_refund_count() -> int:
    return AgentRefund.objects.filter(status=AgentRefundStatus.PENDING).count()
