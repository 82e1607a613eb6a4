"""Fulfillment actions: one new fulfillment order at a time, a status move, line cancellations."""

import re
from decimal import Decimal

from django import forms

from orders.models import FulfillmentOrderStatus, FulfillmentOrderType, Location, OrderItemSummary
from orders.money import QUANTITY_DECIMAL_PLACES
from orders.selectors.summaries import parse_id
from orders.services.fulfillment_status import is_allowed_move


class CreateFulfillmentOrderForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.order_by("name"), label="Ship from")
    fulfillment_type = forms.ChoiceField(choices=FulfillmentOrderType.choices, label="Fulfillment type")

    def __init__(self, items: list[OrderItemSummary], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item-{item.pk}"] = forms.DecimalField(
                label=f"Units of {item.name}",
                required=False,
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=2,
            )

    def item_rows(self):
        return [(item, self[f"item-{item.pk}"]) for item in self.items]

    def clean(self):
        data = super().clean()
        if not any(data.get(f"item-{item.pk}") for item in self.items) and not self.errors:
            raise forms.ValidationError("Enter the units to place for at least one item.")
        return data

    def chosen(self) -> list[tuple[int, Decimal]]:
        return [
            (item.pk, self.cleaned_data[f"item-{item.pk}"])
            for item in self.items
            if self.cleaned_data.get(f"item-{item.pk}")
        ]

    def add_service_error(self, path: str | None, message: str, chosen: list[tuple[int, Decimal]]) -> None:
        """`fulfillmentGroups[0].orderItemSummaries[1].quantity` → the second chosen item's field."""
        match = re.search(r"orderItemSummaries\[(\d+)\]", path or "")
        if match and int(match.group(1)) < len(chosen):
            self.add_error(f"item-{chosen[int(match.group(1))][0]}", message)
        elif path and path.endswith("fulfilledFromLocationId"):
            self.add_error("location", message)
        else:
            self.add_error(None, message)


def allowed_statuses(current: str, fulfillment_type: str | None = None) -> list[str]:
    """The statuses a fulfillment order may move to from `current` (DOMAIN.md §5.3); given its type, the
    pickup statuses for an In Store Pickup only, which never becomes Fulfilled (issue 16)."""
    pickup_only = {FulfillmentOrderStatus.READY_FOR_PICKUP, FulfillmentOrderStatus.PICKED_UP}
    return [
        status
        for status in FulfillmentOrderStatus.values
        if status != current
        and is_allowed_move(current, status)
        and (
            fulfillment_type is None
            or (
                status not in pickup_only
                if fulfillment_type != FulfillmentOrderType.IN_STORE_PICKUP
                else status != FulfillmentOrderStatus.FULFILLED
            )
        )
    ]


class StatusMoveForm(forms.Form):
    status = forms.ChoiceField(choices=FulfillmentOrderStatus.choices)
    # Asked on the confirm step only (moves back, reject, cancel); `confirm` marks that step's submit.
    reason = forms.CharField(
        label="Reason (kept with the move, shown in the timeline)",
        max_length=255,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"required": "required"}),
    )
    confirm = forms.BooleanField(required=False)

    def confirmed(self) -> bool:
        """The confirm step was submitted with a reason; a confirm without one gets the field's error."""
        if not self.cleaned_data.get("confirm"):
            return False
        if not self.cleaned_data.get("reason"):
            self.add_error("reason", "Give a reason: it is kept with the move and shown in the timeline.")
            return False
        return True


# Units to cancel on one line: what the quantity columns hold (12 digits, 2 decimals), never NaN or infinite.
_UNITS = forms.DecimalField(min_value=Decimal(0), max_digits=12, decimal_places=QUANTITY_DECIMAL_PLACES)


def units_to_cancel(post) -> list[tuple[int, Decimal]]:
    """(line id, units) for each `line-<id>` field of the cancel-lines form with units in it.

    Raises forms.ValidationError naming the first field that is no line id or no number of units:
    the page's number inputs never send one, so it is a crafted request.
    """
    chosen = []
    for key, value in post.items():
        if not key.startswith("line-") or not value.strip():
            continue
        line_id = parse_id(key.removeprefix("line-"))
        if line_id is None:
            raise forms.ValidationError(f"{_shown(key)} names no line of this fulfillment order.")
        try:
            units = _UNITS.clean(value.strip())
        except forms.ValidationError as error:
            raise forms.ValidationError(
                f"{_shown(value)} is not a number of units to cancel: {' '.join(error.messages)}"
            ) from None
        if units:
            chosen.append((line_id, units))
    return chosen


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")
