"""The published contract of a service: FastAPI's OpenAPI document, completed the same way for all three.

Completed with: the shared components (problem document, error codes, page cursor, record ids,
period identifiers), defined here once and so identical in every openapi/*.json; the security
schemes the operations name; descriptions from the field glossary; and examples composed from the
schemas (services/common/examples.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.common.examples import add_examples
from services.common.glossary import FIELDS
from services.common.identifiers import PERIOD_PATTERN
from services.common.problems import PROBLEM_TYPES, Problem
from services.common.tables import SQLModelConfig

# For a model that answers: a field with a default is still always in the answer, so the contract marks it
# required and consumers (and their generated types) may rely on it. (A SQLModelConfig, so SQLModel models take it.)
ANSWER_CONFIG = SQLModelConfig(json_schema_serialization_defaults_required=True)

# Operations say how they are authenticated in `openapi_extra`; bearer tokens are FastAPI's own.
PUBLIC: dict[str, Any] = {"security": []}
FEED_TOKEN: dict[str, Any] = {"security": [{"FeedToken": []}]}
_SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "FeedToken": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The secret token of one unit's calendar feed (日历订阅令牌), created by "
        "POST /v1/units/{unit_id}/feed-tokens and shown once; it opens that feed only.",
    },
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def shared_schemas() -> dict[str, dict[str, Any]]:
    """The components every contract holds, byte for byte the same."""
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    shared = problem.pop("$defs", {})
    problem["properties"]["type"] = {
        **ref("ProblemType"),
        "default": "about:blank",
        "description": problem["properties"]["type"]["description"],
    }
    shared["Problem"] = problem
    shared["ProblemType"] = {
        "type": "string",
        "enum": list(PROBLEM_TYPES),
        "title": "ProblemType",
        "description": "The error codes (错误类型): the `type` of every problem document the services answer with.",
    }
    shared["NextCursor"] = {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "title": "NextCursor",
        "examples": [None, "WzUwXQ"],
        "description": "The opaque keyset cursor of the next page (下一页游标): pass it as `cursor`; null on the "
        'last page. Lists also send it in an RFC 8288 `Link: <…>; rel="next"` header.',
    }
    shared["Id"] = {
        "type": "integer",
        "title": "Id",
        "description": "A record id (编号), assigned by the service that owns the record.",
    }
    shared["PeriodId"] = {
        "type": "string",
        "pattern": PERIOD_PATTERN,
        "title": "PeriodId",
        "examples": ["2026-Q1", "2026-H1", "2026"],
        "description": "A reporting period (报送周期): a year (2026), a half year (2026-H1), a quarter (2026-Q1) or a "
        "month (2026-M01).",
    }
    return dict(sorted(shared.items()))


def build_contract(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, completed with what every duban contract carries."""
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(shared_schemas())
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    _declare_security_schemes(document)
    _type_path_ids(document)
    for name, schema in document["components"]["schemas"].items():
        if name not in shared_schemas():
            _use_shared_types(schema)
        _describe_fields(schema)
    add_examples(document)
    return document


def _declare_security_schemes(document: dict[str, Any]) -> None:
    named = {
        name
        for item in document["paths"].values()
        for operation in item.values()
        for requirement in operation.get("security", [])
        for name in requirement
    }
    schemes = document["components"].setdefault("securitySchemes", {})
    schemes.update({name: scheme for name, scheme in _SECURITY_SCHEMES.items() if name in named})


def _type_path_ids(document: dict[str, Any]) -> None:
    """An integer path parameter named like `item_id` is a record id: the shared Id type."""
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if (
                    parameter["in"] == "path"
                    and parameter["name"].endswith("_id")
                    and parameter["schema"].get("type") == "integer"
                ):
                    parameter["schema"] = ref("Id")
                    parameter.setdefault("description", _describe(parameter["name"]))
                elif parameter["schema"].get("pattern") == PERIOD_PATTERN:
                    parameter["schema"] = ref("PeriodId")


def _use_shared_types(schema: dict[str, Any]) -> None:
    """Page cursors and period identifiers, wherever a schema holds one, are the shared components."""
    for name, field in schema.get("properties", {}).items():
        described = {"description": field["description"]} if "description" in field else {}
        if name == "next_cursor":
            schema["properties"][name] = {**ref("NextCursor"), **described}
        elif field.get("pattern") == PERIOD_PATTERN:
            schema["properties"][name] = {**ref("PeriodId"), **described}


def _describe(name: str) -> str:
    return FIELDS[name][0] if name in FIELDS else f"Id of the {name.removesuffix('_id').replace('_', ' ')}."


def _describe_fields(schema: dict[str, Any]) -> None:
    """Fields without a description of their own take the glossary's, where the glossary knows the name."""
    for name, field in schema.get("properties", {}).items():
        if "description" not in field and name in FIELDS:
            field["description"] = FIELDS[name][0]
