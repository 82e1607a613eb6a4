"""Cancel the whole order (issue #13): everything still cancelable in one change.

Every product unit not yet allocated, or allocated to a fulfillment order not yet picked (Draft,
Allocated, Assigned), is canceled with the delivery charges of the groups left with nothing to ship:
one Cancel change order, balances as for any cancel, the fulfillment-order lines canceled in the same
transaction. Units in picking or later stay (they ship); a summary with nothing cancelable is refused.

The money that follows is not this module's: the console, the demo loader and the API submit through
payments.services.agent_changes.submit_agent_change, which calls `submit_cancel_order` inside its own
transaction and records and queues the refund with the change (orders never imports payments).
"""

from orders.calculations.inputs import CancelOrderInput
from orders.calculations.plan import ChangePlan
from orders.calculations.reductions import plan_cancel_order
from orders.calculations.state import SummaryState
from orders.services.actor import Actor
from orders.services.change_flow import ChangeResult, Planner, preview_change, submit_change


def _planner(request: CancelOrderInput) -> Planner:
    def plan(state: SummaryState, reason_codes: frozenset[str], max_items: int) -> ChangePlan:
        return plan_cancel_order(state, request, reason_codes=reason_codes)

    return plan


def preview_cancel_order(
    summary_id: int | str, request: CancelOrderInput, *, actor: Actor = None, channel_id: int | None = None
) -> ChangeResult:
    """What canceling everything still cancelable would change, and the fulfillment-order lines it would
    cancel; nothing is written."""
    return preview_change(summary_id, _planner(request), channel_id=channel_id, fulfillment=True)


def submit_cancel_order(
    summary_id: int | str,
    request: CancelOrderInput,
    *,
    actor: Actor,
    expected_version: int | None = None,
    channel_id: int | None = None,
) -> ChangeResult:
    """Cancel everything still cancelable (the change only: its refund is the caller's, see above)."""
    return submit_change(
        summary_id,
        _planner(request),
        actor=actor,
        expected_version=expected_version,
        channel_id=channel_id,
        fulfillment=True,
    )
