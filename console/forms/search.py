from django import forms

from orders.models import OrderSummaryStatus, SalesChannel


class OrderSearchForm(forms.Form):
    q = forms.CharField(
        required=False, max_length=120, label="Order number, customer name or email",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *OrderSummaryStatus.choices])
    channel = forms.ModelChoiceField(
        required=False, queryset=SalesChannel.objects.order_by("name"), empty_label="Any channel",
        label="Sales channel",
    )
    date_from = forms.DateField(required=False, label="Ordered from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="Ordered to", widget=forms.DateInput(attrs={"type": "date"}))
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data
