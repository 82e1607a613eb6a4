"""Check real API responses against the OpenAPI schema the server serves at /api/v1/schema/.

    from tests.api.schema import assert_response_matches_schema
    assert_response_matches_schema(response, "get", "/api/v1/commerce/order-management/order-summaries/{summary_id}")

or, for every response any APIClient of a test module receives:

    @pytest.fixture(autouse=True)
    def every_response_checked(monkeypatch):
        check_every_response(monkeypatch)

The schema is OpenAPI 3.0 (drf-spectacular); it is turned into JSON Schema 2020-12 (`nullable`,
boolean `exclusiveMaximum`) and objects are closed (`additionalProperties: false` unless the
schema says otherwise), so a key the schema does not document fails the check. A status code the
operation does not document fails too.
"""

import copy
import json
import re
from decimal import Decimal

from django.test import Client
from django.urls import Resolver404, resolve
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

SCHEMA_URL = "/api/v1/schema/"
_served: dict | None = None
_converted: dict[bool, dict] = {}


def served_schema() -> dict:
    """The schema as the server serves it (fetched once per test session)."""
    global _served
    if _served is None:
        # A plain Django client: APIClient may be checking its own responses with this schema.
        response = Client().get(SCHEMA_URL, {"format": "json"})
        assert response.status_code == 200, response.content[:500]
        _served = json.loads(response.content)
    return _served


def _to_json_schema(node, *, closed: bool):
    if isinstance(node, list):
        return [_to_json_schema(item, closed=closed) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _to_json_schema(value, closed=closed) for key, value in node.items()}
    for bound in ("Maximum", "Minimum"):
        flag = node.pop(f"exclusive{bound}", None)
        if flag is True and bound.lower() in node:
            node[f"exclusive{bound}"] = node.pop(bound.lower())
        elif flag not in (None, True, False):
            node[f"exclusive{bound}"] = flag
    if closed and node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def _converted_components(closed: bool) -> dict:
    if closed not in _converted:
        components = copy.deepcopy(served_schema().get("components", {}))
        _converted[closed] = _to_json_schema(components, closed=closed)
    return _converted[closed]


def response_schema(method: str, path_template: str, status: int, *, closed: bool = True) -> dict:
    paths = served_schema()["paths"]
    assert path_template in paths, f"{path_template} is not in the schema; it has {sorted(paths)}"
    operation = paths[path_template].get(method.lower())
    assert operation is not None, f"{method.upper()} {path_template} is not in the schema"
    responses = operation["responses"]
    documented = responses.get(str(status)) or responses.get("default")
    assert documented is not None, (
        f"{method.upper()} {path_template} answered {status}, which the schema does not document "
        f"(it documents {sorted(responses)})"
    )
    content = documented.get("content", {}).get("application/json")
    assert content is not None, f"{status} of {method.upper()} {path_template} has no application/json body"
    schema = _to_json_schema(copy.deepcopy(content["schema"]), closed=closed)
    # References are "#/components/schemas/X": keep the components beside the schema they serve.
    return {**schema, "components": _converted_components(closed)}


def assert_response_matches_schema(response, method: str, path_template: str, *, closed: bool = True) -> dict:
    """Validate the response's JSON body against the documented schema of its status; returns the body,
    its non-integer numbers as exact Decimals."""
    body = json.loads(response.content, parse_float=Decimal)
    schema = response_schema(method, path_template, response.status_code, closed=closed)
    errors = sorted(Draft202012Validator(schema).iter_errors(body), key=lambda error: list(error.absolute_path))
    if errors:
        lines = [f"- at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:20]]
        raise AssertionError(
            f"{method.upper()} {path_template} -> {response.status_code} does not match the schema:\n"
            + "\n".join(lines)
        )
    return body


_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def path_template(path: str) -> str | None:
    """The schema's path template for a request path, e.g. …/order-summaries/{summary_id}."""
    try:
        route = resolve(path).route
    except Resolver404:
        return None
    return "/" + _PARAMETER.sub(r"{\1}", route)


def check_every_response(monkeypatch) -> None:
    """Validate every JSON response an APIClient receives whose path the schema documents."""
    original = APIClient.request

    def request(self, **kwargs):
        response = original(self, **kwargs)
        template = path_template(response.wsgi_request.path)
        json_body = response.get("Content-Type", "").startswith("application/json")
        if json_body and template in served_schema()["paths"]:
            assert_response_matches_schema(response, response.wsgi_request.method, template)
        return response

    monkeypatch.setattr(APIClient, "request", request)
