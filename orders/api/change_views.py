"""Cancel, simple return and price adjustment over REST: preview (writes nothing) and submit.

submit-cancel-order lives in payments.api.cancel_order_views: its refund is recorded by the payments
service that submits the change (orders never imports payments)."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import client_channel_id, scope_to_channel
from orders.api.change_serializers import (
    AdjustInputSerializer,
    AdjustOutputSerializer,
    CancelInputSerializer,
    CancelOrderInputSerializer,
    ChangeInputSerializer,
    PreviewCancelOutputSerializer,
    PreviewChangeOutputSerializer,
    SubmitCancelOutputSerializer,
    SubmitChangeOutputSerializer,
    render_adjust,
    render_cancel,
    render_preview,
    render_submit,
)
from orders.api.fast_validation import read_body
from orders.api.idempotency import idempotent
from orders.errors import NotFound
from orders.models import FulfillmentPhase, OrderSummary, Scope
from orders.selectors.summaries import parse_id
from orders.services.adjust import preview_adjust, submit_adjust
from orders.services.cancel import preview_cancel, submit_cancel
from orders.services.cancel_order import preview_cancel_order
from orders.services.change_flow import ChangeResult
from orders.services.simple_return import preview_return, submit_return

TAG = "Order changes"


def _check_visible(request, raw_id) -> None:
    """NotFound unless the summary exists and the caller's channel may see it (another channel's answers
    404 like a missing one)."""
    pk = parse_id(raw_id)
    visible = pk is not None and scope_to_channel(OrderSummary.objects.filter(pk=pk), request).exists()
    if not visible:
        raise NotFound(f"No order summary {raw_id}.")


def _body(result: ChangeResult) -> dict:
    return render_preview(result.order_summary_id, result.balances, result.currency)


def _submit_body(result: ChangeResult) -> dict:
    return render_submit(
        result.order_summary_id,
        result.balances,
        result.currency,
        change_order_id=result.change_order_id,
        fee_change_order_id=result.fee_change_order_id,
    )


def _cancel_body(result: ChangeResult) -> dict:
    return render_cancel(
        result.order_summary_id,
        result.balances,
        result.currency,
        result.fulfillment,
        result.charges_canceled_with_last_product,
    )


def _cancel_submit_body(result: ChangeResult) -> dict:
    return render_cancel(
        result.order_summary_id,
        result.balances,
        result.currency,
        result.fulfillment,
        result.charges_canceled_with_last_product,
        submitted=True,
        change_order_id=result.change_order_id,
        fee_change_order_id=result.fee_change_order_id,
    )


def _adjust_body(result: ChangeResult) -> dict:
    return render_adjust(
        result.order_summary_id,
        result.balances,
        result.currency,
        pre=result.change_order_for_phase(FulfillmentPhase.PRE),
        in_fulfillment=result.change_order_for_phase(FulfillmentPhase.IN),
        post=result.change_order_for_phase(FulfillmentPhase.POST),
    )


class _ChangeActionView(APIView):
    """Parse the body, call the action's service with the caller as actor, render its result.

    The service loads (and on submit locks) the summary with the caller's channel in the same query, so
    a missing or another channel's summary answers 404 without a query of the view's own. A body that
    does not parse still answers 404 rather than 400 when the summary is not visible: only then does the
    view look the summary up itself. A body is read by its serializer's fast reading when that is sure,
    by DRF otherwise. `output_serializer` documents the answer; `render` builds it.
    """

    required_scopes = {"POST": Scope.ORDERS_WRITE}
    # Each action's view says its own: a serializer with input_from (and options_from), its service.
    input_serializer: type[Any] = ChangeInputSerializer
    output_serializer: type[Serializer[Any]] = PreviewChangeOutputSerializer
    answer_status: int = status.HTTP_200_OK
    service: Callable[..., ChangeResult] = staticmethod(preview_cancel)
    render = staticmethod(_body)

    @idempotent(required=False)
    def post(self, request, summary_id):
        try:
            validated = read_body(self.input_serializer, request.data)
        except ValidationError:
            _check_visible(request, summary_id)
            raise
        options = getattr(self.input_serializer, "options_from", lambda data: {})(validated)
        result = self.service(
            summary_id,
            self.input_serializer.input_from(validated),
            actor=request.auth,
            channel_id=client_channel_id(request),
            **options,
        )
        return Response(self.render(result), status=self.answer_status)


_ERRORS = openapi.error_responses(400, 401, 403, 404, 409, 422)
_CHANGE_ITEMS_NOTE = (
    "Change items naming the same item summary are combined; with shippingReductionFlag the group's "
    "delivery charges are reduced by the share of its products' price removed (DOMAIN.md §3.2). "
    "changeBalances are positive reductions; fees are reported in totalFeeAmount/totalFeeTaxAmount."
)
_ADJUST_NOTE = (
    "Discounts only (negative amounts). The discount is spread per unit over the pre-fulfillment, "
    "in-fulfillment and post-fulfillment units that allocatedItemsChangeOrderType includes "
    "(DOMAIN.md §3.5); one change order per phase with an amount."
)


def _schema(
    operation_id: str,
    request: type[Serializer[Any]],
    response: type[Serializer[Any]],
    answer_status: int,
    description: str,
) -> Callable[[type[APIView]], type[APIView]]:
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            tags=[TAG],
            request=request,
            parameters=[openapi.idempotency_key_header(required=False)],
            responses={answer_status: response, **_ERRORS},
            description=description,
        )
    )


_CANCEL_NOTE = (
    " Change items may name products and delivery charges (a delivery charge canceled: free shipping). "
    "Quantities of items ordered in whole units must be whole (WHOLE_UNITS_ONLY). Units allocated to "
    "fulfillment orders are refused (UNITS_ALLOCATED) unless cancelAllocatedQuantity is true: then units on "
    "fulfillment orders not yet picked (Draft, Allocated, Assigned) are canceled with their lines, listed in "
    "fulfillmentOrderLinesToCancel; units in picking or later are refused (UNITS_IN_FULFILLMENT, naming the "
    "fulfillment order). When the cancel leaves a delivery group nothing to ship, its delivery charges go too "
    "(deliveryChargesCanceledWithLastProduct). A change item's fees may not exceed what it takes off "
    "(FEE_EXCEEDS_REDUCTION); balances report the reduction before fees."
)
_CANCEL_ORDER_NOTE = (
    "Everything still cancelable: every product unit not allocated or on a fulfillment order not yet picked "
    "(Draft, Allocated, Assigned), and the delivery charges of the groups left with nothing to ship; one Cancel "
    "change order with the balances of any cancel, the fulfillment-order lines canceled in the same "
    "transaction. Units in picking or later are kept; nothing cancelable answers 409 NOTHING_TO_CANCEL."
)


@_schema(
    "previewCancel",
    CancelInputSerializer,
    PreviewCancelOutputSerializer,
    200,
    "What canceling the units would change; writes nothing. " + _CHANGE_ITEMS_NOTE + _CANCEL_NOTE,
)
class PreviewCancelView(_ChangeActionView):
    input_serializer = CancelInputSerializer
    output_serializer = PreviewCancelOutputSerializer
    service = staticmethod(preview_cancel)
    render = staticmethod(_cancel_body)


@_schema(
    "submitCancel",
    CancelInputSerializer,
    SubmitCancelOutputSerializer,
    201,
    "Cancel units: a Cancel change order, and a Fee change order when fees are given. "
    + _CHANGE_ITEMS_NOTE
    + _CANCEL_NOTE,
)
class SubmitCancelView(_ChangeActionView):
    input_serializer = CancelInputSerializer
    output_serializer = SubmitCancelOutputSerializer
    answer_status = status.HTTP_201_CREATED
    service = staticmethod(submit_cancel)
    render = staticmethod(_cancel_submit_body)


@_schema(
    "previewCancelOrder",
    CancelOrderInputSerializer,
    PreviewCancelOutputSerializer,
    200,
    "What canceling the whole order would change; writes nothing. " + _CANCEL_ORDER_NOTE,
)
class PreviewCancelOrderView(_ChangeActionView):
    input_serializer = CancelOrderInputSerializer
    output_serializer = PreviewCancelOutputSerializer
    service = staticmethod(preview_cancel_order)
    render = staticmethod(_cancel_body)


@_schema(
    "previewReturn",
    ChangeInputSerializer,
    PreviewChangeOutputSerializer,
    200,
    "What a simple return of shipped units would change; writes nothing. " + _CHANGE_ITEMS_NOTE,
)
class PreviewReturnView(_ChangeActionView):
    service = staticmethod(preview_return)


@_schema(
    "submitReturn",
    ChangeInputSerializer,
    SubmitChangeOutputSerializer,
    201,
    "Return shipped units without a return order: a Return change order to credit through "
    "create-credit-memo, and a Fee change order when fees are given. " + _CHANGE_ITEMS_NOTE,
)
class SubmitReturnView(_ChangeActionView):
    output_serializer = SubmitChangeOutputSerializer
    answer_status = status.HTTP_201_CREATED
    service = staticmethod(submit_return)
    render = staticmethod(_submit_body)


@_schema(
    "adjustItemPreview",
    AdjustInputSerializer,
    AdjustOutputSerializer,
    200,
    "What the price adjustment would change; writes nothing; change order ids are null. " + _ADJUST_NOTE,
)
class AdjustPreviewView(_ChangeActionView):
    input_serializer = AdjustInputSerializer
    output_serializer = AdjustOutputSerializer
    service = staticmethod(preview_adjust)
    render = staticmethod(_adjust_body)


@_schema(
    "adjustItemSubmit",
    AdjustInputSerializer,
    AdjustOutputSerializer,
    201,
    "Apply the price adjustment. Refund the post-fulfillment part through create-credit-memo and "
    "ensure-refunds, and captured pre/in-fulfillment parts as totalExcessFundsAmount. " + _ADJUST_NOTE,
)
class AdjustSubmitView(_ChangeActionView):
    input_serializer = AdjustInputSerializer
    output_serializer = AdjustOutputSerializer
    answer_status = status.HTTP_201_CREATED
    service = staticmethod(submit_adjust)
    render = staticmethod(_adjust_body)


# --- Exchanges (issue 15) ---------------------------------------------------------------------------------
_EXCHANGE_NOTE = (
    "The returned units (shipped: quantity ≤ quantityAvailableToReturn) are returned without shipping reduction; "
    "the replacement is a new managed order summary (sourceOrderSummaryId on it, exchangeOrderSummaryIds on the "
    "original) routed like any order, no delivery charge. It is paid first with the value of the returned units "
    "as far as the original holds it captured (the original's credit moves instead of being refunded); a "
    "dearer replacement's difference (amountToCharge) is authorized on the original card and captured when it "
    "ships; a cheaper one's (amountToRefund) is refunded to the original card from the original's credit memo. "
    "changeBalances are the return's, as preview-return reports them."
)


def _exchange_body(result) -> dict:
    from orders.api.exchange_serializers import render_exchange

    return render_exchange(result)


def _exchange_submit_body(result) -> dict:
    from orders.api.exchange_serializers import render_exchange

    return render_exchange(result, submitted=True)
