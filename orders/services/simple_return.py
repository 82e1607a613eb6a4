"""Simple return of shipped units, without a return order (DOMAIN.md §2, §3.1, §3.2, §3.2a)."""

from collections.abc import Sequence

from orders.calculations.inputs import ChangeItemInput
from orders.calculations.plan import ChangePlan
from orders.calculations.reductions import plan_return
from orders.calculations.state import SummaryState
from orders.services.actor import Actor
from orders.services.change_flow import ChangeResult, Planner, preview_change, submit_change


def _planner(change_items: Sequence[ChangeItemInput]) -> Planner:
    def plan(state: SummaryState, reason_codes: frozenset[str], max_items: int) -> ChangePlan:
        return plan_return(state, list(change_items), reason_codes=reason_codes, max_items=max_items)

    return plan


# Exchanges return their units with the same calculation (orders.services.exchanges).
return_planner = _planner


def preview_return(
    summary_id: int | str,
    change_items: Sequence[ChangeItemInput],
    *,
    actor: Actor = None,
    channel_id: int | None = None,
) -> ChangeResult:
    """The change balances the return would produce; nothing is written."""
    return preview_change(summary_id, _planner(change_items), channel_id=channel_id)


def submit_return(
    summary_id: int | str,
    change_items: Sequence[ChangeItemInput],
    *,
    actor: Actor,
    expected_version: int | None = None,
    channel_id: int | None = None,
) -> ChangeResult:
    """Return the units: one Return change order, owed back through a credit memo (and a Fee change
    order when fees are given)."""
    return submit_change(
        summary_id, _planner(change_items), actor=actor, expected_version=expected_version, channel_id=channel_id
    )
