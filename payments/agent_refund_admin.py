"""Admin for agent refunds (read-only: supervisors decide them in the console, through the service) and
the per-currency agent refund limits (editable: that is where they are set)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from orders.admin.mixins import ReadOnlyAdminMixin, money_column
from orders.money import is_rounded, quantum
from payments.models import AgentRefund, AgentRefundLimit


class AgentRefundLimitForm(forms.ModelForm[AgentRefundLimit]):
    class Meta:
        model = AgentRefundLimit
        fields = ["currency", "amount"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        currency, amount = (data.get("currency") or "").upper(), data.get("amount")
        if len(currency) != 3 or not currency.isalpha():
            self.add_error("currency", "Enter a three-letter ISO 4217 code, e.g. USD.")
        elif amount is not None:
            if amount < 0:
                self.add_error("amount", "A limit cannot be negative.")
            elif not is_rounded(amount, currency):
                self.add_error("amount", f"{currency} has no amounts smaller than {quantum(currency)}.")
        return data


@admin.register(AgentRefundLimit)
class AgentRefundLimitAdmin(admin.ModelAdmin[AgentRefundLimit]):
    form = AgentRefundLimitForm
    list_display = [
        "currency",
        money_column("amount", "Limit per order summary and day", ordering="amount"),
        "updated_at",
    ]
    search_fields = ["currency"]
    fields = ["currency", "amount"]

    def save_model(
        self, request: HttpRequest, obj: AgentRefundLimit, form: forms.ModelForm[AgentRefundLimit], change: bool
    ) -> None:
        obj.currency = obj.currency.upper()
        super().save_model(request, obj, form, change)


@admin.register(AgentRefund)
class AgentRefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AgentRefund]):
    list_display = [
        "order_summary",
        "kind",
        money_column("amount", "Amount", ordering="amount"),
        "status",
        "requested_by",
        "requested_by_client",
        "decided_by",
        "created_at",
        "decided_at",
    ]
    list_filter = ["status", "kind", "currency"]
    search_fields = ["order_summary__order_number", "requested_by__username", "decided_by__username"]
    list_select_related = ["order_summary", "requested_by", "requested_by_client", "decided_by"]
    date_hierarchy = "created_at"
