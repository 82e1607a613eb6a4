"""An order's life through the REST API, for the money rules of issue 12 (docs/money.md).

Every business action goes through the API (ingest, fulfillment orders and their statuses, changes,
invoices, credit memos, ensure funds/refunds); the Celery tasks run in-process once the request's
transaction commits (`django_capture_on_commit_callbacks(execute=True)`), as a worker would run them.
"""

from decimal import Decimal as D

from orders.models import OrderItemSummary, OrderSummary
from payments.models import AuthorizationReversal, CreditMemo, Invoice, OrderPaymentSummary, PaymentGatewayLog
from tests.api.helpers import body_of
from tests.builders import address, ensure_channel, item, order_body
from tests.fulfillment.helpers import make_location, stock

API = "/api/v1/commerce"
SUMMARIES = f"{API}/order-management/order-summaries"
FO = f"{API}/fulfillment/fulfillment-orders"


class Shop:
    def __init__(self, api, capture):
        self.api = api
        self.capture = capture
        self.location = None

    # --- requests ---------------------------------------------------------------------------------

    def call(self, method, path, body=None, *, expect=None):
        with self.capture(execute=True):
            if method == "post":
                response = self.api.post_json(path, body or {})
            elif method == "patch":
                response = self.api.patch(path, body, format="json")
            else:
                response = self.api.get(path)
        if expect is not None:
            assert response.status_code == expect, response.content
        return response

    def post(self, path, body=None, *, expect=None):
        return self.call("post", path, body, expect=expect)

    # --- the order --------------------------------------------------------------------------------

    def order(
        self,
        *,
        currency="USD",
        items=(("A", 2, "40.00", 8), ("B", 1, "20.00", 8)),
        delivery=None,
        payments=None,
        token="tok_visa",
    ) -> OrderSummary:
        """Ingested over the API; one Visa authorization of the grand total unless `payments` says otherwise."""
        group = {
            "referenceId": "g1",
            "deliverTo": address(),
            "deliveryMethod": "Ground",
            "items": [item(sku, qty, price, rate=rate) for sku, qty, price, rate in items],
        }
        if currency != "USD":
            # item() rounds tax to cents: recompute it in the currency's own minor unit.
            from orders.money import round_money

            for line in group["items"]:
                for tax in line["taxes"]:
                    tax["amount"] = round_money(line["quantity"] * line["unitPrice"] * tax["rate"] / 100, currency)
        if delivery is not None:
            amount, tax = delivery
            group["deliveryCharge"] = {
                "amount": D(amount),
                "taxes": [{"name": "Tax", "rate": None, "amount": D(tax)}] if D(tax) else [],
            }
        body = order_body(currency=currency, groups=[group], payments=payments)
        ensure_channel(body["salesChannel"])
        if payments is None:
            body["payments"][0]["gatewayToken"] = token
        response = self.api.post_json(f"{API}/orders", body, key=f"ingest-{body['orderNumber']}")
        assert response.status_code == 201, response.content
        summary = OrderSummary.objects.get(pk=body_of(response)["orderSummaryId"])
        if self.location is None:
            self.location = make_location(f"WH-{summary.pk}")
        stock(self.location.external_reference, **{sku: 100 for sku, *_ in items})
        return summary

    @staticmethod
    def item(summary, sku) -> OrderItemSummary:
        if sku == "Delivery Charge":
            return OrderItemSummary.objects.get(order_summary=summary, type="Delivery Charge")
        return OrderItemSummary.objects.get(order_summary=summary, sku=sku)

    # --- fulfillment ------------------------------------------------------------------------------

    def place(self, summary, lines) -> int:
        """One fulfillment order at the shop's location for [(sku, quantity)]; its id."""
        group = summary.delivery_group_summaries.order_by("id").first()
        body = {
            "orderSummaryId": str(summary.pk),
            "orderDeliveryGroupSummaryId": str(group.pk),
            "fulfillmentGroups": [
                {
                    "fulfilledFromLocationId": str(self.location.pk),
                    "fulfillmentType": "Warehouse",
                    "orderItemSummaries": [
                        {"orderItemSummaryId": str(self.item(summary, sku).pk), "quantity": q} for sku, q in lines
                    ],
                }
            ],
        }
        (fulfillment_order_id,) = body_of(self.post(FO, body, expect=201))["fulfillmentOrderIds"]
        return int(fulfillment_order_id)

    def status(self, fulfillment_order_id, status, *, expect=200):
        return self.call("patch", f"{FO}/{fulfillment_order_id}", {"status": status}, expect=expect)

    def ship(self, fulfillment_order_id):
        return self.status(fulfillment_order_id, "Fulfilled")

    def cancel_line(self, fulfillment_order_id, line_id, quantity, *, expect=200):
        return self.post(
            f"{FO}/{fulfillment_order_id}/actions/cancel-item",
            {"fulfillmentOrderLineItemsToCancel": [{"fulfillmentOrderLineItemId": str(line_id), "quantity": quantity}]},
            expect=expect,
        )

    def create_invoice(self, fulfillment_order_id, *, expect=None):
        return self.post(f"{FO}/{fulfillment_order_id}/actions/create-invoice", {}, expect=expect)

    # --- changes ----------------------------------------------------------------------------------

    def action(self, summary, name, body, *, expect=201):
        return body_of(self.post(f"{SUMMARIES}/{summary.pk}/actions/{name}", body, expect=expect))

    def cancel(self, summary, sku, quantity, *, shipping=False, expect=201):
        return self.action(
            summary,
            "submit-cancel",
            {
                "changeItems": [
                    {
                        "orderItemSummaryId": str(self.item(summary, sku).pk),
                        "quantity": quantity,
                        "reason": "Customer Changed Mind",
                        "shippingReductionFlag": shipping,
                    }
                ]
            },
            expect=expect,
        )

    def return_(self, summary, sku, quantity, *, expect=201):
        return self.action(
            summary,
            "submit-return",
            {
                "changeItems": [
                    {"orderItemSummaryId": str(self.item(summary, sku).pk), "quantity": quantity, "reason": "Damaged"}
                ]
            },
            expect=expect,
        )

    def adjust(self, summary, sku, amount, *, mode="Disallowed", kind="AmountWithoutTax", expect=201):
        return self.action(
            summary,
            "adjust-item-submit",
            {
                "adjustItems": [
                    {
                        "orderItemSummaryId": str(self.item(summary, sku).pk),
                        "adjustmentType": kind,
                        "amount": D(amount),
                        "reason": "Price Match",
                    }
                ],
                "allocatedItemsChangeOrderType": mode,
            },
            expect=expect,
        )

    # --- money ------------------------------------------------------------------------------------

    def credit_memo(self, summary, change_order_ids, *, expect=None):
        return self.post(
            f"{SUMMARIES}/{summary.pk}/actions/create-credit-memo",
            {"changeOrderIds": [str(pk) for pk in change_order_ids]},
            expect=expect,
        )

    def ensure_funds(self, summary, invoice_id):
        return body_of(
            self.post(
                f"{SUMMARIES}/{summary.pk}/async-actions/ensure-funds-async", {"invoiceId": str(invoice_id)}, expect=202
            )
        )

    def ensure_refunds(self, summary, body):
        return body_of(self.post(f"{SUMMARIES}/{summary.pk}/async-actions/ensure-refunds-async", body, expect=202))

    def summary_json(self, summary) -> dict:
        return body_of(self.call("get", f"{SUMMARIES}/{summary.pk}", expect=200))

    def invoice_json(self, invoice_id) -> dict:
        return body_of(self.call("get", f"{API}/invoices/{invoice_id}", expect=200))

    def memo_json(self, memo_id) -> dict:
        return body_of(self.call("get", f"{API}/credit-memos/{memo_id}", expect=200))


# --- reading the ledger -------------------------------------------------------------------------------


def ops_of(summary) -> OrderPaymentSummary:
    return OrderPaymentSummary.objects.get(order_summary=summary)


def money(summary) -> dict:
    """The payment summary's figures, and the documents' totals and balances."""
    ops = ops_of(summary)
    return {
        "authorized": ops.authorization_amount,
        "captured": ops.captured_amount,
        "refunded": ops.refunded_amount,
        "reversed": ops.authorization_reversal_amount,
        "balance": ops.balance_amount,
        "invoices": [(i.total_amount_with_tax, i.balance) for i in Invoice.objects.filter(order_summary=summary)],
        "memos": [(m.total_amount_with_tax, m.balance) for m in CreditMemo.objects.filter(order_summary=summary)],
    }


def reversals(summary) -> list[tuple]:
    return [
        (r.amount, r.status, r.idempotency_key == f"void:{r.pk}")
        for r in AuthorizationReversal.objects.filter(order_payment_summary__order_summary=summary)
    ]


def void_log(summary) -> list[tuple]:
    return [
        (log.interaction_type, log.amount, log.status)
        for log in PaymentGatewayLog.objects.filter(
            order_payment_summary__order_summary=summary, interaction_type="Void"
        ).order_by("id")
    ]
