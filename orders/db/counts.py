"""Counting with a ceiling: what a paged list shows as "10,000+" without counting every row."""

from django.db import connections
from django.db.models import QuerySet


def capped_count(queryset: QuerySet, limit: int) -> int:
    """The number of rows of `queryset`, counting no further than `limit`: one query.

    The rows come from a MATERIALIZED common table expression, which PostgreSQL plans as for the whole
    result (with the search's trigram indexes) and reads only as far as the outer LIMIT asks. A LIMIT
    inside the subquery instead makes the planner bet that a sequential scan finds the first rows
    early, which on a million summaries is several times slower than the indexes.
    """
    query = queryset.order_by().values("pk").query
    # Django's own SQL for the queryset, its values passed as parameters.
    sql, params = query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"WITH matches AS MATERIALIZED ({sql}) SELECT COUNT(*) FROM (SELECT 1 FROM matches LIMIT %s) AS capped",  # noqa: S608
            (*params, limit),
        )
        return cursor.fetchone()[0]
