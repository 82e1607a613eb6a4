"""The money check-constraint helpers live with the order records (orders/models/money_constraints.py)."""

from orders.models.money_constraints import SLACK, at_least, at_most, equal

__all__ = ["SLACK", "at_least", "at_most", "equal"]
