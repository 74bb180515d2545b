"""Examples for the contract, composed from the schemas' own examples so that they never drift from the code.

An operation's example request or response is built from its schema: a model's own `examples` (its
`json_schema_extra`) first, then each field's `examples`, `default` or first enum value, then the
shared glossary's example for the field's name, then a value of the right type and format. A string
with a pattern has no generic value: such a field must carry an example of its own (the contract test
validates every composed example against its schema, so a wrong example fails there).
"""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any

import yaml

from services.common.glossary import FIELDS

Schema = dict[str, Any]

_FORMATS = {
    "date": "2026-03-31",
    "date-time": "2026-03-31T09:00:00+08:00",
    "email": "duban@example.cn",
    "uri": "https://duban.quzhou.gov.cn/",
    "uuid": "5f0c4b1e-8d5a-4c1b-9a43-2f6d1e7c9b10",
    "time": "09:00:00",
    "duration": "P1D",
}
_MAX_DEPTH = 8  # a guard: an object nested deeper than this is shown empty
_NESTED_LIST_DEPTH = 5  # lists nested deeper (an item tree's grandchildren) are shown empty


class NoExample(Exception):
    """A schema for which no example can be made up: it needs one of its own."""


def example_for(schema: Schema, components: dict[str, Schema], *, name: str | None = None, depth: int = 0) -> Any:
    """An example value of `schema`, resolving $refs against the contract's components."""
    while "$ref" in schema:
        schema = {**components[schema["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    for keyword in ("examples", "example", "const", "default", "enum"):
        # An empty or null default says nothing; a list shows what it holds better with one element.
        if keyword in schema and not (keyword == "default" and schema[keyword] in (None, "", [], {})):
            value = schema[keyword]
            return value[0] if keyword in ("examples", "enum") else value
    if name in FIELDS and FIELDS[name][1] is not None and _fits(FIELDS[name][1], schema):
        return FIELDS[name][1]
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        concrete = [branch for branch in branches if branch.get("type") != "null"] or branches
        return example_for(concrete[0], components, name=name, depth=depth)
    return _by_type(schema, components, name=name, depth=depth)


_FORMAT_SHAPES = {"date": r"^\d{4}-\d{2}-\d{2}$", "date-time": r"^\d{4}-\d{2}-\d{2}T"}
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def _fits(value: Any, schema: Schema) -> bool:
    """Whether a glossary example has a type the schema allows (the same name is a string here, a number there)."""
    branches = schema.get("anyOf") or schema.get("oneOf") or [schema]
    kinds = {
        k
        for branch in branches
        for k in (branch.get("type") if isinstance(branch.get("type"), list) else [branch.get("type")])
    }
    kind = _JSON_TYPES[type(value)]
    formats = {branch["format"] for branch in branches if "format" in branch}
    if kind == "string" and formats:
        # A day where an instant is wanted (or the other way round) does not fit its format.
        return all(re.match(_FORMAT_SHAPES.get(f, r"(?!)"), value) for f in formats)
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _by_type(schema: Schema, components: dict[str, Schema], *, name: str | None, depth: int) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        if depth >= _MAX_DEPTH:
            return {}
        return {
            field: example_for(sub, components, name=field, depth=depth + 1)
            for field, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        if depth >= _NESTED_LIST_DEPTH:
            return []  # a tree's deeper levels: one level of children shows the shape
        return [example_for(schema.get("items", {}), components, name=None, depth=depth + 1)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return max(1, low) if kind == "integer" else float(max(1, low))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "string":
        return _string(schema, name)
    raise NoExample(f"no example for {name or 'a value'} of schema {schema}")


def _string(schema: Schema, name: str | None) -> str:
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if "pattern" in schema:
        raise NoExample(f"{name or 'a string'} has a pattern ({schema['pattern']}) and no example of its own")
    text = (name or "text").replace("_", " ")
    return text[: schema.get("maxLength", len(text))].ljust(schema.get("minLength", 0), "x")


def add_examples(document: dict[str, Any]) -> None:
    """Give every request body and response of the contract an example, unless it has one or is a file."""
    components = document.get("components", {}).get("schemas", {})
    items = [*document.get("paths", {}).values(), *document.get("webhooks", {}).values()]
    for item in items:
        for operation in item.values():
            contents = [operation.get("requestBody", {}).get("content", {})]
            contents += [
                r.get("content", {}) for status, r in operation.get("responses", {}).items() if status.startswith("2")
            ]
            for content in contents:
                for media in content.values():
                    _add_example(media, components)
                _yaml_like_json(content)


def _yaml_like_json(content: dict[str, Schema]) -> None:
    """A YAML document beside a JSON one (a plan file) shows the same example, written as YAML."""
    json_example = content.get("application/json", {}).get("example")
    for media_type, media in content.items():
        if "yaml" in media_type and "example" not in media and json_example is not None:
            media["example"] = yaml.safe_dump(json_example, allow_unicode=True, sort_keys=False)


def _add_example(media: Schema, components: dict[str, Schema]) -> None:
    schema = media.get("schema")
    if (
        not schema
        or "example" in media
        or "examples" in media
        or schema.get("format") == "binary"
        or schema == {"type": "string"}
        or set(schema) == {"type", "description"}
    ):
        return  # a file or a bare text document: only an example of its own says what it holds
    with suppress(NoExample):  # left without: the contract test names the operation and the field that needs one
        media["example"] = example_for(schema, components)
