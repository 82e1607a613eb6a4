"""What the console itself records: one-time wizard tokens, and refunds that wait for a supervisor.

Money moves only through the payments automation (credit memo, ensure refunds); this module decides
nothing about amounts, it only holds a refund back when it is above the agent limit.
"""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from console.access import APPROVE_REFUNDS
from console.models import RefundApproval, RefundApprovalStatus, WizardSubmission
from orders.errors import InvalidState, NotFound, PermissionDenied
from orders.models import ChangeType, Order, OrderSummary
from payments import automation


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
                        user) -> RefundApproval | None:
    """After an agent's change: the money automation is started now, or, when the refund the preview
    showed is above the agent limit and the user may not approve it, held as a pending approval."""
    if refund_total <= 0:
        return None
    if refund_total > settings.OMS_AGENT_REFUND_LIMIT and not user.has_perm(APPROVE_REFUNDS):
        summary = OrderSummary.objects.only("currency").get(pk=summary_id)
        return RefundApproval.objects.create(
            order_summary_id=summary_id, change_order_ids=change_order_ids, amount=refund_total,
            excess_amount=excess, currency=summary.currency, requested_by=user,
        )
    start_refund_automation(summary_id, change_order_ids)
    return None


def start_refund_automation(summary_id: int, change_order_ids: list[int]) -> None:
    """The payments automation of DOMAIN.md §4.3 for agent changes: returns and post-fulfillment
    discounts get their credit memo refunded; cancels and pre/in-fulfillment discounts free excess funds."""
    orders = list(Order.objects.filter(pk__in=change_order_ids).order_by("id"))
    post = [order.pk for order in orders if order.is_post_fulfillment_reduction and order.grand_total_amount < 0]
    if post:
        automation.post_fulfillment_reduction_submitted(summary_id, post)
    if any(order.change_type != ChangeType.FEE and not order.is_post_fulfillment_reduction for order in orders):
        automation.pre_fulfillment_reduction_submitted(summary_id)


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
            start_refund_automation(approval.order_summary_id, approval.change_order_ids)
    return approval

