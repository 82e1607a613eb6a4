"""The adapter interface every payment provider implements.

An adapter never raises for an answer the provider gave: a decline, a permanent failure and a
timeout are results. A timeout (no answer, or an answer lost) is `TIMEOUT`: the outcome is unknown
and the caller must ask again later with `lookup` under the same idempotency key, never send the
movement again under a new key.
"""

import abc
import enum
from dataclasses import dataclass, field
from decimal import Decimal

from payments.models import GatewayLogStatus, GatewayResultCode, InteractionType


class GatewayOutcome(enum.Enum):
    SUCCESS = "success"
    DECLINED = "declined"
    FAILED = "failed"  # permanent: the same request will never succeed
    TIMEOUT = "timeout"  # indeterminate: ask again with lookup()
    UNKNOWN = "unknown"  # lookup only: the provider never received the request


@dataclass(frozen=True)
class GatewayRequest:
    interaction_type: InteractionType
    idempotency_key: str
    amount: Decimal
    currency: str
    token: str = ""
    # Capture: the authorization's reference; refund: the payment's reference; void: the authorization's.
    reference: str = ""

    def loggable(self) -> dict[str, str]:
        """What the log may keep: the token names a vaulted card, it is not the card."""
        return {
            "interaction": str(self.interaction_type),
            "amount": str(self.amount),
            "currency": self.currency,
            "token": self.token,
            "reference": self.reference,
            "idempotencyKey": self.idempotency_key,
        }


@dataclass(frozen=True)
class GatewayResult:
    outcome: GatewayOutcome
    result_code: GatewayResultCode
    reference: str = ""
    message: str = ""
    response: dict[str, object] = field(default_factory=dict)

    @property
    def log_status(self) -> GatewayLogStatus:
        if self.outcome is GatewayOutcome.SUCCESS:
            return GatewayLogStatus.SUCCESS
        if self.outcome is GatewayOutcome.TIMEOUT:
            return GatewayLogStatus.TIMEOUT
        return GatewayLogStatus.FAILED

    @property
    def is_final(self) -> bool:
        return self.outcome in (GatewayOutcome.SUCCESS, GatewayOutcome.DECLINED, GatewayOutcome.FAILED)


class PaymentGateway(abc.ABC):
    """A payment provider. Calls with an idempotency key already seen must return the first call's
    outcome and move no money again."""

    name = "abstract"

    @abc.abstractmethod
    def authorize(self, request: GatewayRequest) -> GatewayResult:
        """Reserve the amount on the customer's payment method."""

    @abc.abstractmethod
    def capture(self, request: GatewayRequest) -> GatewayResult:
        """Take (part of) an authorized amount."""

    @abc.abstractmethod
    def refund(self, request: GatewayRequest) -> GatewayResult:
        """Give back (part of) a captured amount, referencing the capture."""

    @abc.abstractmethod
    def void(self, request: GatewayRequest) -> GatewayResult:
        """Release what is left of an authorization."""

    @abc.abstractmethod
    def lookup(self, interaction_type: InteractionType, idempotency_key: str) -> GatewayResult:
        """What became of an earlier call with this key (reconciliation)."""

    def send(self, request: GatewayRequest) -> GatewayResult:
        calls = {
            InteractionType.AUTHORIZATION: self.authorize,
            InteractionType.CAPTURE: self.capture,
            InteractionType.REFERENCED_REFUND: self.refund,
            InteractionType.VOID: self.void,
        }
        return calls[InteractionType(request.interaction_type)](request)
