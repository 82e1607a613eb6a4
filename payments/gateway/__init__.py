"""Payment gateway adapters: one small interface, the adapter chosen by `OMS_PAYMENT_GATEWAY`."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import GatewayOutcome, GatewayRequest, GatewayResult, PaymentGateway


@cache
def _gateway_class(path: str) -> type[PaymentGateway]:
    gateway_class: type[PaymentGateway] = import_string(path)
    return gateway_class


def get_gateway() -> PaymentGateway:
    return _gateway_class(settings.OMS_PAYMENT_GATEWAY)()


__all__ = ["GatewayOutcome", "GatewayRequest", "GatewayResult", "PaymentGateway", "get_gateway"]
