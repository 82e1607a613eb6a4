"""The OpenAPI schema: served, valid, and describing the order resources without generator warnings.

Every response the API tests receive is also checked against this schema (tests/api/schema.py).
"""

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.api.helpers import INGEST, SUMMARIES, SUMMARY_TEMPLATE
from tests.api.schema import served_schema

# Where the order resources' schema comes from: views, serializers, and the shared OpenAPI pieces.
OWN_SOURCES = (
    "OrderIngestView",
    "OrderSummaryCollectionView",
    "OrderSummaryDetailView",
    "orders/api/order_",
    "orders/api/ingest_serializers",
    "orders/api/openapi",
    "orders/api/ingest_",
    "payments/api/summary_detail",
)


def test_schema_is_served_as_yaml_and_json_and_is_valid_openapi():
    yaml_response = APIClient().get("/api/v1/schema/")
    assert yaml_response.status_code == 200
    from_yaml = yaml.safe_load(yaml_response.content)
    assert from_yaml["openapi"].startswith("3.")
    schema = served_schema()
    assert schema["paths"].keys() == from_yaml["paths"].keys()
    validate_schema(schema)


def test_docs_page_is_served():
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_order_resources_generate_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    own = [message for message in messages if any(source in message for source in OWN_SOURCES)]
    assert own == []


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", INGEST, {"201", "400", "401", "403", "409", "413", "422", "429", "503"}),
        ("get", SUMMARIES, {"200", "400", "401", "403", "429", "503"}),
        ("post", SUMMARIES, {"201", "400", "401", "403", "404", "409", "413", "422", "429", "503"}),
        ("get", SUMMARY_TEMPLATE, {"200", "401", "403", "404", "429", "503"}),
    ],
)
def test_order_operations_document_their_answers_and_security(method, path, statuses):
    operation = served_schema()["paths"][path][method]
    assert set(operation["responses"]) == statuses
    assert operation["security"] == [{"apiKey": []}]


def test_every_keyed_operation_documents_the_503_of_a_database_or_queue_away_with_retry_after():
    """Issue 14: config/unavailable.py answers 503 SERVICE_UNAVAILABLE with Retry-After anywhere."""
    for path, operations in served_schema()["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and operation.get("security"):
                answer = operation["responses"]["503"]
                assert "SERVICE_UNAVAILABLE" in answer["description"], (method, path)
                assert set(answer["headers"]) == {"Retry-After"}, (method, path)


def test_ingest_documents_its_required_idempotency_key_and_body():
    operation = served_schema()["paths"][INGEST]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"] is True
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = served_schema()["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert {"orderNumber", "currencyIsoCode", "billTo", "deliveryGroups", "orderedDate"} <= set(body["required"])


def test_list_documents_its_filters_and_pagination():
    operation = served_schema()["paths"][SUMMARIES]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {"status", "orderedDateFrom", "orderedDateTo", "salesChannel", "q", "cursor", "limit"}
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 200


def test_security_scheme_is_a_bearer_key():
    assert served_schema()["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <API key>",
    }
