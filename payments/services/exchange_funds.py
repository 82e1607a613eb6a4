"""The money of an exchange (issue 15; docs/exchanges.md): the original's credit pays the replacement.

Called by orders.services.exchanges (through the payments link, orders/payments_link.py) inside its
transaction, the original summary locked, once the Return change order and the replacement summary are written:

1. The Return change order goes on a credit memo of the original, as any return does.
2. `transferred_amount` of it moves to the replacement: on the original, refunds settled at once (no gateway:
   the funds stay with us) that settle that part of the memo, taken from the original's payments as
   ensure-refunds takes them (§3.8); on the replacement, a sale of the same amount on each of the same
   payment methods (token and reference copied, so a later refund there goes back to the same card).
   Every cent leaves one ledger exactly as it enters the other: net captured falls on the original by what
   rises on the replacement, and both summaries keep `check_money`'s invariant.
3. `amount_to_charge` (a dearer replacement) becomes an authorization on the original card, sent to the
   gateway after the commit (`authorize_exchange_charge`); the replacement's invoice captures it when it
   ships, like any order's.
4. `amount_to_refund` (a cheaper replacement) is what stays on the memo: refunded to the original card by
   ensure-refunds after the commit (when OMS_AUTO_CREDIT_AND_REFUND is on).
"""

from collections import defaultdict
from collections.abc import Hashable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders import outbox
from orders.calculations.exchange import exchange_amounts
from orders.errors import InvalidState
from orders.models import Exchange, OrderSummary
from orders.money import ZERO, round_money
from payments.allocation import InsufficientFunds, Source, exact_else_smallest_sufficient, plan_refunds
from payments.funds import funds_position
from payments.gateway import GatewayOutcome, GatewayRequest
from payments.models import (
    AgentRefundKind,
    AuthorizationStatus,
    CreditMemo,
    CreditMemoChangeOrder,
    InteractionType,
    OrderPaymentSummary,
    Payment,
    PaymentAuthorization,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundStatus,
)

from .agent_changes import record_refund
from .credit_memo_create import create_credit_memo
from .gateway_calls import log_call, record_answer, send_logged
from .locks import bump_version, lock_payment_summaries, lock_summary
from .movements import update_rows
from .payment_funds import take_funds
from .process_exceptions import raise_payment_exception


def fund_exchange(exchange: Exchange) -> bool:
    """False when the difference has no card to go on (a waiting exchange completed on fewer units than
    expected, on an order paid without a card token): a Payment process exception on the replacement says so
    and its hold stays until a person sorts the payment out."""
    original, replacement = exchange.original_summary, _replacement(exchange)
    change_order_ids = _return_change_orders(exchange)
    if exchange.return_order_id is not None:
        change_order_ids = _leave_out_credited(exchange, change_order_ids)
    memo = create_credit_memo(original.pk, change_order_ids) if change_order_ids else None
    moved = _move_credit(exchange, memo) if memo is not None and exchange.transferred_amount > 0 else []
    if exchange.amount_to_charge > 0:
        if card_to_charge(original) is None:
            raise_payment_exception(
                replacement,
                attached_to=replacement,
                message=f"The exchange difference of {exchange.amount_to_charge} {exchange.currency} has no card "
                "to be charged to: the original order was paid without a card token.",
                description="Ask the customer for a payment method, then release the hold.",
            )
            outbox.enqueue("payments.tasks.settle_order_summary", replacement.pk)
            return False
        authorization = _authorization_for_difference(exchange, moved)
        outbox.enqueue("payments.tasks.authorize_exchange_charge", authorization.pk)
    if memo is not None and exchange.amount_to_refund > 0:
        _refund_difference(exchange, memo)
    outbox.enqueue("payments.tasks.settle_order_summary", replacement.pk)
    return True


def _replacement(exchange: Exchange) -> OrderSummary:
    replacement = exchange.exchange_summary
    assert replacement is not None, "an exchange is funded once its replacement is written (orders.services.exchanges)"
    return replacement


def _ops_id(key: Hashable) -> int:
    """An allocation's key: the id of the payment summary (or payment) the Source was made of."""
    assert isinstance(key, int), key
    return key


def _return_change_orders(exchange: Exchange) -> list[int]:
    """The Return change orders whose credit the exchange uses: its one, or those its return order's receipts
    wrote (a receipt in parts writes one each)."""
    if exchange.return_order_id is not None:
        from orders.services.exchange_receipt import return_change_order_ids

        return return_change_order_ids(exchange.return_order_id)
    return [exchange.return_change_order_id] if exchange.return_change_order_id is not None else []


def _leave_out_credited(exchange: Exchange, change_order_ids: list[int]) -> list[int]:
    """A waiting exchange's receipts whose Return change order an integration put on a credit memo itself
    (`create-credit-memo` between two receipts): that credit is the integration's, refunded through its memo,
    so the exchange is paid by the others only. Its amounts, computed on every receipt
    (orders.services.exchange_receipt), are worked out again on the credit left, the same calculation: the
    replacement's part no credit pays is charged, as for units that did not come back in good condition."""
    credited = dict(
        CreditMemoChangeOrder.objects.filter(change_order_id__in=change_order_ids).values_list(
            "change_order_id", "change_order__grand_total_amount"
        )
    )
    if not credited:
        return change_order_ids
    original = exchange.original_summary
    position = funds_position(original)
    amounts = exchange_amounts(
        exchange.returned_value + sum(credited.values(), ZERO),
        min(position.total_refundable_amount, position.net_captured),
        exchange.replacement_total,
        original.currency,
    )
    exchange.returned_value = amounts.returned_value
    exchange.transferred_amount = amounts.transferred
    exchange.amount_to_charge = amounts.to_charge
    exchange.amount_to_refund = amounts.to_refund
    exchange.save(update_fields=["returned_value", "transferred_amount", "amount_to_charge", "amount_to_refund"])
    return [pk for pk in change_order_ids if pk not in credited]


def _refund_difference(exchange: Exchange, memo: CreditMemo) -> None:
    """What the cheaper replacement does not use stays on the memo and goes back to the original card. An
    agent's exchange refunds it through the agent refund limit, as any agent's return (a supervisor approves
    it above the limit; declined, it stays on the memo and nothing is refunded); an API client is not held."""
    original = exchange.original_summary
    if exchange.created_by_id is not None:
        record_refund(
            original,
            AgentRefundKind.EXCHANGE,
            user=exchange.created_by,
            change_order_ids=_return_change_orders(exchange),
            credit_ids=[],
            credit=exchange.amount_to_refund,
            excess=ZERO,
            credit_memo=memo,
            reason=f"Exchange for {_replacement(exchange).order_number}: the replacement costs less"[:255],
        )
    elif settings.OMS_AUTO_CREDIT_AND_REFUND:
        outbox.enqueue("payments.tasks.refund_credit_memo", original.pk, memo.pk)


def _move_credit(exchange: Exchange, memo: CreditMemo) -> list[OrderPaymentSummary]:
    """Refund `transferred_amount` on the original without the gateway, and record it as sales on the
    replacement; returns the replacement's payment summaries."""
    original, replacement = exchange.original_summary, _replacement(exchange)
    amount = exchange.transferred_amount
    payment_summaries = lock_payment_summaries(original)
    by_id = {ops.pk: ops for ops in payment_summaries}
    try:
        plan = plan_refunds(amount, [Source(ops.pk, ops.available_to_refund_amount) for ops in payment_summaries])
    except InsufficientFunds as exc:
        raise InvalidState(
            f"{exc.needed} {original.currency} is to move to the replacement; the payment methods "
            f"have {exc.available} available."
        ) from None
    payments: defaultdict[int | None, list[Payment]] = defaultdict(list)
    for payment in (
        Payment.objects.select_for_update(no_key=True)
        .filter(order_payment_summary__in=payment_summaries, status=PaymentStatus.PROCESSED)
        .order_by("id")
    ):
        payments[payment.order_payment_summary_id].append(payment)
    now = timezone.now()
    moves: list[tuple[Payment, Decimal]] = []  # (source payment, amount)
    refunds: list[Refund] = []
    for key, ops_amount in plan.refunds:
        ops_id = _ops_id(key)
        group = payments[ops_id]
        chosen = dict(
            exact_else_smallest_sufficient([Source(p.pk, p.available_to_refund_amount) for p in group], ops_amount)
        )
        for payment in group:
            taken = chosen.get(payment.pk)
            if not taken:
                continue
            refund = Refund(
                order_payment_summary=by_id[ops_id],
                payment=payment,
                amount=taken,
                currency=payment.currency,
                status=RefundStatus.PROCESSED,
                credit_memo=memo,
                credit_memo_amount=taken,
                from_balance_amount=min(payment.balance, taken),
                idempotency_key=f"exchange:{exchange.pk}:{len(refunds) + 1}",
                gateway_reference=f"exchange {replacement.order_number}",
                processed_at=now,
            )
            refund.save()
            take_funds(payment, taken, refund=refund)
            payment.refunded_amount += taken
            ops = by_id[ops_id]
            ops.refunded_amount += taken
            ops.balance_amount -= refund.from_balance_amount
            refunds.append(refund)
            moves.append((payment, taken))
    update_rows([payment for payment, _ in moves], ["balance", "refunded_amount"])
    update_rows([by_id[_ops_id(key)] for key, _ in plan.refunds], ["refunded_amount", "balance_amount"])
    memo.balance -= amount
    memo.save(update_fields=["balance"])
    bump_version(original.pk)

    made: dict[tuple[str, str, str], OrderPaymentSummary] = {}
    sales: list[tuple[tuple[str, str, str], Payment]] = []
    for payment, taken in moves:
        card = (payment.method, payment.type, payment.last4)
        target = made.get(card)
        if target is None:
            target = made[card] = OrderPaymentSummary(
                order_summary=replacement,
                method=payment.method,
                type=payment.type,
                last4=payment.last4,
                currency=replacement.currency,
            )
        target.authorization_amount += taken
        target.captured_amount += taken
        target.balance_amount += taken
        sales.append(
            (
                card,
                Payment(
                    order_id=replacement.original_order_id,
                    method=payment.method,
                    type=payment.type,
                    last4=payment.last4,
                    kind=PaymentKind.SALE,
                    amount=taken,
                    balance=taken,
                    currency=payment.currency,
                    gateway_token=payment.gateway_token,
                    gateway_reference=payment.gateway_reference,
                    status=PaymentStatus.PROCESSED,
                    processed_at=now,
                ),
            )
        )
    for target in made.values():
        target.save()
    for card, sale in sales:
        sale.order_payment_summary = made[card]
    Payment.objects.bulk_create([sale for _, sale in sales])
    return list(made.values())


def card_to_charge(summary: OrderSummary) -> tuple[str, str, str, str] | None:
    """(method, type, last4, token) of the original's card a dearer replacement is charged to: its newest
    authorization with a token, else its newest sale with one; None when it has no such card (a gift card
    without a token). The exchange service asks before it writes anything (PaymentsLink.exchange_card_to_charge)."""
    for model in (PaymentAuthorization, Payment):
        row = (
            model.objects.filter(order_payment_summary__order_summary=summary)
            .exclude(gateway_token="")
            .order_by("-id")
            .values_list("method", "type", "last4", "gateway_token")
            .first()
        )
        if row is not None:
            return row
    return None


def _authorization_for_difference(exchange: Exchange, moved: list[OrderPaymentSummary]) -> PaymentAuthorization:
    """A pending authorization of `amount_to_charge` on the original's card, on the replacement's payment
    summary of that card."""
    original, replacement = exchange.original_summary, _replacement(exchange)
    card = card_to_charge(original)
    if card is None:
        raise InvalidState("The original order has no card to charge the difference to.", field="exchangeItems")
    method, kind, last4, token = card
    ops = next((each for each in moved if (each.method, each.type, each.last4) == (method, kind, last4)), None)
    if ops is None:
        ops = OrderPaymentSummary.objects.create(
            order_summary=replacement, method=method, type=kind, last4=last4, currency=replacement.currency
        )
    return PaymentAuthorization.objects.create(
        order_id=replacement.original_order_id,
        order_payment_summary=ops,
        method=method,
        type=kind,
        last4=last4,
        amount=exchange.amount_to_charge,
        currency=replacement.currency,
        gateway_token=token,
        status=AuthorizationStatus.PENDING,
    )


def authorize_exchange_charge(authorization_id: int) -> str | None:
    """Send a pending exchange authorization to the gateway (after the exchange committed) and settle it:
    Processed (the payment summary's authorization grows, the replacement can be captured when it ships),
    or Failed with a Payment process exception on the replacement. A timeout leaves it pending; the
    caller retries under the same idempotency key, so the card is authorized once. Safe to run again."""
    authorization = (
        PaymentAuthorization.objects.select_related("order_payment_summary").filter(pk=authorization_id).first()
    )
    if authorization is None or authorization.status != AuthorizationStatus.PENDING:
        return None
    ops = authorization.order_payment_summary
    assert ops is not None, "an exchange authorization is made on a payment summary (_authorization_for_difference)"
    request = GatewayRequest(
        interaction_type=InteractionType.AUTHORIZATION,
        idempotency_key=f"authorization:{authorization.pk}",
        amount=authorization.amount,
        currency=authorization.currency,
        token=authorization.gateway_token,
    )
    log = log_call(request, order_payment_summary=ops, authorization=authorization)
    result = send_logged(request, log)
    with transaction.atomic():
        summary = lock_summary(ops.order_summary_id, managed=False)
        authorization = PaymentAuthorization.objects.select_for_update().get(pk=authorization_id)
        record_answer(log, result)
        if authorization.status != AuthorizationStatus.PENDING or result.outcome is GatewayOutcome.TIMEOUT:
            return None if result.outcome is not GatewayOutcome.TIMEOUT else "timeout"
        if result.outcome is GatewayOutcome.SUCCESS:
            authorization.status = AuthorizationStatus.PROCESSED
            authorization.gateway_reference = result.reference
            authorization.save(update_fields=["status", "gateway_reference"])
            ops = OrderPaymentSummary.objects.select_for_update().get(pk=ops.pk)
            ops.authorization_amount += authorization.amount
            ops.save(update_fields=["authorization_amount"])
            bump_version(summary.pk)
            return "authorized"
        authorization.status = AuthorizationStatus.FAILED
        authorization.save(update_fields=["status"])
        raise_payment_exception(
            summary,
            attached_to=authorization,
            message=f"The exchange difference of {round_money(authorization.amount, authorization.currency)} "
            f"{authorization.currency} could not be "
            f"authorized on {ops.display_name}: {result.message}",
            description="Ask the customer for another payment method before the replacement ships.",
        )
        return "failed"
