"""What a consumer's tools need of a contract beyond FastAPI's document (issue 16 part 8), added in one pass.

Judged by Spectral (spectral:oas and the OWASP ruleset), Redocly, openapi-typescript and openapi-python-client
(tools/contract-lint.sh): the headers the services send and take (ETag, Link, Location, Retry-After,
Idempotency-Key, Idempotent-Replayed), the statuses every operation can answer (413/415 on bodies, 503, 412/428
where If-Match applies), integer formats and bounds, a description on every parameter and write, and the tags.
Each rule here states what the services already do (the middleware and guards), once for every route.
"""

from __future__ import annotations

from collections.abc import Iterator

from services.common.guards import MAX_STORED_INT
from services.common.idempotency import MAX_KEY_LENGTH
from services.common.json import JsonObject, JsonValue, json_array, json_object
from services.common.problems import problem_responses

MAX_ETAG_LENGTH = 64  # a strong ETag of a version ("12") or a breakdown's version, quoted, with room to spare
HEADERS: dict[str, JsonObject] = {
    "ETag": {
        "description": "The version of the record answered (强 ETag); send it back as If-Match to change it.",
        "schema": {"type": "string", "maxLength": MAX_ETAG_LENGTH, "examples": ['"3"']},
    },
    "Location": {
        "description": "The path of the record created.",
        "schema": {"type": "string", "format": "uri-reference", "maxLength": 2048},
    },
    "Link": {
        "description": 'RFC 8288 link to the next page (`<…>; rel="next"`), sent while there is one.',
        "schema": {"type": "string", "maxLength": 4096},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again (RFC 9110 §10.2.3).",
        "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 86400},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this answer is the stored answer to an earlier request with the same "
        "Idempotency-Key; absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}
WEBHOOK_SIGNATURE: JsonObject = {
    "type": "apiKey",
    "in": "header",
    "name": "webhook-signature",
    "description": "Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of `webhook-id.webhook-timestamp.body` "
    "under the subscription's secret; a receiver checks it, and the timestamp's age, before trusting the body.",
}
IDEMPOTENCY_KEY: JsonObject = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A key unique to this request (a UUID, say): a retry with the same key and body answers what "
    "the first answered, with Idempotent-Replayed: true, and writes nothing again; the same key with another body "
    "is a 422 (idempotency-key-reused), one still in flight a 409. Keys are kept for a day.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}
_IF_MATCH_WORDS = (
    " Send the ETag of the version you read as If-Match: a change onto a version that is no longer current is "
    "refused with 412, and one without If-Match with 428."
)
_IDEMPOTENCY_WORDS = " Safe to retry with an Idempotency-Key header."
_SCOPING_WORDS = " A unit's account acts only within its own unit; other records answer 403 or 404."


def complete_for_consumers(document: JsonObject, tags: dict[str, str]) -> None:
    """Add to `document` what its consumers' tools need; `tags` describes the operation tags the app uses."""
    components = json_object(document["components"])
    components["headers"] = {name: dict(header) for name, header in HEADERS.items()}
    for path, method, operation in _operations(document):
        _declare_parameters(operation, method)
        _declare_statuses(operation)
        _declare_headers(document, operation, method)
        _describe(operation, path, method)
    _sign_webhooks(document)
    _bound_integers(document)
    used = sorted({_text(tag) for _, _, operation in _operations(document) for tag in _tags(operation)})
    document["tags"] = [{"name": name, "description": tags.get(name, f"Operations on {name}.")} for name in used]


def _sign_webhooks(document: JsonObject) -> None:
    """A webhook's receiver authenticates duban by its Standard Webhooks signature (README: verifying one)."""
    webhooks = json_object(document.get("webhooks", {}))
    if not webhooks:
        return
    schemes = json_object(json_object(document["components"]).setdefault("securitySchemes", {}))
    schemes["WebhookSignature"] = dict(WEBHOOK_SIGNATURE)
    for item in webhooks.values():
        for operation in json_object(item).values():
            json_object(operation).setdefault("security", [{"WebhookSignature": []}])


def _operations(document: JsonObject) -> Iterator[tuple[str, str, JsonObject]]:
    for path, item in json_object(document["paths"]).items():
        for method, operation in json_object(item).items():
            yield path, method, json_object(operation)


def _tags(operation: JsonObject) -> list[JsonValue]:
    return json_array(operation.get("tags", []))


def _text(value: JsonValue) -> str:
    return value if isinstance(value, str) else str(value)


def _parameters(operation: JsonObject) -> list[JsonObject]:
    return [json_object(parameter) for parameter in json_array(operation.get("parameters", []))]


def _has_if_match(operation: JsonObject) -> bool:
    return any(p["name"] == "If-Match" and p["in"] == "header" for p in _parameters(operation))


def _declare_parameters(operation: JsonObject, method: str) -> None:
    """Every POST honours Idempotency-Key (services/common/idempotency.py); If-Match's value has a bound."""
    parameters = _parameters(operation)
    if method == "post" and not any(p["name"] == IDEMPOTENCY_KEY["name"] for p in parameters):
        parameters.append(dict(IDEMPOTENCY_KEY))
    for parameter in parameters:
        if parameter["name"] == "If-Match":
            for branch in _string_branches(json_object(parameter["schema"])):
                branch.setdefault("maxLength", MAX_ETAG_LENGTH)
    if parameters:
        operation["parameters"] = list(parameters)


def _string_branches(schema: JsonObject) -> list[JsonObject]:
    branches = [json_object(b) for b in json_array(schema.get("anyOf", []))] or [schema]
    return [branch for branch in branches if branch.get("type") == "string"]


def _declare_statuses(operation: JsonObject) -> None:
    """413 and 415 on a body (the request guard's limits), 412/428 with If-Match, 503 (a peer or the database
    down, with Retry-After) on every operation."""
    statuses = [503]
    if "requestBody" in operation:
        statuses += [413, 415]
    if _has_if_match(operation):
        statuses += [412, 428]
    responses = json_object(operation["responses"])
    for status, response in problem_responses(*statuses).items():
        responses.setdefault(str(status), response)
    unavailable = json_object(responses["503"])
    unavailable.setdefault("headers", {"Retry-After": {"$ref": "#/components/headers/Retry-After"}})


def _declare_headers(document: JsonObject, operation: JsonObject, method: str) -> None:
    """The headers of a success: ETag with a record that has a version, Location on 201, Link on a page, and
    Idempotent-Replayed on a POST's answer."""
    for status, response in json_object(operation["responses"]).items():
        if not status.startswith("2"):
            continue
        answer = json_object(response)
        headers = json_object(answer.setdefault("headers", {}))
        properties = _answer_properties(document, answer)
        wanted = {
            "ETag": "version" in properties,
            "Location": status == "201",
            "Link": "next_cursor" in properties,
            "Idempotent-Replayed": method == "post",
        }
        for name, applies in wanted.items():
            if applies:
                headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
        if not headers:
            del answer["headers"]


def _answer_properties(document: JsonObject, answer: JsonObject) -> JsonObject:
    media = json_object(json_object(answer.get("content", {})).get("application/json", {}))
    schema = json_object(media.get("schema", {}))
    reference = schema.get("$ref")
    if isinstance(reference, str):
        schemas = json_object(json_object(document["components"])["schemas"])
        schema = json_object(schemas.get(reference.rsplit("/", 1)[1], {}))
    return json_object(schema.get("properties", {}))


def _describe(operation: JsonObject, path: str, method: str) -> None:
    """A parameter without words gets its name's; a write says how to retry it, guard it and whom it serves."""
    for parameter in _parameters(operation):
        if "description" not in parameter:
            parameter["description"] = _parameter_words(parameter)
    if method == "get":
        return
    words = _text(operation.get("description", operation.get("summary", ""))).rstrip(".") + "."
    if method == "post":
        words += _IDEMPOTENCY_WORDS
    if _has_if_match(operation):
        words += _IF_MATCH_WORDS
    if "{unit_id}" in path:
        words += _SCOPING_WORDS
    operation["description"] = words


def _parameter_words(parameter: JsonObject) -> str:
    name = _text(parameter["name"])
    spoken = name.replace("_", " ")
    if parameter["in"] == "query":
        return f"Only the records whose {spoken} is this value; all when left out."
    return f"The {spoken}."


def _bound_integers(document: JsonObject) -> None:
    """Integers the services answer or take are 32-bit (the guards refuse a parameter beyond that); a bound a
    schema states itself wins."""
    for schema in _schemas(document):
        if schema.get("type") != "integer":
            continue
        schema.setdefault("format", "int32")
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            schema["minimum"] = -MAX_STORED_INT
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            schema["maximum"] = MAX_STORED_INT


def _schemas(value: JsonValue) -> Iterator[JsonObject]:
    if isinstance(value, dict):
        yield value
        for member in value.values():
            yield from _schemas(member)
    elif isinstance(value, list):
        for member in value:
            yield from _schemas(member)
