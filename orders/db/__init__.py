"""The performance machinery, in one place: what Django's ORM does on the hot paths, with the per-call
work done once. Each function is held to Django's own result by tests/orders/test_db.py, test_rows.py,
test_bulk_insert.py and test_update_rows.py; outside the hot paths, use the ORM.

- `inserts`: `insert_rows(objs)`, what `bulk_create` does for new instances, with one INSERT … RETURNING.
- `updates`: `update_rows` (bulk_update as one UPDATE with a CASE per column), `update_by_key` (rows found
  by a key of theirs, each its own values), `update_row` (`save(update_fields=…)` of a locked row),
  `update_where` (`filter(pk=…, **where).update(…)`).
- `reads`: `get_rows` / `get_row` / `lock_row` (rows of one model by primary key or plain conditions,
  locked or not, as model instances), `lock_rows` (one row of each of several models locked in one
  statement, in the order given), `money_sums` (a grouped `MoneySum`), `lock_clause`.
- `compiled`: `CompiledQuery(build)`, a queryset of a fixed shape compiled once per thread, then run with
  new values for its instances or its rows (the API key's lookup, the funds position's sums).
- `counts`: `capped_count(queryset, limit)`, `min(queryset.count(), limit)` without counting past `limit`.
- `reason_codes`: `ActiveReasonCodes()`, the names of the active reason codes read inside a query that
  runs anyway.
- `plans`: the one store of what is made once per model and database (the SQL text, the columns, the
  converters), shared by inserts, updates and reads.
"""

from .compiled import CompiledQuery
from .counts import capped_count
from .inserts import insert_rows
from .reads import Lock, get_row, get_rows, lock_clause, lock_row, lock_rows, money_sums
from .reason_codes import ActiveReasonCodes, reason_codes
from .updates import update_by_key, update_row, update_rows, update_where

__all__ = [
    "ActiveReasonCodes",
    "CompiledQuery",
    "Lock",
    "capped_count",
    "get_row",
    "get_rows",
    "insert_rows",
    "lock_clause",
    "lock_row",
    "lock_rows",
    "money_sums",
    "reason_codes",
    "update_by_key",
    "update_row",
    "update_rows",
    "update_where",
]
