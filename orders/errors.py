"""Typed service errors with stable codes; the API and the console map the same codes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    message: str
    field: str | None = None
    code: str | None = None  # defaults to the raising error's code


class ServiceError(Exception):
    code = "INVALID_STATE"
    http_status = 409

    def __init__(self, message: str, *, field: str | None = None, errors: list[FieldError] | None = None, output=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or [FieldError(message, field)]
        self.output = output

    def as_error_list(self) -> list[dict]:
        return [
            {"errorCode": error.code or self.code, "message": error.message, "field": error.field}
            for error in self.errors
        ]


class InvalidInput(ServiceError):
    """The request itself is wrong: a field's value, a missing field, an unknown id."""

    code = "INVALID_API_INPUT"
    http_status = 400


class InvalidState(ServiceError):
    """The request is well formed but the records' state does not allow it."""

    code = "INVALID_STATE"
    http_status = 409


class Conflict(ServiceError):
    """The records changed under the caller (a stale preview, a lost race)."""

    code = "CONFLICT"
    http_status = 409


class NotFound(ServiceError):
    code = "NOT_FOUND"
    http_status = 404


class PermissionDenied(ServiceError):
    code = "PERMISSION_DENIED"
    http_status = 403


class IdempotencyKeyReused(ServiceError):
    code = "IDEMPOTENCY_KEY_REUSED"
    http_status = 422


class IdempotencyKeyInUse(ServiceError):
    code = "IDEMPOTENCY_KEY_IN_USE"
    http_status = 409


class DuplicateOrder(ServiceError):
    """The order number exists in the channel already; `output` names the existing records."""

    code = "DUPLICATE_VALUE"
    http_status = 409


# Codes of field errors a change is refused with (FieldError.code), beside the raising error's own code.
# Units asked for are allocated to fulfillment orders and cancelAllocatedQuantity was not set.
UNITS_ALLOCATED = "UNITS_ALLOCATED"
# Units asked for are on a fulfillment order in picking or later (the message names it).
UNITS_IN_FULFILLMENT = "UNITS_IN_FULFILLMENT"
# A fractional quantity of an item ordered in whole units.
WHOLE_UNITS_ONLY = "WHOLE_UNITS_ONLY"
# A change item's fees exceed the reduction they ride on.
FEE_EXCEEDS_REDUCTION = "FEE_EXCEEDS_REDUCTION"
# A whole-order cancel finds nothing left to cancel.
NOTHING_TO_CANCEL = "NOTHING_TO_CANCEL"
# A delivery-charge line canceled from a fulfillment order has no fulfillment order to go to.
DELIVERY_CHARGE_STRANDED = "DELIVERY_CHARGE_STRANDED"
# A fulfillment order that is Fulfilled, Cancelled or Rejected ships nothing more.
FULFILLMENT_ORDER_NOT_OPEN = "FULFILLMENT_ORDER_NOT_OPEN"
# A shipment asks for more units of a line than are left to ship (or for a line with none left).
EXCEEDS_QUANTITY_TO_SHIP = "EXCEEDS_QUANTITY_TO_SHIP"
# Units that left in a shipment cannot be canceled or rejected.
UNITS_SHIPPED = "UNITS_SHIPPED"
# An In Store Pickup fulfillment order is collected (Picked Up), not shipped.
PICKUP_NOT_SHIPPED = "PICKUP_NOT_SHIPPED"
# A fulfillment order on hold (its summary or one of its lines) ships nothing until release.
FULFILLMENT_ORDER_HELD = "FULFILLMENT_ORDER_HELD"
