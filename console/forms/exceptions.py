from django import forms

from orders.models import ProcessExceptionCategory, ProcessExceptionSeverity, ProcessExceptionStatus

# What an agent may set from the queue; Paused and Voided belong to the automation.
QUEUE_STATUS_MOVES = [
    (ProcessExceptionStatus.TRIAGED, "Triaged"),
    (ProcessExceptionStatus.RESOLVED, "Resolved"),
    (ProcessExceptionStatus.IGNORED, "Ignored"),
]


class ExceptionFilterForm(forms.Form):
    category = forms.ChoiceField(required=False, choices=[("", "Any category"), *ProcessExceptionCategory.choices])
    severity = forms.ChoiceField(required=False, choices=[("", "Any severity"), *ProcessExceptionSeverity.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ProcessExceptionStatus.choices])
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ExceptionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=QUEUE_STATUS_MOVES)
