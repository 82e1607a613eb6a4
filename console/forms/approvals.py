"""Declining a refund asks why; refunding what remains may say why."""

from django import forms


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why is the refund declined?",
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The agent sees it on the order's timeline. Nothing is refunded now; the order then offers "
        "\u201cRefund remaining\u201d.",
        error_messages={"required": "Say why the refund is declined."},
    )


class RefundRemainingForm(forms.Form):
    reason = forms.CharField(label="Note (optional)", max_length=255, required=False, strip=True)
