from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from orders.models import OrderSummaryStatus, SalesChannel

# Order dates the search takes: a date outside them would be a typo, and the calendar's last day has no
# day after it to search up to.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def date_field(label: str) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        validators=[
            MinValueValidator(EARLIEST_DATE, message=f"Enter a date on or after {EARLIEST_DATE.isoformat()}."),
            MaxValueValidator(LATEST_DATE, message=f"Enter a date on or before {LATEST_DATE.isoformat()}."),
        ],
        widget=forms.DateInput(
            attrs={"type": "date", "min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}
        ),
    )


class OrderSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=120,
        label="Order number, customer name or email",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *OrderSummaryStatus.choices])
    channel = forms.ModelChoiceField(
        required=False,
        queryset=SalesChannel.objects.order_by("name"),
        empty_label="Any channel",
        label="Sales channel",
    )
    date_from = date_field("Ordered from")
    date_to = date_field("Ordered to")
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data
