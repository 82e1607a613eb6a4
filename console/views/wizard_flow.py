"""What the console's choose → preview → submit wizards share (Cancel/Return/Adjust/Cancel order, Exchange,
Reship, Return order): rendering a step in the one wizard skeleton, templates/console/wizard_base.html."""

from django.shortcuts import render

from console.htmx import wants_partial

SKELETON = "console/wizard_base.html"


def render_wizard(request, template: str, url: str, context: dict):
    """A step of a wizard: its whole page (`template`, which extends the skeleton and defines the partials
    `choose` and `preview`), or for htmx the skeleton's `wizard` partial alone; its forms post to `url`."""
    partial = wants_partial(request)
    context.update(wizard_template=template, choose_template=f"{template}#choose",
                   preview_template=f"{template}#preview", wizard_url=url, partial=partial)
    return render(request, f"{SKELETON}#wizard" if partial else template, context)
