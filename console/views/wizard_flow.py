"""What the console's choose → preview → submit wizards share (Cancel/Return/Adjust/Cancel order, Exchange,
Reship, Return order): the steps, once, and the one skeleton their pages are drawn in
(templates/console/wizard_base.html).

The steps: the agent chooses (a form); the preview is the service's own, computed on the order as it is, and
what was asked is kept in the session under a one-time token with the order version it was previewed on; the
submit sends exactly that with that version. A change made in between is refused by the service and a fresh
preview shown instead (or the choose step, with the errors, when the choices no longer fit); a second submit
of one token is refused before it reaches the service (console.services.claim_wizard_token).

A wizard is a WizardFlow: it says what its form asks, how its service previews and submits, and what the
preview shows and the agent is told afterwards.
"""

from abc import ABC, abstractmethod

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from console import preview_store
from console.agent_text import agent_message
from console.htmx import wants_partial
from console.selectors import wizard_state
from console.services import claim_wizard_token, record_wizard_outcome, release_wizard_token
from orders.errors import Conflict, ServiceError

SKELETON = "console/wizard_base.html"


def render_wizard(request, template: str, url: str, context: dict):
    """A step of a wizard: its whole page (`template`, which extends the skeleton and defines the partials
    `choose` and `preview`), or for htmx the skeleton's `wizard` partial alone; its forms post to `url`."""
    partial = wants_partial(request)
    context.update(
        wizard_template=template,
        choose_template=f"{template}#choose",
        preview_template=f"{template}#preview",
        wizard_url=url,
        partial=partial,
    )
    return render(request, f"{SKELETON}#wizard" if partial else template, context)


def to_order(request, summary_id, url=None):
    """Back to the order page (htmx is told to load it whole)."""
    url = url or f"/console/orders/{summary_id}/"
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


class WizardFlow(ABC):
    """One wizard's choose → preview → submit. What a wizard asks is its `data`, the object its form makes
    (`asked`); the session keeps it as a dict (`dump`/`load`)."""

    # The token's kind (WizardSubmission.kind) and the session's record of the preview.
    kind: str
    template: str
    title: str
    submit_label: str
    # Where the previews are kept and under which name what was asked.
    session_key: str = preview_store.SESSION_KEY
    stored_as: str = "data"
    # The words of the agent's notices: what the submit makes ("reshipment"), and what a refused submit
    # means ("nothing was reshipped"); a change wizard's texts differ (ChangeWizard).
    what: str
    nothing_done: str
    made = "made"
    check = "check it"

    @property
    def expired_message(self) -> str:
        return (
            f"That preview was already submitted or has expired: no other {self.what} was made. Check the order below."
        )

    @property
    def repeated_message(self) -> str:
        return f"This {self.what} was already submitted once; it was not {self.made} again."

    @property
    def stale_choices(self) -> str:
        """The order changed and the choices no longer fit it: the choose step again."""
        return (
            f"The order changed after your preview, so {self.nothing_done}. Your choices no longer fit it: "
            "correct them below and preview again."
        )

    @property
    def stale_preview(self) -> str:
        """The order changed: a fresh preview on it."""
        return (
            f"The order changed after your preview, so {self.nothing_done}. Here is a fresh preview on the "
            f"current order: {self.check} and submit again."
        )

    # --- What each wizard says -----------------------------------------------------------------------------

    def state(self, pk: int):
        return wizard_state(pk)

    @abstractmethod
    def url(self, summary_id: int) -> str:
        """The wizard's own address on the order `summary_id` (where its steps post)."""

    @abstractmethod
    def form(self, state, **kwargs):
        """The wizard's form on the order as `state` holds it (`kwargs`: Django's data / initial)."""

    @abstractmethod
    def asked(self, form):
        """What the valid form asks for (what the services take, as the wizard's data)."""

    def dump(self, data) -> dict:
        return data

    def load(self, stored: dict):
        return stored

    @abstractmethod
    def initial(self, data) -> dict:
        """The form's values for `data` (to edit it, or to check it again on a fresh order)."""

    @abstractmethod
    def error_field(self, error, data, form) -> str | None:
        """The form field a service error is about (None: the form as a whole)."""

    @abstractmethod
    def preview(self, state, data):
        """The service's preview (raises ServiceError); its result has the `version` previewed on."""

    @abstractmethod
    def preview_context(self, request, state, data, result) -> dict:
        """What the preview step shows of the service's `result`, in the wizard's template context."""

    @abstractmethod
    def submit(self, request, state, data, version: int):
        """The service's submit (raises Conflict on a changed order, ServiceError when refused)."""

    def change_order_ids(self, outcome) -> list[int]:
        return []

    @abstractmethod
    def done(self, request, state, data, outcome, *, started: int):
        """Tell the agent what was done and go back to the order; `started`: when the submit began."""

    def context(self) -> dict:
        return {}

    # --- The steps, the same for every wizard --------------------------------------------------------------

    def view(self, request, pk: int):
        state = self.state(pk)
        action = request.POST.get("action") if request.method == "POST" else None
        if action == "submit":
            return self.submit_step(request, state)
        if action == "edit":
            stored = self.find(request, request.POST.get("token", ""), pk)
            initial = self.initial(self.load(stored[self.stored_as])) if stored else None
            return self.render(request, state, "choose", form=self.form(state, initial=initial))
        if request.method != "POST":
            return self.render(request, state, "choose", form=self.form(state))
        form = self.form(state, data=request.POST)
        if not form.is_valid():
            return self.render(request, state, "choose", form=form)
        return self.preview_step(request, state, form, self.asked(form))

    def preview_step(self, request, state, form, data, *, notice: str = ""):
        try:
            result = self.preview(state, data)
        except ServiceError as failure:
            self.add_errors(form, failure, data, state.summary.currency)
            return self.render(request, state, "choose", form=form, notice=notice and self.stale_choices)
        token = self.keep(request, state.summary.pk, result.version, data)
        return self.render(
            request, state, "preview", token=token, notice=notice, **self.preview_context(request, state, data, result)
        )

    def submit_step(self, request, state):
        token = request.POST.get("token", "")
        stored = self.claim(request, token, state.summary.pk)
        if stored is None:
            return to_order(request, state.summary.pk)
        data = self.load(stored[self.stored_as])
        # Taken before anything is written, so a refund job the change sets off counts as after it.
        started = int(timezone.now().timestamp())
        try:
            outcome = self.submit(request, state, data, stored["version"])
        except Conflict:
            release_wizard_token(token)
            fresh = self.state(state.summary.pk)
            form = self.form(fresh, data=self.initial(data))
            form.is_valid()
            return self.preview_step(request, fresh, form, data, notice=self.stale_preview)
        except ServiceError as failure:
            release_wizard_token(token)
            fresh = self.state(state.summary.pk)
            form = self.form(fresh, data=self.initial(data))
            form.is_valid()
            self.add_errors(form, failure, data, fresh.summary.currency)
            return self.render(request, fresh, "choose", form=form)
        record_wizard_outcome(token, self.change_order_ids(outcome))
        return self.done(request, state, data, outcome, started=started)

    def add_errors(self, form, failure: ServiceError, data, currency: str) -> None:
        for error in failure.errors:
            form.add_error(self.error_field(error, data, form), agent_message(error.message, currency))

    def keep(self, request, summary_id: int, version: int, data) -> str:
        return preview_store.keep(
            request,
            kind=self.kind,
            summary_id=summary_id,
            version=version,
            data=self.dump(data),
            session_key=self.session_key,
            stored_as=self.stored_as,
        )

    def find(self, request, token: str, summary_id: int, *, consume: bool = False) -> dict | None:
        return preview_store.find(
            request, token, kind=self.kind, summary_id=summary_id, consume=consume, session_key=self.session_key
        )

    def claim(self, request, token: str, summary_id: int) -> dict | None:
        """The preview to submit, taken out of the session and its token claimed; None (the agent told
        why) when it was submitted already or has expired."""
        stored = self.find(request, token, summary_id, consume=True)
        if stored is None:
            messages.info(request, self.expired_message)
            return None
        if not claim_wizard_token(token, user=request.user, summary_id=summary_id, kind=self.kind):
            messages.info(request, self.repeated_message)
            return None
        return stored

    def render(self, request, state, step: str, **context):
        context.update(
            summary=state.summary,
            step=step,
            title=self.title,
            nav="orders",
            currency=state.summary.currency,
            submit_label=self.submit_label,
            **self.context(),
        )
        return render_wizard(request, self.template, self.url(state.summary.pk), context)
