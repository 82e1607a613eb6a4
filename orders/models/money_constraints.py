"""Check constraints over sums of money columns that hold on every database.

SQLite keeps decimals as binary floating point, so a sum of 4-place amounts can be off in the 15th
digit (71.28 + 47.52 > 118.80 there). Comparing with half of the smallest stored unit of slack can
never hide a real difference, which is at least 0.0001.
"""

from decimal import Decimal

from django.db.models import Q

SLACK = Decimal("0.00005")


def at_least(field: str, expression) -> Q:
    return Q(**{f"{field}__gte": expression - SLACK})


def at_most(field: str, expression) -> Q:
    return Q(**{f"{field}__lte": expression + SLACK})


def equal(field: str, expression) -> Q:
    return at_least(field, expression) & at_most(field, expression)
