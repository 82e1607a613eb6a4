"""The admin shows billing documents, movements, the gateway log and operations, and edits none."""

import pytest
from django.urls import reverse

from payments.models import BackgroundOperation, CreditMemo, Invoice, PaymentGatewayLog, Refund
from payments.services.background_operations import run_operation
from payments.services.credit_memo_create import create_credit_memo
from payments.services.ensure_funds import submit_ensure_funds
from payments.services.ensure_refunds import submit_ensure_refunds
from payments.services.operation_input import EnsureFundsInput, EnsureRefundsInput
from tests.builders import worked_example
from tests.payments.money_builders import invoice_everything, return_one_a

pytestmark = pytest.mark.django_db


@pytest.fixture
def money_records():
    summary = worked_example()
    invoice = invoice_everything(summary)
    run_operation(submit_ensure_funds(summary.pk, EnsureFundsInput(invoice_id=invoice.pk)).pk)
    memo = create_credit_memo(summary.pk, [return_one_a(summary).pk])
    run_operation(submit_ensure_refunds(summary.pk, EnsureRefundsInput(credit_memo_id=memo.pk)).pk)
    return summary


@pytest.mark.parametrize("model", [Invoice, CreditMemo, Refund, PaymentGatewayLog, BackgroundOperation])
def test_lists_and_details_render_read_only(admin_client, money_records, model):
    record = model.objects.first()
    meta = model._meta
    changelist = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert changelist.status_code == 200
    detail = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 403


def test_invoice_list_shows_number_and_money(admin_client, money_records):
    invoice = Invoice.objects.get()
    page = admin_client.get(reverse("admin:payments_invoice_changelist")).content.decode()
    assert invoice.number in page
    assert "118.80 USD" in page
