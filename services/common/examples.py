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

import yaml

from services.common.glossary import FIELDS
from services.common.json import JsonObject, JsonValue, json_array, json_number, json_object, json_text

# A schema of the contract, or a part of one: a JSON document as FastAPI wrote it, narrowed where it is read.
Schema = JsonObject

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


def example_for(schema: Schema, components: Schema, *, name: str | None = None, depth: int = 0) -> JsonValue:
    """An example value of `schema`, resolving $refs against the contract's components (a name -> schema object)."""
    while "$ref" in schema:
        named = json_object(components[json_text(schema["$ref"]).rsplit("/", 1)[-1]])
        schema = {**named, **{k: v for k, v in schema.items() if k != "$ref"}}
    for keyword in ("examples", "example", "const", "default", "enum"):
        # An empty or null default says nothing; a list shows what it holds better with one element.
        if keyword in schema and not (keyword == "default" and schema[keyword] in (None, "", [], {})):
            value = schema[keyword]
            return json_array(value)[0] if keyword in ("examples", "enum") else value
    if name in FIELDS and FIELDS[name][1] is not None and _fits(FIELDS[name][1], schema):
        return FIELDS[name][1]
    branches = _branches(schema)
    if branches:
        concrete = [branch for branch in branches if branch.get("type") != "null"] or branches
        return example_for(concrete[0], components, name=name, depth=depth)
    return _by_type(schema, components, name=name, depth=depth)


_FORMAT_SHAPES = {"date": r"^\d{4}-\d{2}-\d{2}$", "date-time": r"^\d{4}-\d{2}-\d{2}T"}
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def _branches(schema: Schema) -> list[Schema]:
    """The schemas of an anyOf or oneOf (none for a schema of one kind)."""
    return [json_object(branch) for branch in json_array(schema.get("anyOf") or schema.get("oneOf") or [])]


def _kinds(schema: Schema) -> list[JsonValue]:
    """The JSON types a schema names: its `type`, one or a list (None where it names none)."""
    kind = schema.get("type")
    return kind if isinstance(kind, list) else [kind]


def _fits(value: JsonValue, schema: Schema) -> bool:
    """Whether a glossary example has a type the schema allows (the same name is a string here, a number there)."""
    branches = _branches(schema) or [schema]
    kinds = {json_text(k) for branch in branches for k in _kinds(branch) if k is not None}
    kind = _JSON_TYPES[type(value)]
    formats = {json_text(branch["format"]) for branch in branches if "format" in branch}
    if kind == "string" and formats:
        # A day where an instant is wanted (or the other way round) does not fit its format.
        return all(re.match(_FORMAT_SHAPES.get(f, r"(?!)"), json_text(value)) for f in formats)
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _by_type(schema: Schema, components: Schema, *, name: str | None, depth: int) -> JsonValue:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        if depth >= _MAX_DEPTH:
            return {}
        return {
            field: example_for(json_object(sub), components, name=field, depth=depth + 1)
            for field, sub in json_object(schema.get("properties", {})).items()
        }
    if kind == "array":
        if depth >= _NESTED_LIST_DEPTH:
            return []  # a tree's deeper levels: one level of children shows the shape
        return [example_for(json_object(schema.get("items", {})), components, name=None, depth=depth + 1)]
    if kind in ("integer", "number"):
        low = json_number(schema.get("minimum", json_number(schema.get("exclusiveMinimum", 0)) + 1))
        return max(1, low) if kind == "integer" else float(max(1, low))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "string":
        return _string(schema, name)
    raise NoExample(f"no example for {name or 'a value'} of schema {schema}")


def _string(schema: Schema, name: str | None) -> str:
    shape = schema.get("format")
    if isinstance(shape, str) and shape in _FORMATS:
        return _FORMATS[shape]
    if "pattern" in schema:
        raise NoExample(f"{name or 'a string'} has a pattern ({schema['pattern']}) and no example of its own")
    text = (name or "text").replace("_", " ")
    longest, shortest = json_number(schema.get("maxLength", len(text))), json_number(schema.get("minLength", 0))
    return text[: int(longest)].ljust(int(shortest), "x")


def add_examples(document: JsonObject) -> None:
    """Give every request body and response of the contract an example, unless it has one or is a file."""
    components = _member(_member(document, "components"), "schemas")
    items = [*_member(document, "paths").values(), *_member(document, "webhooks").values()]
    for item in items:
        for operation in map(json_object, json_object(item).values()):
            contents = [_member(_member(operation, "requestBody"), "content")]
            contents += [
                _member(json_object(r), "content")
                for status, r in _member(operation, "responses").items()
                if status.startswith("2")
            ]
            for content in contents:
                for media in content.values():
                    _add_example(json_object(media), components)
                _yaml_like_json(content)


def _member(document: JsonObject, key: str) -> JsonObject:
    """The object `document` holds under `key`, or an empty one where it holds none."""
    return json_object(document.get(key, {}))


def _yaml_like_json(content: JsonObject) -> None:
    """A YAML document beside a JSON one (a plan file) shows the same example, written as YAML."""
    json_example = _member(content, "application/json").get("example")
    for media_type, value in content.items():
        media = json_object(value)
        if "yaml" in media_type and "example" not in media and json_example is not None:
            media["example"] = yaml.safe_dump(json_example, allow_unicode=True, sort_keys=False)


def _add_example(media: Schema, components: Schema) -> None:
    schema = _optional(media, "schema")
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


def _optional(document: JsonObject, key: str) -> JsonObject | None:
    value = document.get(key)
    return None if value is None else json_object(value)
