"""Price adjustment, discounts only (DOMAIN.md §3.5): preview and submit."""

from orders.calculations.adjust import plan_adjust
from orders.calculations.inputs import AdjustInput
from orders.calculations.plan import ChangePlan
from orders.calculations.state import SummaryState
from orders.services.actor import Actor
from orders.services.change_flow import ChangeResult, Planner, preview_change, submit_change


def _planner(request: AdjustInput) -> Planner:
    def plan(state: SummaryState, reason_codes: frozenset[str], max_items: int) -> ChangePlan:
        return plan_adjust(state, request, reason_codes=reason_codes, max_items=max_items)

    return plan


def preview_adjust(
    summary_id: int | str, request: AdjustInput, *, actor: Actor = None, channel_id: int | None = None
) -> ChangeResult:
    """The change balances the adjustment would produce; nothing is written."""
    return preview_change(summary_id, _planner(request), channel_id=channel_id)


def submit_adjust(
    summary_id: int | str,
    request: AdjustInput,
    *,
    actor: Actor,
    expected_version: int | None = None,
    channel_id: int | None = None,
) -> ChangeResult:
    """One Adjust change order per fulfillment phase with an amount (Pre, In, Post)."""
    return submit_change(
        summary_id, _planner(request), actor=actor, expected_version=expected_version, channel_id=channel_id
    )
