"""A form of items with a number of units each (`item-<pk>`), for the wizards of issue 15 (reship, return
order): at most what each item allows, at least one item chosen; the reason is one of the active reason
codes. Whether the order allows the request is the service's answer, not the form's."""

from collections.abc import Callable
from decimal import Decimal

from django import forms

from orders.models import OrderItemSummary, ReasonCode


def reason_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in ReasonCode.objects.filter(is_active=True).values_list("name", flat=True)]


class UnitsForm(forms.Form):
    """Each wizard's form says how many units an item allows, as a static method `most(item)`."""

    reason: forms.ChoiceField
    most: Callable[[OrderItemSummary], Decimal]
    unit_label = "Units of {name}"

    def __init__(self, items: list[OrderItemSummary], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["reason"].choices = reason_choices()
        for item in items:
            self.fields[f"item-{item.pk}"] = forms.DecimalField(
                label=self.unit_label.format(name=item.name),
                required=False,
                min_value=Decimal(0),
                max_digits=12,
                decimal_places=2,
                max_value=self.most(item),
            )

    def item_rows(self):
        return [(item, self[f"item-{item.pk}"]) for item in self.items]

    def clean(self):
        data = super().clean()
        if not self.chosen_rows() and not any(f"item-{item.pk}" in self.errors for item in self.items):
            raise forms.ValidationError("Enter a quantity for at least one item.", code="nothing_chosen")
        return data

    def chosen_rows(self) -> list[list]:
        """[[item summary id, units as text]] of the items given a number of units."""
        data = self.cleaned_data
        return [[item.pk, f"{data[f'item-{item.pk}']:f}"] for item in self.items if data.get(f"item-{item.pk}")]
