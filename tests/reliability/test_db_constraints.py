"""Issue 7, case 2: the database itself refuses a row that breaks a quantity or money invariant.

Each case is a raw UPDATE of one record of a real order (tests/security/world.py) that bypasses every
service; the database must refuse it with IntegrityError naming the constraint, on SQLite and on
PostgreSQL (run with DATABASE_URL). Every CheckConstraint of the apps is either broken here or
listed in STRUCTURAL, so a constraint added later is tested or consciously left out.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import CheckConstraint, F
from django.utils import timezone

from orders.models import (
    Event,
    Exchange,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    InventoryLevel,
    OrderDeliveryGroupSummary,
    OrderItemSummary,
    OrderSummary,
    ReshipmentItem,
    ReturnOrderLineItem,
    ReturnOrderLineItemFee,
    Shipment,
    ShipmentLineItem,
    WebhookDelivery,
    WebhookEndpoint,
)
from payments.models import (
    AgentRefund,
    AgentRefundLimit,
    AuthorizationReversal,
    CreditMemo,
    CreditMemoAppliedToInvoice,
    Invoice,
    InvoiceChangeShare,
    InvoiceLine,
    OrderPaymentSummary,
    Payment,
    PaymentAppliedToInvoice,
    PaymentAuthorization,
    Refund,
)
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

# Not about quantities or money: who links to what, which statuses go together, coordinates.
STRUCTURAL = {
    "change_order_has_summary",
    "location_latitude_range",
    "location_longitude_range",
    "fo_status_matches_category",
    "operation_finished_when_final",
    "agent_refund_pending_undecided",
    "agent_refund_declined_with_reason",
    "refund_credit_memo_part_needs_memo",
    "outbox_done_at_iff_finished",
    # Issue 16's: pickup groups name their store, hold rules have a condition; the rejection quantity
    # and the split limit are checked by their own tests in tests/fulfillment (no broken-row case here yet).
    "odgs_pickup_has_location",
    "odg_pickup_has_location",
    "hold_rule_has_condition",
    "fo_rejection_quantity_positive",
    "routing_policy_max_splits",
    # Issue 13 point 8: a move record names a line exactly when it is a line cancel (with units).
    "fo_move_line_matches_kind",
}


def exchange(world):
    """The exchange of the world's last B (issue 15), made once through the service."""
    from orders.calculations.exchange import ExchangeInput, ExchangeItemInput, ReplacementInput
    from orders.services.exchanges import submit_exchange

    existing = Exchange.objects.filter(original_summary_id=world.summary).first()
    if existing is not None:
        return existing.pk
    replacement = ReplacementInput(stock_keeping_unit="B-BLUE", name="B in blue", quantity=D(1), unit_price=D("5.00"))
    result = submit_exchange(
        world.summary,
        ExchangeInput(
            items=(
                ExchangeItemInput(
                    order_item_summary_id=world.b, quantity=D(1), reason="Wrong Item", replacement=replacement
                ),
            )
        ),
        actor=None,
    )
    return result.exchange_id


def change_share(world):
    """A (zero) share of the world's return on its invoice's first line: the row the update breaks."""
    from orders.models import OrderItem

    line = InvoiceLine.objects.filter(invoice_id=world.invoice).first()
    return InvoiceChangeShare.objects.create(
        invoice_id=world.invoice,
        invoice_line=line,
        change_order_item=OrderItem.objects.filter(order_id=world.change_order).first(),
    ).pk


def reversal(world):
    return AuthorizationReversal.objects.create(
        order_payment_summary_id=world.ops,
        authorization_id=world.authorization,
        amount=D("1.00"),
        currency="USD",
        status="Failed",
    ).pk


def netting(world):
    return CreditMemoAppliedToInvoice.objects.create(
        credit_memo_id=world.memo, invoice_id=world.invoice, amount=D("1.00")
    ).pk


def reship_item(world):
    """A reshipment of 1 × A recorded raw (the service would also place it): the row the update breaks."""
    from orders.models import Reshipment

    reshipment = Reshipment.objects.create(order_summary_id=world.summary)
    return ReshipmentItem.objects.create(
        reshipment=reshipment, order_item_summary_id=world.a, quantity=1, reason="Damaged"
    ).pk


def approval(world):
    user, _ = User.objects.get_or_create(username="agent")
    return AgentRefund.objects.create(
        order_summary_id=world.summary,
        kind="return",
        change_order_ids=[world.change_order],
        amount=D("43.20"),
        credit_amount=D("43.20"),
        excess_amount=D("0"),
        currency="USD",
        requested_by=user,
    ).pk


# (constraint, model, the record of the world, the raw update). Item A of the world: ordered 5,
# allocated 4, shipped 3, 1 expected back; its line is 5 × 10.00 = 50.00.
CASES = [
    ("ois_ordered_not_negative", OrderItemSummary, lambda w: w.a, {"quantity_ordered": -1}),
    ("ois_canceled_allocated_not_negative", OrderItemSummary, lambda w: w.a, {"quantity_canceled": -1}),
    # 2 canceled + 4 allocated = 6 > 5 ordered
    ("ois_canceled_plus_allocated_within_ordered", OrderItemSummary, lambda w: w.a, {"quantity_canceled": 2}),
    ("ois_fulfilled_within_allocated", OrderItemSummary, lambda w: w.a, {"quantity_fulfilled": 5}),
    # 2 returned of 1 expected back
    ("ois_returned_within_initiated_within_fulfilled", OrderItemSummary, lambda w: w.a, {"quantity_returned": 2}),
    # 4 reshipped of 3 shipped
    ("ois_reshipped_within_fulfilled", OrderItemSummary, lambda w: w.a, {"quantity_reshipped": 4}),
    ("reship_item_quantity_positive", ReshipmentItem, reship_item, {"quantity": 0}),
    ("ois_line_amounts_not_negative", OrderItemSummary, lambda w: w.a, {"total_line_tax_amount": D("-0.01")}),
    ("ois_adjustments_not_positive", OrderItemSummary, lambda w: w.a, {"total_adjustment_amount": D("0.01")}),
    # 50.00 − 50.01 < 0
    ("ois_total_price_not_negative", OrderItemSummary, lambda w: w.a, {"total_adjustment_amount": D("-50.01")}),
    ("os_totals_not_negative", OrderSummary, lambda w: w.summary, {"grand_total_amount": D("-0.01")}),
    ("odgs_totals_not_negative", OrderDeliveryGroupSummary, lambda w: w.group, {"total_tax_amount": D("-0.01")}),
    (
        "inventory_reserved_within_on_hand",
        InventoryLevel,
        lambda w: InventoryLevel.objects.get(location_id=w.location, sku="A").pk,
        {"quantity_reserved": F("quantity_on_hand") + 1},
    ),
    ("fo_totals_not_negative", FulfillmentOrder, lambda w: w.live_fo, {"total_amount": D("-0.01")}),
    (
        "fo_line_quantity_within_original",
        FulfillmentOrderLineItem,
        lambda w: w.live_fo_line,
        {"quantity": F("original_quantity") + 1},
    ),
    # 2 shipped of the 1 the line holds
    (
        "fo_line_shipped_within_quantity",
        FulfillmentOrderLineItem,
        lambda w: w.live_fo_line,
        {"quantity_shipped": F("quantity") + 1},
    ),
    (
        "shipment_line_quantity_positive",
        ShipmentLineItem,
        lambda w: ShipmentLineItem.objects.get(shipment_id=w.shipment).pk,
        {"quantity": 0},
    ),
    (
        "shipment_delivered_after_shipped",
        Shipment,
        lambda w: w.shipment,
        {"delivered_at": F("shipped_at") - timedelta(days=1)},
    ),
    (
        "fo_line_amounts_not_negative",
        FulfillmentOrderLineItem,
        lambda w: w.live_fo_line,
        {"total_line_amount": D("-0.01")},
    ),
    (
        "fo_line_adjustments_not_positive",
        FulfillmentOrderLineItem,
        lambda w: w.live_fo_line,
        {"total_adjustment_tax_amount": D("0.01")},
    ),
    # 1 rejected of the 0 units taken off the line
    ("fo_line_rejected_within_taken_off", FulfillmentOrderLineItem, lambda w: w.live_fo_line, {"quantity_rejected": 1}),
    ("rol_quantities_not_negative", ReturnOrderLineItem, lambda w: w.return_line, {"quantity_received": -1}),
    # 2 returned of 1 expected
    ("rol_processed_within_expected", ReturnOrderLineItem, lambda w: w.return_line, {"quantity_returned": 2}),
    # 1 rejected of 0 received
    ("rol_rejected_within_received", ReturnOrderLineItem, lambda w: w.return_line, {"quantity_rejected": 1}),
    (
        "rol_fee_amount_positive",
        ReturnOrderLineItemFee,
        lambda w: (
            ReturnOrderLineItemFee.objects.create(line_id=w.return_line, amount=D(10), amount_type="Percentage").pk
        ),
        {"amount": 0},
    ),
    ("invoice_totals_positive", Invoice, lambda w: w.invoice, {"total_tax_amount": D("-0.01")}),
    ("invoice_balance_within_total", Invoice, lambda w: w.invoice, {"balance": F("total_amount_with_tax") + 1}),
    (
        "invoice_total_is_charges_plus_adjustments",
        Invoice,
        lambda w: w.invoice,
        {"total_charge_amount": F("total_charge_amount") + D("0.01")},
    ),
    (
        "invoice_line_not_negative",
        InvoiceLine,
        lambda w: InvoiceLine.objects.filter(invoice_id=w.invoice).first().pk,
        {"charge_amount": D("-0.01")},
    ),
    ("invoice_change_share_reduces", InvoiceChangeShare, change_share, {"adjustment_amount": D("0.01")}),
    ("reversal_amount_positive", AuthorizationReversal, reversal, {"amount": 0}),
    ("netting_amount_positive", CreditMemoAppliedToInvoice, netting, {"amount": 0}),
    ("credit_memo_totals_positive", CreditMemo, lambda w: w.memo, {"total_amount_with_tax": 0}),
    ("credit_memo_balance_within_total", CreditMemo, lambda w: w.memo, {"balance": D("-0.01")}),
    (
        "credit_memo_total_is_charges_plus_adjustments",
        CreditMemo,
        lambda w: w.memo,
        {"total_amount": F("total_amount") + D("0.01")},
    ),
    (
        "application_sign_matches_type",
        PaymentAppliedToInvoice,
        lambda w: PaymentAppliedToInvoice.objects.filter(invoice_id=w.invoice, type="Applied").first().pk,
        {"amount": D("-0.01")},
    ),
    (
        "refund_amount_positive",
        Refund,
        lambda w: Refund.objects.get().pk,
        {"amount": 0, "credit_memo_amount": 0, "from_balance_amount": 0},
    ),
    (
        "refund_credit_memo_part_within_amount",
        Refund,
        lambda w: Refund.objects.get().pk,
        {"credit_memo_amount": F("amount") + D("0.01")},
    ),
    (
        "refund_balance_part_within_amount",
        Refund,
        lambda w: Refund.objects.get().pk,
        {"from_balance_amount": F("amount") + D("0.01")},
    ),
    ("ops_amounts_not_negative", OrderPaymentSummary, lambda w: w.ops, {"authorization_reversal_amount": D("-0.01")}),
    (
        "ops_captured_within_authorized",
        OrderPaymentSummary,
        lambda w: w.ops,
        {"pending_capture_amount": F("authorization_amount")},
    ),
    (
        "ops_refunded_within_captured",
        OrderPaymentSummary,
        lambda w: w.ops,
        {"pending_refund_amount": F("captured_amount")},
    ),
    (
        "ops_balance_within_net_captured",
        OrderPaymentSummary,
        lambda w: w.ops,
        {"balance_amount": F("captured_amount") - F("refunded_amount") + D("0.01")},
    ),
    ("authorization_amount_positive", PaymentAuthorization, lambda w: w.authorization, {"amount": 0}),
    (
        "payment_amount_positive",
        Payment,
        lambda w: Payment.objects.get(kind="Capture").pk,
        {"amount": 0, "balance": 0, "refunded_amount": 0, "pending_refund_amount": 0},
    ),
    (
        "payment_balance_within_amount",
        Payment,
        lambda w: Payment.objects.get(kind="Capture").pk,
        {"balance": D("-0.01")},
    ),
    (
        "payment_refunds_within_amount",
        Payment,
        lambda w: Payment.objects.get(kind="Capture").pk,
        {"pending_refund_amount": F("amount")},
    ),
    ("agent_refund_amount_positive", AgentRefund, approval, {"amount": 0, "credit_amount": 0}),
    (
        "agent_refund_parts_not_negative",
        AgentRefund,
        approval,
        {"credit_amount": D("-1.00"), "excess_amount": D("44.20")},
    ),
    ("agent_refund_amount_is_its_parts", AgentRefund, approval, {"amount": D("43.21")}),
    (
        "agent_refund_limit_not_negative",
        AgentRefundLimit,
        lambda w: AgentRefundLimit.objects.get(currency="USD").pk,
        {"amount": D("-0.01")},
    ),
    # Last: the exchange adds refunds and a summary the cases above count on being alone.
    ("exchange_amounts_not_negative", Exchange, exchange, {"amount_to_refund": D("-0.01")}),
    ("exchange_replacement_paid", Exchange, exchange, {"amount_to_charge": F("amount_to_charge") + D("0.01")}),
    ("exchange_not_of_itself", Exchange, exchange, {"exchange_summary_id": F("original_summary_id")}),
    # Issue 17: events and webhooks.
    (
        "event_sequence_positive",
        Event,
        lambda w: Event.objects.filter(order_summary_id=w.summary).first().pk,
        {"sequence": 0},
    ),
    (
        "webhook_endpoint_active_not_disabled",
        WebhookEndpoint,
        lambda w: w.webhook_endpoint,
        {"disabled_at": timezone.now()},
    ),
    (
        "webhook_delivery_succeeded_has_date",
        WebhookDelivery,
        lambda w: w.webhook_delivery,
        {"status": "Succeeded", "delivered_at": None},
    ),
]


# A negative ordered quantity always breaks "canceled + allocated ≤ ordered" too; either may be named.
ALSO_NAMED = {"ois_ordered_not_negative": "ois_canceled_plus_allocated_within_ordered"}


def every_check_constraint() -> set[str]:
    return {
        constraint.name
        for app in ("orders", "payments", "console")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, CheckConstraint)
    }


def test_every_check_constraint_is_broken_here_or_structural():
    assert {name for name, *_ in CASES} | STRUCTURAL == every_check_constraint()


def test_each_raw_update_breaking_an_invariant_is_refused_by_the_database():
    world = build_world("Web US", "US")
    accepted = {}
    for name, model, record, changes in CASES:
        pk = record(world)
        before = model.objects.filter(pk=pk).values().get()
        try:
            with transaction.atomic():
                model.objects.filter(pk=pk).update(**changes)
        except IntegrityError as refused:
            if name not in str(refused) and ALSO_NAMED.get(name, name) not in str(refused):
                accepted[name] = f"refused, but naming another constraint: {refused}"
        else:
            accepted[name] = "the database accepted it"
        assert model.objects.filter(pk=pk).values().get() == before
    assert accepted == {}
    # The rows some cases wrote only to break them are no part of the world's ledger: gone before the money
    # check every reliability test ends with (tests/reliability/conftest.py).
    CreditMemoAppliedToInvoice.objects.all().delete()
    AuthorizationReversal.objects.all().delete()
    InvoiceChangeShare.objects.all().delete()


def test_the_same_updates_within_the_invariants_are_accepted():
    """The refusals above are about the invariants, not the columns: values on the right side of each
    bound go through (A: 1 canceled + 4 allocated = 5 ordered; 1 returned of 1 expected back)."""
    world = build_world("Web US", "US")
    with transaction.atomic():
        OrderItemSummary.objects.filter(pk=world.a).update(
            quantity_canceled=1, quantity_fulfilled=4, quantity_returned=1, total_adjustment_amount=D("-50.00")
        )
        Invoice.objects.filter(pk=world.invoice).update(balance=F("total_amount_with_tax"))
        OrderPaymentSummary.objects.filter(pk=world.ops).update(
            pending_capture_amount=F("authorization_amount") - F("captured_amount")
        )
        transaction.set_rollback(True)
