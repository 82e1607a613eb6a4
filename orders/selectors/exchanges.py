"""Reads of exchanges (issue 15): the replacement summaries of an original, without a query of their own."""

import json

from django.db.models import Expression, TextField

from orders.models import OrderSummary

EXCHANGE_SUMMARY_IDS = "exchange_summary_ids_json"


class ExchangeSummaryIds(Expression):
    """The ids of the summaries whose source is the row's summary, as one JSON array (text): a scalar subquery
    read with the summary's own row."""

    output_field = TextField()

    def _sql(self, aggregate: str, compiler, connection) -> str:
        quote = connection.ops.quote_name
        table = quote(OrderSummary._meta.db_table)
        outer = compiler.query.get_initial_alias()
        # Identifiers only, each quoted by the backend: no value reaches this SQL.
        return (
            f"(SELECT {aggregate} FROM {table} AS exchange_summary "  # noqa: S608
            f"WHERE exchange_summary.{quote('source_order_summary_id')} = {quote(outer)}.{quote('id')})"
        )

    def as_sql(self, compiler, connection):
        return self._sql("JSON_GROUP_ARRAY(exchange_summary.id)", compiler, connection), []

    def as_postgresql(self, compiler, connection):
        return self._sql("JSON_AGG(exchange_summary.id ORDER BY exchange_summary.id)::text", compiler, connection), []


def exchange_summary_ids(raw: str | None) -> list[int]:
    return sorted(pk for pk in json.loads(raw) if pk is not None) if raw else []
