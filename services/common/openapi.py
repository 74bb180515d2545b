"""The published contract of a service: FastAPI's OpenAPI document, completed the same way for all three.

Completed with: the shared components (problem document, error codes, page cursor, record ids,
period identifiers), defined here once and so identical in every openapi/*.json; the security
schemes the operations name; descriptions from the field glossary; and examples composed from the
schemas (services/common/examples.py).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.common.events.catalogue import webhook_schemas
from services.common.examples import add_examples
from services.common.glossary import FIELDS
from services.common.guards import MAX_STORED_INT
from services.common.identifiers import PERIOD_PATTERN
from services.common.json import JsonObject, json_array, json_object
from services.common.openapi_consumers import complete_for_consumers
from services.common.problems import PROBLEM_TYPES, Problem
from services.common.tables import SQLModelConfig

# For a model that answers: a field with a default is still always in the answer, so the contract marks it
# required and consumers (and their generated types) may rely on it. (A SQLModelConfig, so SQLModel models take it.)
ANSWER_CONFIG = SQLModelConfig(json_schema_serialization_defaults_required=True)

# Operations say how they are authenticated in `openapi_extra`; bearer tokens are FastAPI's own.
PUBLIC: JsonObject = {"security": []}
FEED_TOKEN: JsonObject = {"security": [{"FeedToken": []}]}
_SECURITY_SCHEMES: dict[str, JsonObject] = {
    "FeedToken": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The secret token of one unit's calendar feed (日历订阅令牌), created by "
        "POST /v1/units/{unit_id}/feed-tokens and shown once; it opens that feed only.",
    },
}


_BEARER = (
    "Checked as RFC8725 advises: the accepted "
    "algorithms are fixed by configuration (never taken from the token; `none` never), signature, expiry, audience "
    "and issuer are verified."
)
# Relative, so one contract serves both ways the services are reached (services/gateway.py, deploy/nginx).
SERVERS: list[JsonObject] = [
    {
        "url": "/",
        "description": "The city's intranet, production or local: the service on its own port, or behind the "
        "gateway under its prefix (/tasks, /reporting or /notify on the one origin).",
        "x-internal": True,
    }
]


def ref(name: str) -> JsonObject:
    return {"$ref": f"#/components/schemas/{name}"}


# The shared types of every contract besides the problem document.
_SHARED_TYPES: dict[str, JsonObject] = {
    "NextCursor": {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "title": "NextCursor",
        "examples": [None, "WzUwXQ"],
        "description": "The opaque keyset cursor of the next page (下一页游标): pass it as `cursor`; null on the "
        'last page. Lists also send it in an RFC 8288 `Link: <…>; rel="next"` header.',
    },
    "Id": {
        "type": "integer",
        "format": "int32",
        "minimum": 1,
        "maximum": MAX_STORED_INT,
        "title": "Id",
        "description": "A record id (编号), assigned by the service that owns the record.",
    },
    "PeriodId": {
        "type": "string",
        "pattern": PERIOD_PATTERN,
        "maxLength": 8,
        "title": "PeriodId",
        "examples": ["2026-Q1", "2026-H1", "2026"],
        "description": "A reporting period (报送周期): a year (2026), a half year (2026-H1), a quarter (2026-Q1) or a "
        "month (2026-M01).",
    },
}


def shared_schemas() -> dict[str, JsonObject]:
    """The components every contract holds, byte for byte the same."""
    problem: JsonObject = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    shared = {name: json_object(schema) for name, schema in json_object(problem.pop("$defs", {})).items()}
    properties = json_object(problem["properties"])
    properties["type"] = {
        **ref("ProblemType"),
        "default": "about:blank",
        "description": json_object(properties["type"])["description"],
    }
    shared["Problem"] = problem
    # Open for clients: a code added later is a string their generated models still read (the breaking-change check
    # calls an addition safe), and a client falls back on `status` for a code it does not know.
    shared["ProblemType"] = {
        "anyOf": [{"type": "string", "enum": list(PROBLEM_TYPES)}, {"type": "string"}],
        "title": "ProblemType",
        "description": "The error codes (错误类型): the `type` of every problem document the services answer with, "
        "one of those listed; more may be added, so read an unknown one by its `status`.",
    }
    shared |= _SHARED_TYPES
    return dict(sorted(shared.items()))


def build_contract(app: FastAPI) -> JsonObject:
    """The app's OpenAPI document, completed with what every duban contract carries."""
    document: JsonObject = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
    )
    components = json_object(document.setdefault("components", {}))
    shared = shared_schemas()
    schemas = {
        **json_object(components.setdefault("schemas", {})),
        **webhook_schemas(getattr(app.state, "event_types", ())),
        **shared,
    }
    components["schemas"] = dict(sorted(schemas.items()))
    _declare_security_schemes(document)
    _type_path_ids(document)
    for name, schema in json_object(components["schemas"]).items():
        if name not in shared:
            _use_shared_types(json_object(schema))
        _describe_fields(json_object(schema))
    add_examples(document)
    document["servers"] = [dict(server) for server in SERVERS]
    complete_for_consumers(document, getattr(app.state, "tag_descriptions", {}))
    return document


def _operations(document: JsonObject) -> list[JsonObject]:
    return [
        json_object(operation)
        for item in json_object(document["paths"]).values()
        for operation in json_object(item).values()
    ]


def _declare_security_schemes(document: JsonObject) -> None:
    named = {
        name
        for operation in _operations(document)
        for requirement in json_array(operation.get("security", []))
        for name in json_object(requirement)
    }
    schemes = json_object(json_object(document["components"]).setdefault("securitySchemes", {}))
    schemes.update({name: scheme for name, scheme in _SECURITY_SCHEMES.items() if name in named})
    if "HTTPBearer" in schemes:
        bearer = json_object(schemes["HTTPBearer"])
        bearer["description"] = f"{bearer.get('description', '')} {_BEARER}".strip()


def _type_path_ids(document: JsonObject) -> None:
    """An integer path or query parameter named like `item_id` is a record id: the shared Id type (the guards
    refuse an id outside it: 404 in the path, 422 in the query)."""
    for operation in _operations(document):
        for parameter in map(json_object, json_array(operation.get("parameters", []))):
            name, schema = parameter["name"], json_object(parameter["schema"])
            if isinstance(name, str) and name.endswith("_id") and parameter["in"] in ("path", "query"):
                _use_id(parameter, schema)
                parameter.setdefault("description", _describe(name))
            elif schema.get("pattern") == PERIOD_PATTERN:
                parameter["schema"] = ref("PeriodId")


def _use_id(parameter: JsonObject, schema: JsonObject) -> None:
    if schema.get("type") == "integer" and "minimum" not in schema:
        parameter["schema"] = {**ref("Id"), **({"default": schema["default"]} if "default" in schema else {})}
        return
    branches = [json_object(branch) for branch in json_array(schema.get("anyOf", []))]
    for i, branch in enumerate(branches):
        if branch.get("type") == "integer" and "minimum" not in branch:  # an own bound: 0 for the office
            json_array(schema["anyOf"])[i] = ref("Id")


def _use_shared_types(schema: JsonObject) -> None:
    """Page cursors and period identifiers, wherever a schema holds one, are the shared components."""
    properties = json_object(schema.get("properties", {}))
    for name, field in properties.items():
        shown = json_object(field)
        described: JsonObject = {"description": shown["description"]} if "description" in shown else {}
        if name == "next_cursor":
            properties[name] = {**ref("NextCursor"), **described}
        elif shown.get("pattern") == PERIOD_PATTERN:
            properties[name] = {**ref("PeriodId"), **described}


def _describe(name: str) -> str:
    return FIELDS[name][0] if name in FIELDS else f"Id of the {name.removesuffix('_id').replace('_', ' ')}."


def _describe_fields(schema: JsonObject) -> None:
    """Fields without a description of their own take the glossary's, where the glossary knows the name."""
    for name, field in json_object(schema.get("properties", {})).items():
        shown = json_object(field)
        if "description" not in shown and name in FIELDS:
            shown["description"] = FIELDS[name][0]
