"""Typed codes of the money rules (docs/money.md): each refusal names the rule it enforces, so an
integration can tell "already credited" from "settled as excess funds" without reading the message."""

# A change order is on a credit memo already (a reduction is refunded once).
ALREADY_CREDITED = "ALREADY_CREDITED"
# A pre- or in-fulfillment reduction (a cancel, a discount before shipping): settled as excess funds,
# never through a credit memo.
SETTLED_AS_EXCESS_FUNDS = "SETTLED_AS_EXCESS_FUNDS"
# The change order does not reduce what is owed (a fee, an increase): nothing to credit.
NOT_A_REDUCTION = "NOT_A_REDUCTION"
# A fulfillment order is invoiced once it has shipped (status Fulfilled), not before.
FULFILLMENT_ORDER_NOT_FULFILLED = "FULFILLMENT_ORDER_NOT_FULFILLED"
# A reshipment's fulfillment order (issue 15) ships at no charge and is never invoiced.
RESHIP_NOT_BILLED = "RESHIP_NOT_BILLED"
# A process exception's step was retried and failed again: the exception stays open, saying why now.
RETRY_FAILED = "RETRY_FAILED"
