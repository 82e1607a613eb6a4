"""POST …/order-summaries/{id}/actions/submit-cancel-order: the whole-order cancel and its refund.

In the payments app because the change and the money that follows are one service
(payments.services.agent_changes.submit_agent_change), the one the console's Cancel order calls: the
refund is worked out from the submit's balances, recorded and queued through the outbox in the change's
transaction. The API client is recorded as who asked; no agent limit applies to it.
"""

from rest_framework import status

from orders.api.change_serializers import CancelOrderInputSerializer, SubmitCancelOutputSerializer
from orders.api.change_views import _CANCEL_ORDER_NOTE, _cancel_submit_body, _ChangeActionView, _schema
from orders.calculations.inputs import CancelOrderInput
from orders.services.actor import Actor
from orders.services.change_flow import ChangeResult
from payments.models import AgentRefundKind
from payments.services.agent_changes import submit_agent_change


def submit_api_cancel_order(
    summary_id: int | str, request: CancelOrderInput, *, actor: Actor, channel_id: int | None = None
) -> ChangeResult:
    return submit_agent_change(
        summary_id, AgentRefundKind.CANCEL_ORDER, request, user=actor, channel_id=channel_id
    ).result


@_schema(
    "submitCancelOrder",
    CancelOrderInputSerializer,
    SubmitCancelOutputSerializer,
    201,
    "Cancel the whole order. " + _CANCEL_ORDER_NOTE + " The refund of the captured funds it frees (the "
    "change's excess funds) is queued with the change, in its transaction, as one ensure-refunds operation "
    "(when OMS_AUTO_CREDIT_AND_REFUND is on; off, your integration runs ensure-refunds); once nothing is "
    "left to ship the unused authorization is reversed. No approval limit applies to an API client.",
)
class SubmitCancelOrderView(_ChangeActionView):
    input_serializer = CancelOrderInputSerializer
    output_serializer = SubmitCancelOutputSerializer
    answer_status = status.HTTP_201_CREATED
    service = staticmethod(submit_api_cancel_order)
    render = staticmethod(_cancel_submit_body)
