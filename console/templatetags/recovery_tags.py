"""Template tags of issue 16's hooks in the order page."""

from django import template

from orders.services.holds import active_holds

register = template.Library()


@register.simple_tag
def order_holds(summary_id: int):
    """The order's active holds (one query)."""
    return active_holds(summary_id)
