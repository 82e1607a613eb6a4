"""drf-spectacular post-processing: the answers every API operation can give, documented once.

The shared machinery answers the same way for every operation, whatever its view documents: the key
is checked (401) and its scope (403), an id in the path or the body may name nothing the key can see
(404), a body may not parse or be too large (400, 413), an Idempotency-Key may be busy or reused (409,
422; every view decorated with @idempotent documents the header), and the rate limit may be reached
(429), and the database or the queue may be briefly unreachable (503, config/unavailable.py). Each
operation names the scope it needs (x-required-scope; x-back-office-only when a key bound
to a sales channel is refused whatever its scopes). A view's own description of a status or a
parameter is kept; only missing ones are added.
"""

from orders.api.openapi import idempotency_key_header

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
DESCRIPTIONS = {
    "400": "Invalid input (errorCode INVALID_API_INPUT, with the field).",
    "401": "Missing, unknown or revoked API key (errorCode UNAUTHENTICATED).",
    "403": "The API key lacks the scope (errorCode PERMISSION_DENIED).",
    "404": "Not found, or another sales channel's record (errorCode NOT_FOUND).",
    "409": "A request with this Idempotency-Key is still running (IDEMPOTENCY_KEY_IN_USE), or the state "
    "does not allow the action.",
    "413": "The request body is larger than the limit.",
    "422": "Idempotency-Key reused with a different body (errorCode IDEMPOTENCY_KEY_REUSED).",
    "429": "Too many requests from this API client (errorCode RATE_LIMITED); retry after the number of "
    "seconds in Retry-After.",
    "503": "The database or the queue cannot be reached for a moment (errorCode SERVICE_UNAVAILABLE); retry "
    "after the number of seconds in Retry-After, with the same Idempotency-Key for a write.",
}
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until a request is accepted again."}
}
WRITES = {"post", "put", "patch"}


def _is_record_id(name: str) -> bool:
    """A record's id (orderSummaryId, paymentIds), not a caller's own label (referenceId)."""
    return name.endswith(("Id", "Ids")) and not name.lower().endswith(("referenceid", "referenceids"))


def _names_records(schema, components: dict, seen: frozenset = frozenset()) -> bool:
    """Whether a request body schema has an id of a record anywhere in it (orderSummaryId, paymentIds)."""
    if not isinstance(schema, dict):
        return False
    reference = schema.get("$ref")
    if reference:
        name = reference.rsplit("/", 1)[1]
        return name not in seen and _names_records(components.get(name), components, seen | {name})
    properties = schema.get("properties", {})
    if any(_is_record_id(key) for key in properties):
        return True
    children = [*properties.values(), schema.get("items"), *schema.get("allOf", []), *schema.get("oneOf", [])]
    return any(_names_records(child, components, seen) for child in children)


def _body_names_records(operation: dict, components: dict) -> bool:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return _names_records(content.get("schema"), components)


def _statuses(method: str, operation: dict, components: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    statuses = ["401", "403", "429", "503"]
    names_records = any(
        p.get("in") == "path" or (p.get("in") == "query" and _is_record_id(p.get("name", ""))) for p in parameters
    )
    if names_records or _body_names_records(operation, components):
        statuses.append("404")
    if method in WRITES:
        statuses += ["400", "413"]
    elif any(p.get("in") == "query" for p in parameters):
        statuses.append("400")
    if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
        statuses += ["409", "422"]
    return statuses


def _idempotent_operations(generator) -> set[tuple[str, str]]:
    """(path, method) of every operation whose view method is decorated with @idempotent."""
    found = set()
    for path, _regex, method, callback in generator.endpoints or []:
        handler = getattr(getattr(callback, "cls", None), method.lower(), None)
        if getattr(handler, "takes_idempotency_key", False):
            found.add((path, method.lower()))
    return found


def _document_idempotency_key(operation: dict) -> None:
    parameters = operation.setdefault("parameters", [])
    if not any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
        header = idempotency_key_header(required=False)
        parameters.append(
            {
                "in": "header",
                "name": header.name,
                "required": False,
                "schema": {"type": "string"},
                "description": header.description,
            }
        )


def _scopes(generator) -> dict[tuple[str, str], tuple[str, bool]]:
    """(path, method) → (the scope the view requires, whether only a back-office key may call it)."""
    found = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view = getattr(callback, "cls", None)
        required = getattr(view, "required_scopes", {})
        scope = required.get(method.upper()) or required.get("*")
        if scope is not None:
            found[(path, method.lower())] = (str(scope), method.upper() in getattr(view, "back_office_methods", ()))
    return found


def _document_scope(operation: dict, scope: str, back_office: bool) -> None:
    operation["x-required-scope"] = scope
    if back_office:
        operation["x-back-office-only"] = True
        refused = operation.setdefault("responses", {}).setdefault("403", {"content": ERROR_BODY})
        refused["description"] = (
            "The API key lacks the scope, or is bound to a sales channel (errorCode "
            "PERMISSION_DENIED): only a back-office key changes what every channel shares."
        )


def document_common_answers(result, generator, request, public):
    components = result.get("components", {}).get("schemas", {})
    idempotent = _idempotent_operations(generator)
    scopes = _scopes(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or not operation.get("security"):
                continue
            if (path, method) in idempotent:
                _document_idempotency_key(operation)
            if (path, method) in scopes:
                _document_scope(operation, *scopes[(path, method)])
            responses = operation.setdefault("responses", {})
            for status in _statuses(method, operation, components):
                if status not in responses:
                    responses[status] = {"description": DESCRIPTIONS[status], "content": ERROR_BODY}
                    if status in ("429", "503"):
                        responses[status]["headers"] = RETRY_AFTER
    return result
