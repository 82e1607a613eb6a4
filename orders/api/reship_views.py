"""preview-reship and submit-reship over REST (issue 15): fulfilled units sent again at no charge."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import client_channel_id
from orders.api.change_views import _check_visible
from orders.api.idempotency import idempotent
from orders.api.reship_serializers import ReshipInputSerializer, ReshipOutputSerializer, render_reship
from orders.models import Scope
from orders.services.reships import preview_reship, submit_reship

TAG = "Order changes"
_NOTE = (
    "Fulfilled units lost or damaged in transit are sent again at no charge: per delivery group the units are "
    "routed like any order (fewest splits, then nearest; the channel's routing policy; never a location that "
    "rejected units of this summary) and a fulfillment order reserves the stock. Each item may reship at most "
    "QuantityAvailableToReship = QuantityFulfilled − QuantityReturnInitiated − QuantityReshipped units (409 "
    "otherwise). The item summary's quantityReshipped grows and its status becomes RESHIPPED when every fulfilled "
    "unit was reshipped. Nothing is invoiced or captured (amountToCharge is always 0). A pickup group, an "
    "unmanaged or held summary, or units no location can ship now (errorCode NO_ROUTE) answer 409."
)


class _ReshipView(APIView):
    required_scopes = {"POST": Scope.ORDERS_WRITE}
    service = staticmethod(preview_reship)
    answer_status = status.HTTP_200_OK

    @idempotent(required=False)
    def post(self, request, summary_id):
        serializer = ReshipInputSerializer(data=request.data)
        if not serializer.is_valid():
            _check_visible(request, summary_id)
            raise ValidationError(serializer.errors)
        result = self.service(
            summary_id,
            ReshipInputSerializer.input_from(serializer.validated_data),
            actor=request.auth,
            channel_id=client_channel_id(request),
        )
        return Response(render_reship(result), status=self.answer_status)


def _schema(operation_id, answer_status, description):
    return extend_schema(
        operation_id=operation_id,
        tags=[TAG],
        request=ReshipInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={answer_status: ReshipOutputSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description=description,
    )


class PreviewReshipView(_ReshipView):
    @_schema("previewReship", 200, "Where the reshipped units would ship from; writes nothing. " + _NOTE)
    def post(self, request, summary_id):
        return super().post(request, summary_id)


class SubmitReshipView(_ReshipView):
    service = staticmethod(submit_reship)
    answer_status = status.HTTP_201_CREATED

    @_schema("submitReship", 201, "Reship the units: a reshipment and its fulfillment orders. " + _NOTE)
    def post(self, request, summary_id):
        return super().post(request, summary_id)
