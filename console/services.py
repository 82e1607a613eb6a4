"""What the console itself records: one-time wizard tokens.

The change an agent submits and the refund that follows it (or waits for a supervisor) are one payments
service: payments.services.agent_changes.
"""

from django.db import IntegrityError, transaction

from console.models import WizardSubmission


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
