"""Step 1 of the Cancel, Return and Adjust wizards: which items, how many or how much, and why.

The form checks only what a person typed (a number, not negative, at least one item). Whether the
order allows it is the change services' answer, mapped back onto these fields by `field_for`.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms

from orders.calculations.inputs import (
    AdjustInput,
    AdjustItemInput,
    AdjustmentType,
    AllocatedItemsChangeOrderType,
    CancelOrderInput,
    ChangeItemInput,
)
from orders.item_rules import CANCELABLE_TYPES, may_adjust, may_cancel, may_return
from orders.models import FulfillmentOrderStatus, OrderItemSummary, ReasonCode

CANCEL = "cancel"
RETURN = "return"
ADJUST = "adjust"
CANCEL_ORDER = "cancel-order"
KINDS = (CANCEL, RETURN, ADJUST, CANCEL_ORDER)

TITLES = {CANCEL: "Cancel items", RETURN: "Return items", ADJUST: "Adjust prices", CANCEL_ORDER: "Cancel order"}
# Fulfillment orders whose units an agent may still cancel (with the checkbox): not yet picked.
BEFORE_PICKING = (FulfillmentOrderStatus.DRAFT, FulfillmentOrderStatus.ALLOCATED, FulfillmentOrderStatus.ASSIGNED)

ADJUSTMENT_TYPE_CHOICES = [
    (AdjustmentType.AMOUNT_WITHOUT_TAX, "Amount before tax (tax is reduced at the item's rate)"),
    (AdjustmentType.AMOUNT_WITH_TAX, "Amount including tax"),
    (AdjustmentType.PERCENTAGE, "Percentage of the item's price"),
]
MODE_CHOICES = [
    (AllocatedItemsChangeOrderType.DISALLOWED, "Units not yet allocated and units shipped (not units being fulfilled)"),
    (AllocatedItemsChangeOrderType.IN_FULFILLMENT, "Every unit, with a separate change for units being fulfilled"),
    (AllocatedItemsChangeOrderType.PRE_FULFILLMENT, "Every unit, units being fulfilled counted as not yet shipped"),
]


def eligible_items(
    kind: str, items: list[OrderItemSummary], allocated: dict[int, Decimal] | None = None
) -> list[OrderItemSummary]:
    """The items the wizard offers, read from the quantities the summary derives (DOMAIN.md §1).
    `allocated`: per item, the units on fulfillment orders not yet picked (a cancel may take them too)."""
    allocated = allocated or {}
    if kind in (CANCEL, CANCEL_ORDER):
        return [i for i in items if may_cancel(i) or (i.type in CANCELABLE_TYPES and allocated.get(i.pk, 0) > 0)]
    if kind == RETURN:
        return [i for i in items if may_return(i)]
    return [i for i in items if may_adjust(i)]


def available_of(kind: str, item: OrderItemSummary) -> Decimal:
    if kind in (CANCEL, CANCEL_ORDER):
        return item.quantity_available_to_cancel
    if kind == RETURN:
        return item.quantity_available_to_return
    return item.total_price


@dataclass(frozen=True)
class WizardRequest:
    """What the agent asked for, in plain values: kept in the session between preview and submit."""

    kind: str
    rows: tuple[tuple[int, str], ...]  # (order item summary id, quantity or discount amount as text)
    reason: str
    note: str = ""
    shipping_reduction: bool = False
    adjustment_type: str = ""
    mode: str = ""
    cancel_allocated: bool = False

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": [list(row) for row in self.rows],
            "reason": self.reason,
            "note": self.note,
            "shipping_reduction": self.shipping_reduction,
            "adjustment_type": self.adjustment_type,
            "mode": self.mode,
            "cancel_allocated": self.cancel_allocated,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "WizardRequest":
        return cls(
            kind=data["kind"],
            rows=tuple((int(pk), value) for pk, value in data["rows"]),
            reason=data["reason"],
            note=data.get("note", ""),
            shipping_reduction=bool(data.get("shipping_reduction")),
            adjustment_type=data.get("adjustment_type", ""),
            mode=data.get("mode", ""),
            cancel_allocated=bool(data.get("cancel_allocated")),
        )

    def cancel_order_input(self) -> CancelOrderInput:
        return CancelOrderInput(reason=self.reason, reason_text=self.note)

    def change_items(self) -> list[ChangeItemInput]:
        return [
            ChangeItemInput(
                order_item_summary_id=pk,
                quantity=Decimal(value),
                reason=self.reason,
                shipping_reduction=self.shipping_reduction,
                reason_text=self.note,
            )
            for pk, value in self.rows
        ]

    def adjust_input(self) -> AdjustInput:
        # The agent types the discount as a positive figure; the service takes discounts as negative amounts.
        return AdjustInput(
            items=tuple(
                AdjustItemInput(
                    order_item_summary_id=pk,
                    adjustment_type=self.adjustment_type,
                    amount=-Decimal(value),
                    reason=self.reason,
                    description=self.note,
                )
                for pk, value in self.rows
            ),
            allocated_items_change_order_type=self.mode,
        )

    def initial(self) -> dict:
        """The step-1 form's data again, to change the request after a preview."""
        data = {f"item-{pk}": value for pk, value in self.rows}
        data.update(reason=self.reason, note=self.note)
        if self.kind == ADJUST:
            data.update(adjustment_type=self.adjustment_type, mode=self.mode)
        elif self.shipping_reduction:
            data["shipping_reduction"] = "on"
        if self.cancel_allocated:
            data["cancel_allocated"] = "on"
        return data


class WizardForm(forms.Form):
    reason = forms.ChoiceField(label="Reason")
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the change; at most 255 characters.",
    )

    def __init__(self, kind: str, items: list[OrderItemSummary], *args, allocated: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.allocated = allocated or {}
        # A whole-order cancel takes everything still cancelable: the items are listed, not chosen.
        self.items = [] if kind == CANCEL_ORDER else items
        self.listed = items
        self.fields["reason"].choices = [
            (name, name) for name in ReasonCode.objects.filter(is_active=True).values_list("name", flat=True)
        ]
        for item in self.items:
            if kind == ADJUST:
                field = forms.DecimalField(
                    label=f"Discount on {item.name}",
                    required=False,
                    min_value=Decimal(0),
                    max_digits=14,
                    decimal_places=4,
                    widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
                )
            else:
                most = available_of(kind, item) + (self.allocated.get(item.pk, 0) if kind == CANCEL else 0)
                field = forms.DecimalField(
                    label=f"Units of {item.name}",
                    required=False,
                    min_value=Decimal(0),
                    max_digits=12,
                    decimal_places=2,
                    widget=forms.NumberInput(attrs={"step": "1", "inputmode": "decimal", "max": f"{most:f}"}),
                )
            self.fields[f"item-{item.pk}"] = field
        if kind == ADJUST:
            self.fields["adjustment_type"] = forms.ChoiceField(label="The discount is", choices=ADJUSTMENT_TYPE_CHOICES)
            self.fields["mode"] = forms.ChoiceField(
                label="Spread the discount over",
                choices=MODE_CHOICES,
                widget=forms.RadioSelect,
                initial=AllocatedItemsChangeOrderType.DISALLOWED,
            )
        elif kind != CANCEL_ORDER:
            self.fields["shipping_reduction"] = forms.BooleanField(
                label="Reduce the delivery charge in proportion",
                required=False,
            )
        if kind == CANCEL:
            self.fields["cancel_allocated"] = forms.BooleanField(
                label="Also cancel units allocated to fulfillment orders not yet picked",
                required=False,
                help_text="Their fulfillment-order lines are canceled too (Draft, Allocated or Assigned); units "
                "in picking or later cannot be canceled.",
            )

    def item_rows(self):
        """(item, bound field or None, what is available, units on fulfillment orders not yet picked) for the
        template's table; a whole-order cancel lists its items without fields."""
        if self.kind == CANCEL_ORDER:
            return [(item, None, available_of(self.kind, item), self.allocated.get(item.pk, 0)) for item in self.listed]
        return [
            (item, self[f"item-{item.pk}"], available_of(self.kind, item), self.allocated.get(item.pk, 0))
            for item in self.items
        ]

    def clean(self):
        data = super().clean()
        if self.kind == CANCEL_ORDER:
            return data
        chosen = [item for item in self.items if data.get(f"item-{item.pk}")]
        if not chosen and not any(f"item-{item.pk}" in self.errors for item in self.items):
            raise forms.ValidationError(
                "Enter a quantity for at least one item."
                if self.kind != ADJUST
                else "Enter a discount for at least one item.",
                code="nothing_chosen",
            )
        return data

    def wizard_request(self) -> WizardRequest:
        data = self.cleaned_data
        rows = tuple((item.pk, f"{data[f'item-{item.pk}']:f}") for item in self.items if data.get(f"item-{item.pk}"))
        return WizardRequest(
            kind=self.kind,
            rows=rows,
            reason=data["reason"],
            note=data.get("note", ""),
            shipping_reduction=bool(data.get("shipping_reduction")),
            adjustment_type=data.get("adjustment_type", ""),
            mode=data.get("mode", ""),
            cancel_allocated=bool(data.get("cancel_allocated")),
        )


_PATH = re.compile(r"^(?:changeItems|adjustItems)\[(\d+)\]\.(\w+)$")
_ROW_FIELDS = {
    "quantity": "item",
    "amount": "item",
    "orderItemSummaryId": "item",
    "reason": "reason",
    "reasonForChangeText": "note",
    "description": "note",
    "adjustmentType": "adjustment_type",
    "shippingReductionFlag": "shipping_reduction",
}
_FORM_FIELDS = {"cancelAllocatedQuantity": "cancel_allocated", "reason": "reason", "reasonText": "note"}


def field_for(path: str | None, request: WizardRequest, form: WizardForm) -> str | None:
    """The form field a service error's path (`changeItems[1].quantity`) is about; None for the form."""
    if not path:
        return None
    if path == "allocatedItemsChangeOrderType":
        return "mode" if "mode" in form.fields else None
    if path in _FORM_FIELDS:
        return _FORM_FIELDS[path] if _FORM_FIELDS[path] in form.fields else None
    match = _PATH.match(path)
    if not match:
        return None
    index, key = int(match.group(1)), match.group(2)
    target = _ROW_FIELDS.get(key)
    if target == "item":
        if index >= len(request.rows):
            return None
        name = f"item-{request.rows[index][0]}"
        return name if name in form.fields else None
    return target if target in form.fields else None
