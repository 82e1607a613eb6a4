"""What the console itself records: one-time wizard tokens, and refunds that wait for a supervisor.

Money moves only through the payments services (credit memo creation, ensure refunds); this module
decides nothing about amounts, it only holds a refund back when it is above the agent limit.
"""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from console.access import APPROVE_REFUNDS
from console.models import RefundApproval, RefundApprovalStatus, WizardSubmission
from orders.errors import InvalidState, NotFound, PermissionDenied
from orders.funds import funds_position
from orders.models import Order, OrderSummary
from orders.money import ZERO
from payments.models import BackgroundOperation
from payments.services.background_operations import submit_ensure_refunds
from payments.services.credit_memo_create import create_credit_memo


def claim_wizard_token(token: str, *, user, summary_id: int, kind: str) -> bool:
    """True the first time a preview's token is submitted; False for every later submit of it."""
    try:
        with transaction.atomic():
            WizardSubmission.objects.create(token=token, user=user, order_summary_id=summary_id, kind=kind)
    except IntegrityError:
        return False
    return True


def release_wizard_token(token: str) -> None:
    """The submit was refused (stale or invalid): the agent may submit a fresh preview instead."""
    WizardSubmission.objects.filter(token=token, change_order_ids=[]).delete()


def record_wizard_outcome(token: str, change_order_ids: list[int]) -> None:
    WizardSubmission.objects.filter(token=token).update(change_order_ids=change_order_ids)


def refund_after_change(summary_id: int, change_order_ids: list[int], *, excess: Decimal, refund_total: Decimal,
                        user) -> RefundApproval | BackgroundOperation | None:
    """After an agent's change: the refund it makes is queued now, or, above the agent limit for a user
    who may not approve it, kept as a pending approval for a supervisor."""
    if refund_total <= 0 or not settings.OMS_AUTO_CREDIT_AND_REFUND:
        return None
    if refund_total > settings.OMS_AGENT_REFUND_LIMIT and not user.has_perm(APPROVE_REFUNDS):
        summary = OrderSummary.objects.only("currency").get(pk=summary_id)
        return RefundApproval.objects.create(
            order_summary_id=summary_id, change_order_ids=change_order_ids, amount=refund_total,
            excess_amount=excess, currency=summary.currency, requested_by=user,
        )
    return queue_change_refunds(summary_id, change_order_ids, excess=excess, user=user)


def queue_change_refunds(summary_id: int, change_order_ids: list[int], *, excess: Decimal,
                         user) -> BackgroundOperation | None:
    """Credit memo for the post-fulfillment reductions among the change orders, then one ensure-refunds
    operation for the memo and the excess this change freed (never more excess than there is now)."""
    with transaction.atomic():
        reductions = [
            order.pk for order in Order.objects.filter(pk__in=change_order_ids).order_by("id")
            if order.is_post_fulfillment_reduction and order.grand_total_amount < 0
        ]
        memo = create_credit_memo(summary_id, reductions) if reductions else None
        summary = OrderSummary.objects.get(pk=summary_id)
        excess_now = min(excess, funds_position(summary).total_excess_funds_amount)
        if memo is None and excess_now <= ZERO:
            return None
        return submit_ensure_refunds(
            summary_id,
            {"creditMemoId": memo.pk if memo else None, "excessFundsAmount": excess_now if excess_now > 0 else 0},
            user=user,
        )


def decide_refund(approval_id: int, *, approve: bool, user) -> RefundApproval:
    """A supervisor approves (the refund is queued) or declines (nothing is refunded) a pending refund."""
    if not user.has_perm(APPROVE_REFUNDS):
        raise PermissionDenied("Only a supervisor can approve or decline a refund above the agent limit.")
    with transaction.atomic():
        approval = RefundApproval.objects.select_for_update().filter(pk=approval_id).first()
        if approval is None:
            raise NotFound(f"Refund approval {approval_id} does not exist.")
        if approval.status != RefundApprovalStatus.PENDING:
            raise InvalidState(f"This refund was already {approval.status.lower()}.")
        approval.status = RefundApprovalStatus.APPROVED if approve else RefundApprovalStatus.DECLINED
        approval.decided_by = user
        approval.decided_at = timezone.now()
        approval.save(update_fields=["status", "decided_by", "decided_at"])
        if approve:
            queue_change_refunds(
                approval.order_summary_id, approval.change_order_ids, excess=approval.excess_amount, user=user
            )
    return approval

