"""Issue 7, case 8: Schemathesis fuzzes every operation of the served OpenAPI schema, in process
through the WSGI app, with a valid API key: no answer is a 5xx, and every answer matches the schema
(a documented status, the documented content type, a body of the documented shape).

Path ids are those of a real order half of the time (tests/security/world.py), so the fuzzed
bodies reach the services and not only the 404 of an unknown id. Bounded to run in CI in about a
minute: a handful of examples per operation.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import ApiKeyClient
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Which record of the world each path parameter names.
REAL_IDS = {
    "summary_id": "summary",
    "fulfillment_order_id": "live_fo",
    "return_order_id": "return_order",
    "invoice_id": "invoice",
    "credit_memo_id": "memo",
    "operation_id": "operation",
    "exception_id": "exception",
    "shipment_id": "shipment",
}


# The world of the running test: the path-parameter hook below reads it while cases are generated.
current = {}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, which would end the test's
    transaction on PostgreSQL; Django's own test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def world(settings):
    settings.OMS_AUTO_ROUTE_ORDERS = False
    current["world"] = build_world("Web US", "US")
    yield current["world"]
    current.clear()


@pytest.fixture
def key(world):
    return ApiKeyClient.create(name="fuzzer", scopes=["all"]).raw_key


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    world = current["world"]
    real = {name: str(getattr(world, REAL_IDS[name])) for name in path_parameters if name in REAL_IDS}
    return st.sampled_from([path_parameters, {**path_parameters, **real}])


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx_or_off_schema(case, key):
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
