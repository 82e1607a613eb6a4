"""One demo data set for the whole package: loading it takes seconds, the tests only read it (each test's
own writes are rolled back to it)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from orders.models import OrderSummary


def load(**options) -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker) -> str:
    """What load_demo_data printed on a database holding only what the migrations put there.

    It runs inside one transaction, rolled back after the package: the demo calls every step's service
    itself and needs no after-commit callback, so a transaction around it changes nothing it makes.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        assert not OrderSummary.objects.exists()
        yield load(force=True)
        transaction.set_rollback(True)
