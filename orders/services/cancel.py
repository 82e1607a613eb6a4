"""Cancel units (DOMAIN.md §2, §3.1, §3.2, §3.2a): preview and submit.

By default only units not allocated to a fulfillment order can be canceled (Salesforce's behaviour).
With `cancel_allocated` units on fulfillment orders not yet picked (Draft, Allocated, Assigned) can be
canceled too: in the same transaction their fulfillment-order lines are canceled (the reservation
released, an emptied fulfillment order Cancelled), with the money rules of a pre-fulfillment cancel.
"""

from collections.abc import Sequence

from orders.calculations.inputs import ChangeItemInput
from orders.calculations.plan import ChangePlan
from orders.calculations.reductions import plan_cancel
from orders.calculations.state import SummaryState
from orders.services.actor import Actor
from orders.services.change_flow import ChangeResult, Planner, preview_change, submit_change


def _planner(change_items: Sequence[ChangeItemInput], cancel_allocated: bool) -> Planner:
    def plan(state: SummaryState, reason_codes: frozenset[str], max_items: int) -> ChangePlan:
        return plan_cancel(
            state, list(change_items), reason_codes=reason_codes, max_items=max_items, cancel_allocated=cancel_allocated
        )

    return plan


def preview_cancel(
    summary_id: int | str,
    change_items: Sequence[ChangeItemInput],
    *,
    actor: Actor = None,
    channel_id: int | None = None,
    cancel_allocated: bool = False,
) -> ChangeResult:
    """The change balances the cancel would produce, and the fulfillment-order lines it would cancel;
    nothing is written."""
    return preview_change(
        summary_id, _planner(change_items, cancel_allocated), channel_id=channel_id, fulfillment=cancel_allocated
    )


def submit_cancel(
    summary_id: int | str,
    change_items: Sequence[ChangeItemInput],
    *,
    actor: Actor,
    expected_version: int | None = None,
    channel_id: int | None = None,
    cancel_allocated: bool = False,
) -> ChangeResult:
    """Cancel the units: one Cancel change order (and a Fee change order when fees are given), and with
    `cancel_allocated` the fulfillment-order lines the units are taken off."""
    return submit_change(
        summary_id,
        _planner(change_items, cancel_allocated),
        actor=actor,
        expected_version=expected_version,
        channel_id=channel_id,
        fulfillment=cancel_allocated,
    )
