"""The Return order wizard's first step and the Receive screen (issue 15). The forms check what a person
typed; whether the order allows it is orders.services.return_orders' answer, mapped back onto the fields."""

import re
from datetime import date, datetime, time
from decimal import Decimal

from django import forms
from django.utils import timezone

from console.forms.units import UnitsForm
from orders.calculations.inputs import FeeAmountType, FeeInput
from orders.item_rules import may_return
from orders.models import Location, OrderItemSummary
from orders.services.return_orders import ReturnItemInput, ReturnOrderInput, ReturnOrderLineInput

NO_FEE = ""
FEE_CHOICES = [
    (NO_FEE, "No fee"),
    (FeeAmountType.PERCENTAGE, "Percentage of the returned units' price (tax in proportion)"),
    (FeeAmountType.AMOUNT_WITHOUT_TAX, "Amount per line before tax (tax added at the item's rate)"),
    (FeeAmountType.AMOUNT_WITH_TAX, "Amount per line including tax"),
]


def returnable_items(items: list[OrderItemSummary]) -> list[OrderItemSummary]:
    return [item for item in items if may_return(item)]


class ReturnOrderForm(UnitsForm):
    reason = forms.ChoiceField(label="Reason for return")
    destination = forms.ModelChoiceField(
        label="Goes back to",
        queryset=Location.objects.filter(is_inventory_location=True).order_by("name"),
        help_text="Units received in good condition are restocked here.",
    )
    shipping_reduction = forms.BooleanField(label="Reduce the delivery charge in proportion", required=False)
    fee_type = forms.ChoiceField(label="Restocking fee", choices=FEE_CHOICES, required=False)
    fee_amount = forms.DecimalField(
        label="Fee (percent or amount)", required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=4
    )
    fee_description = forms.CharField(label="Fee description", required=False, max_length=255, initial="Restocking fee")
    expected_arrival_date = forms.DateField(
        label="Expected arrival (optional)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    unit_label = "Units of {name} expected back"

    @staticmethod
    def most(item: OrderItemSummary) -> Decimal:
        return item.quantity_available_to_return

    def clean(self):
        data = super().clean()
        if data.get("fee_type") and not data.get("fee_amount"):
            self.add_error("fee_amount", "Enter the fee, or choose No fee.")
        return data

    def request(self) -> dict:
        data = self.cleaned_data
        arrival = data.get("expected_arrival_date")
        return {
            "rows": self.chosen_rows(),
            "reason": data["reason"],
            "destination": data["destination"].pk,
            "shipping_reduction": bool(data.get("shipping_reduction")),
            "fee_type": data.get("fee_type") or NO_FEE,
            "fee_amount": f"{data['fee_amount']:f}" if data.get("fee_type") and data.get("fee_amount") else "",
            "fee_description": data.get("fee_description") or "",
            "expected_arrival_date": arrival.isoformat() if arrival else "",
        }


def return_order_input(summary_id: int, request: dict) -> ReturnOrderInput:
    fees = ()
    if request["fee_type"]:
        fees = (
            FeeInput(
                amount=Decimal(request["fee_amount"]),
                amount_type=request["fee_type"],
                description=request["fee_description"],
            ),
        )
    arrival = None
    if request["expected_arrival_date"]:
        arrival = timezone.make_aware(datetime.combine(date.fromisoformat(request["expected_arrival_date"]), time(12)))
    return ReturnOrderInput(
        order_summary_id=summary_id,
        destination_location_id=request["destination"],
        expected_arrival_date=arrival,
        lines=tuple(
            ReturnOrderLineInput(pk, Decimal(quantity), request["reason"], request["shipping_reduction"], fees)
            for pk, quantity in request["rows"]
        ),
    )


def initial_of(request: dict) -> dict:
    data = {f"item-{pk}": quantity for pk, quantity in request["rows"]}
    data.update(
        reason=request["reason"],
        destination=request["destination"],
        fee_type=request["fee_type"],
        fee_amount=request["fee_amount"],
        fee_description=request["fee_description"],
        expected_arrival_date=request["expected_arrival_date"],
    )
    if request["shipping_reduction"]:
        data["shipping_reduction"] = "on"
    return data


_LINE_PATH = re.compile(r"^returnOrderLineItems\[(\d+)\]\.(\w+)")
_LINE_FIELDS = {
    "reasonForReturn": "reason",
    "canReduceShipping": "shipping_reduction",
    "returnOrderLineItemFees": "fee_amount",
}


def field_for(path: str | None, request: dict, form: forms.Form) -> str | None:
    if path == "destinationLocationId":
        return "destination"
    match = _LINE_PATH.match(path or "")
    if not match:
        return None
    index, key = int(match.group(1)), match.group(2)
    if key in _LINE_FIELDS:
        return _LINE_FIELDS[key]
    if index < len(request["rows"]):
        name = f"item-{request['rows'][index][0]}"
        return name if name in form.fields else None
    return None


# --- Receive ------------------------------------------------------------------------------------------------


class ReceiveForm(forms.Form):
    """Per line still expected: units received in good condition (returned, refunded and restocked), units
    received and rejected (not refunded, not restocked: they go back to the customer) and units no longer
    expected."""

    def __init__(self, lines, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            for name, label in (
                ("restock", "received in good condition: refund and restock"),
                ("reject", "received and rejected: no refund, not restocked"),
                ("cancel", "no longer expected"),
            ):
                self.fields[f"{name}-{line.pk}"] = forms.DecimalField(
                    label=f"Units of {line.name} {label}",
                    required=False,
                    min_value=Decimal(0),
                    max_digits=12,
                    decimal_places=2,
                    max_value=line.expected,
                )
            self.fields[f"why-{line.pk}"] = forms.CharField(
                label=f"Why units of {line.name} were rejected", required=False, max_length=255
            )

    def line_rows(self):
        return [
            (
                line,
                self[f"restock-{line.pk}"],
                self[f"reject-{line.pk}"],
                self[f"cancel-{line.pk}"],
                self[f"why-{line.pk}"],
            )
            for line in self.lines
        ]

    def clean(self):
        data = super().clean()
        chosen = False
        for line in self.lines:
            units = [data.get(f"{name}-{line.pk}") or Decimal(0) for name in ("restock", "reject", "cancel")]
            if sum(units) > line.expected:
                self.add_error(
                    f"restock-{line.pk}", f"At most {line.expected.normalize():f} units are expected on this line."
                )
            if units[1] and not (data.get(f"why-{line.pk}") or "").strip():
                self.add_error(f"why-{line.pk}", "Say why the units were rejected: the customer is told.")
            chosen = chosen or sum(units) > 0
        if not chosen and not self.errors:
            raise forms.ValidationError(
                "Enter what arrived (or is no longer expected) on at least one line.", code="nothing_chosen"
            )
        return data

    def items(self) -> list[ReturnItemInput]:
        data = self.cleaned_data
        found = []
        for line in self.lines:
            restock, reject, cancel = (
                data.get(f"{name}-{line.pk}") or Decimal(0) for name in ("restock", "reject", "cancel")
            )
            if restock + reject + cancel > 0:
                found.append(
                    ReturnItemInput(
                        return_order_line_item_id=line.pk,
                        quantity_returned=restock,
                        quantity_rejected=reject,
                        quantity_to_cancel=cancel,
                        quantity_received=restock + reject,
                        reason_for_rejection=(data.get(f"why-{line.pk}") or "").strip() if reject else "",
                    )
                )
        return found
