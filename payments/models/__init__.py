from .agent_refunds import (
    COUNTED_STATUSES,
    AgentRefund,
    AgentRefundKind,
    AgentRefundLimit,
    AgentRefundStatus,
)
from .documents import (
    CreditMemo,
    CreditMemoChangeOrder,
    CreditMemoLine,
    DocumentStatus,
    Invoice,
    InvoiceChangeOrder,
    InvoiceChangeShare,
    InvoiceLine,
)
from .gateway_log import GatewayLogStatus, GatewayResultCode, InteractionType, PaymentGatewayLog
from .movements import ApplicationType, PaymentAppliedToInvoice, Refund, RefundStatus
from .operations import FINAL_OPERATION_STATUSES, BackgroundOperation, OperationStatus, OperationType
from .sandbox import SandboxTransaction
from .summaries import (
    AuthorizationStatus,
    OrderPaymentSummary,
    Payment,
    PaymentAuthorization,
    PaymentKind,
    PaymentStatus,
)

__all__ = [
    "COUNTED_STATUSES",
    "FINAL_OPERATION_STATUSES",
    "AgentRefund",
    "AgentRefundKind",
    "AgentRefundLimit",
    "AgentRefundStatus",
    "ApplicationType",
    "AuthorizationStatus",
    "BackgroundOperation",
    "CreditMemo",
    "CreditMemoChangeOrder",
    "CreditMemoLine",
    "DocumentStatus",
    "GatewayLogStatus",
    "GatewayResultCode",
    "InteractionType",
    "Invoice",
    "InvoiceChangeOrder",
    "InvoiceChangeShare",
    "InvoiceLine",
    "OperationStatus",
    "OperationType",
    "OrderPaymentSummary",
    "Payment",
    "PaymentAppliedToInvoice",
    "PaymentAuthorization",
    "PaymentGatewayLog",
    "PaymentKind",
    "PaymentStatus",
    "Refund",
    "RefundStatus",
    "SandboxTransaction",
]
