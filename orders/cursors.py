"""The opaque cursors of every keyset-paginated list, written and read in one place.

A cursor is URL-safe base64 without padding. Reading one never trusts it: anything that is not a
cursor this API could have given out (bad base64, bad JSON, a date out of range, an id no row can
have) answers 400 INVALID_API_INPUT on the `cursor` field, never a 500 from the database.
"""

import base64
import binascii
import json
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders.errors import InvalidInput

MAX_ID = 2**63 - 1  # PostgreSQL's bigint
# No cursor we give out is longer than this; a longer one is refused before it is decoded.
MAX_CURSOR_LENGTH = 200
_MESSAGE = "Not a cursor this API gave out."


def _b64encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _b64decode(cursor: str) -> str:
    if not isinstance(cursor, str) or not cursor.isascii() or len(cursor) > MAX_CURSOR_LENGTH:
        raise ValueError(cursor)
    return base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()


def _valid_id(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise ValueError(value)
    return value


def encode_id_cursor(pk: int) -> str:
    return _b64encode(str(pk))


def decode_id_cursor(cursor: str) -> int:
    """The id after which the next page starts."""
    try:
        text = _b64decode(cursor)
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            raise ValueError(text)
        return _valid_id(int(text))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise InvalidInput(_MESSAGE, field="cursor") from None


def encode_keyset_cursor(moment: datetime, pk: int) -> str:
    """The position (a timestamp, an id) of the last row of a page, for lists newest first."""
    return _b64encode(json.dumps([moment.isoformat(), pk], separators=(",", ":")))


def decode_keyset_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        moment, pk = json.loads(_b64decode(cursor))
        if not isinstance(moment, str):
            raise ValueError(moment)
        parsed = parse_datetime(moment)  # ValueError for a well-formed but impossible date
        if parsed is None:
            raise ValueError(moment)
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, UTC)
        # In UTC, as the database compares it: year 1 at +14:00 or 9999-12-31 at -14:00 overflow here.
        parsed = parsed.astimezone(UTC)
        return parsed, _valid_id(pk)
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error, UnicodeError):
        raise InvalidInput(_MESSAGE, field="cursor") from None
