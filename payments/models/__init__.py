from .summaries import (
    AuthorizationStatus,
    OrderPaymentSummary,
    Payment,
    PaymentAuthorization,
    PaymentKind,
    PaymentStatus,
)

__all__ = [
    "AuthorizationStatus",
    "OrderPaymentSummary",
    "Payment",
    "PaymentAuthorization",
    "PaymentKind",
    "PaymentStatus",
]
