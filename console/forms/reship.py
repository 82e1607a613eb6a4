"""Step 1 of the Reship wizard (issue 15): which shipped units go again, and why. The form checks what a
person typed; whether the units can be reshipped is orders.services.reships' answer, mapped back onto
these fields."""

import re
from decimal import Decimal

from django import forms

from console.forms.units import UnitsForm
from orders.item_rules import may_reship
from orders.models import OrderItemSummary
from orders.services.reships import ReshipItemInput


def reshippable_items(items: list[OrderItemSummary]) -> list[OrderItemSummary]:
    return [item for item in items if may_reship(item)]


class ReshipForm(UnitsForm):
    reason = forms.ChoiceField(label="Reason", initial="Damaged")
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What happened to the parcel; kept with the reshipment.",
    )
    unit_label = "Units of {name} to reship"

    @staticmethod
    def most(item: OrderItemSummary) -> Decimal:
        return item.quantity_available_to_reship

    def request(self) -> dict:
        """What the agent asked for, in plain values (kept in the session between preview and submit)."""
        return {
            "rows": self.chosen_rows(),
            "reason": self.cleaned_data["reason"],
            "note": self.cleaned_data.get("note", ""),
        }


def reship_input(request: dict) -> list[ReshipItemInput]:
    return [
        ReshipItemInput(
            order_item_summary_id=pk, quantity=Decimal(quantity), reason=request["reason"], reason_text=request["note"]
        )
        for pk, quantity in request["rows"]
    ]


def initial_of(request: dict) -> dict:
    data = {f"item-{pk}": quantity for pk, quantity in request["rows"]}
    data.update(reason=request["reason"], note=request["note"])
    return data


_PATH = re.compile(r"^reshipItems\[(\d+)\]\.(\w+)$")


def field_for(path: str | None, request: dict, form: ReshipForm) -> str | None:
    """The form field a service error's path (`reshipItems[0].quantity`) is about; None for the form."""
    match = _PATH.match(path or "")
    if not match:
        return None
    index, key = int(match.group(1)), match.group(2)
    if key == "reason":
        return "reason"
    if key == "reasonForChangeText":
        return "note"
    if index < len(request["rows"]):
        name = f"item-{request['rows'][index][0]}"
        return name if name in form.fields else None
    return None
