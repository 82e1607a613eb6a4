"""The active reason codes read inside a query that runs anyway, instead of a query of their own."""

import json

from django.db.models import Expression, TextField

from orders.models import ReasonCode


class ActiveReasonCodes(Expression):
    """The names of the active reason codes as one JSON array (text), a scalar subquery: reference data
    read in the query a change makes anyway instead of one of its own. `reason_codes(value)` reads it."""

    output_field = TextField()

    def _from(self, connection) -> str:
        quote = connection.ops.quote_name
        return f"FROM {quote(ReasonCode._meta.db_table)} WHERE {quote('is_active')}"

    def as_sql(self, compiler, connection):
        return f"(SELECT JSON_GROUP_ARRAY({connection.ops.quote_name('name')}) {self._from(connection)})", []

    def as_postgresql(self, compiler, connection):
        return f"(SELECT JSON_AGG({connection.ops.quote_name('name')})::text {self._from(connection)})", []


def reason_codes(raw: str | None) -> frozenset[str]:
    """The names an `ActiveReasonCodes` annotation read."""
    return frozenset(json.loads(raw)) if raw else frozenset()
