"""Orders with real money records for the console's tests: paid at checkout, or shipped and captured."""

from decimal import Decimal

from orders.models import OrderSummary
from tests.builders import ingest, items_by_sku, set_fulfillment_state, worked_example, worked_example_body


def paid_at_checkout() -> OrderSummary:
    """The §6 order (grand total 118.80) paid by a Visa sale of 118.80 at checkout: captured, nothing shipped."""
    body = worked_example_body()
    body["payments"] = [
        {
            "kind": "sale",
            "method": "Visa",
            "gatewayToken": "tok_visa",
            "last4": "4242",
            "amount": Decimal("118.80"),
            "gatewayReference": "sale_we",
        }
    ]
    return ingest(body)


def shipped_and_paid() -> OrderSummary:
    """The §6 order shipped whole, invoiced 118.80 and captured through ensure funds."""
    from payments.services.ensure_funds import submit_ensure_funds
    from payments.services.operation_input import EnsureFundsInput
    from tests.payments.money_builders import invoice_everything, run

    summary = worked_example()
    invoice = invoice_everything(summary)
    for ois in items_by_sku(summary).values():
        set_fulfillment_state(ois, allocated=ois.quantity_ordered, fulfilled=ois.quantity_ordered)
    run(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)))
    return OrderSummary.objects.get(pk=summary.pk)
