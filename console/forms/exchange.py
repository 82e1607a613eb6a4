"""Step 1 of the Exchange wizard: which shipped item comes back, how many, why, and what replaces it.

The form checks what a person typed (numbers, not negative); whether the order allows it is the exchange
service's answer, mapped back onto these fields by `field_for`. The agent types the replacement's tax rate;
the tax is computed at that rate, rounded to the currency, as the storefront would send it.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms

from console.templatetags.console_tags import qty
from orders.calculations.exchange import ExchangeInput, ExchangeItemInput, ReplacementInput, ReplacementTaxInput
from orders.item_rules import may_exchange
from orders.models import OrderItemSummary, ReasonCode
from orders.money import round_money


def returnable_items(items: list[OrderItemSummary]) -> list[OrderItemSummary]:
    return [item for item in items if may_exchange(item)]


@dataclass(frozen=True)
class ExchangeRequest:
    """What the agent asked for, in plain values: kept in the session between preview and submit."""

    item_id: int
    quantity: str
    reason: str
    note: str
    sku: str
    name: str
    new_quantity: str
    unit_price: str
    tax_rate: str
    # Ship the replacement only once the units are received (holdReplacementUntilReturned).
    wait_for_return: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> "ExchangeRequest":
        return cls(**data)

    def tax(self, currency: str) -> Decimal:
        return round_money(
            Decimal(self.unit_price) * Decimal(self.new_quantity) * Decimal(self.tax_rate) / 100, currency
        )

    def exchange_input(self, currency: str) -> ExchangeInput:
        taxes = (
            (ReplacementTaxInput(name="Tax", amount=self.tax(currency), rate=Decimal(self.tax_rate)),)
            if Decimal(self.tax_rate)
            else ()
        )
        return ExchangeInput(
            items=(
                ExchangeItemInput(
                    order_item_summary_id=self.item_id,
                    quantity=Decimal(self.quantity),
                    reason=self.reason,
                    reason_text=self.note,
                    replacement=ReplacementInput(
                        stock_keeping_unit=self.sku,
                        name=self.name,
                        quantity=Decimal(self.new_quantity),
                        unit_price=Decimal(self.unit_price),
                        taxes=taxes,
                    ),
                ),
            ),
            hold_replacement_until_returned=self.wait_for_return,
        )

    def initial(self) -> dict:
        return {
            "item": str(self.item_id),
            "quantity": self.quantity,
            "reason": self.reason,
            "note": self.note,
            "sku": self.sku,
            "name": self.name,
            "new_quantity": self.new_quantity,
            "unit_price": self.unit_price,
            "tax_rate": self.tax_rate,
            "wait_for_return": self.wait_for_return,
        }


def _number(label: str, *, places: int, step: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=places,
        widget=forms.NumberInput(attrs={"step": step, "inputmode": "decimal"}),
        **kwargs,
    )


class ExchangeForm(forms.Form):
    item = forms.ChoiceField(label="Item coming back")
    quantity = _number("Units coming back", places=2, step="1", initial=1)
    reason = forms.ChoiceField(label="Reason")
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the return; at most 255 characters.",
    )
    sku = forms.CharField(label="Replacement SKU", max_length=255)
    name = forms.CharField(label="Replacement name", max_length=255)
    new_quantity = _number("Replacement units", places=2, step="1", initial=1)
    unit_price = _number("Replacement unit price", places=4, step="0.01")
    tax_rate = _number(
        "Tax rate (%)",
        places=4,
        step="0.01",
        initial=0,
        help_text="The replacement's tax is this rate of its price, rounded to the currency.",
    )
    wait_for_return = forms.BooleanField(
        label="Ship the replacement only after the return arrives",
        required=False,
        help_text="A return order expects the units; the new order waits on hold and no money moves until they are "
        "received on the Receive screen.",
    )

    def __init__(self, items: list[OrderItemSummary], currency: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = returnable_items(items)
        self.currency = currency
        self.fields["item"].choices = [
            (str(item.pk), f"{item.name} ({item.sku}) · {qty(item.quantity_available_to_return)} can come back")
            for item in self.items
        ]
        self.fields["reason"].choices = [
            (name, name) for name in ReasonCode.objects.filter(is_active=True).values_list("name", flat=True)
        ]
        self.fields["unit_price"].label = f"Replacement unit price ({currency})"

    def exchange_request(self) -> ExchangeRequest:
        data = self.cleaned_data
        return ExchangeRequest(
            item_id=int(data["item"]),
            quantity=f"{data['quantity']:f}",
            reason=data["reason"],
            note=data.get("note", ""),
            sku=data["sku"],
            name=data["name"],
            new_quantity=f"{data['new_quantity']:f}",
            unit_price=f"{data['unit_price']:f}",
            tax_rate=f"{data['tax_rate']:f}",
            wait_for_return=bool(data.get("wait_for_return")),
        )


_PATH = re.compile(r"^exchangeItems\[\d+\]\.(.+)$")
_FIELDS = {
    "quantity": "quantity",
    "orderItemSummaryId": "item",
    "reason": "reason",
    "reasonForChangeText": "note",
    "replacement.stockKeepingUnit": "sku",
    "replacement.name": "name",
    "replacement.quantity": "new_quantity",
    "replacement.unitPrice": "unit_price",
}


def field_for(path: str | None) -> str | None:
    """The form field a service error's path (`exchangeItems[0].replacement.unitPrice`) is about; None for the
    form as a whole."""
    match = _PATH.match(path or "")
    if not match:
        return None
    key = match.group(1)
    if key.startswith("replacement.taxes"):
        return "tax_rate"
    return _FIELDS.get(key)
