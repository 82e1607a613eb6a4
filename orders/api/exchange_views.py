"""preview-exchange and submit-exchange over REST (issue 15): the change actions' view, the exchange service."""

from rest_framework import status

from orders.api.change_views import _EXCHANGE_NOTE, _ChangeActionView, _exchange_body, _exchange_submit_body, _schema
from orders.api.exchange_serializers import (
    ExchangeInputSerializer,
    ExchangeOutputSerializer,
    SubmitExchangeOutputSerializer,
)
from orders.services.exchanges import preview_exchange, submit_exchange


@_schema(
    "previewExchange",
    ExchangeInputSerializer,
    ExchangeOutputSerializer,
    200,
    "What the exchange would do; writes nothing. " + _EXCHANGE_NOTE,
)
class PreviewExchangeView(_ChangeActionView):
    input_serializer = ExchangeInputSerializer
    output_serializer = ExchangeOutputSerializer
    service = staticmethod(preview_exchange)
    render = staticmethod(_exchange_body)


@_schema(
    "submitExchange",
    ExchangeInputSerializer,
    SubmitExchangeOutputSerializer,
    201,
    "Exchange the units: a Return change order on the original (or a return order with "
    "holdReplacementUntilReturned), the replacement order summary, its payment. " + _EXCHANGE_NOTE,
)
class SubmitExchangeView(_ChangeActionView):
    input_serializer = ExchangeInputSerializer
    output_serializer = SubmitExchangeOutputSerializer
    answer_status = status.HTTP_201_CREATED
    service = staticmethod(submit_exchange)
    render = staticmethod(_exchange_submit_body)
