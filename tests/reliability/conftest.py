"""Every reliability test ends with the money invariant checked on what it left (issue 12, rule 9):
`manage.py check_money` must report nothing, whatever faults, races and redeliveries the test played."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import _is_transactional


@pytest.fixture(autouse=True)
def _money_invariant_checked_at_the_end(request):
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db"} & set(request.fixturenames)
    ):
        yield
        return
    # The database fixture first, so this check runs before it rolls back or flushes.
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    yield
    out = StringIO()
    try:
        call_command("check_money", stdout=out)
    except Exception as broken:  # CommandError: the report says what
        pytest.fail(f"check_money after {request.node.name}: {broken}\n{out.getvalue()}")
