"""Breaking changes between two versions of a published OpenAPI contract.

A change breaks a consumer when it removes an operation, removes a field from a success response,
makes a request field or parameter newly required, or narrows a type (a type dropped, enum values
removed, a length or range tightened, a pattern changed). Additions never break. The rule for the
version (SemVer 2.0.0): a breaking change is allowed only with a bump of `info.version`'s major
number, or of the minor number while the major is 0 (SemVer §4: 0.y.z may change anything, so a
0.y bump is the 0.x way of saying "breaking").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from services.common.json import JsonObject, JsonValue, json_array, json_number, json_object, json_text

Schema = JsonObject
Seen = set[tuple[int, int]]
Comparison = Callable[["Contract", "Contract", Schema, Schema, str, Seen], Iterator[str]]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keywords whose value may only grow (a lower bound) or only shrink (an upper bound) without narrowing.
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


@dataclass(frozen=True)
class Contract:
    """One version of a contract, with its component schemas for resolving $refs."""

    document: JsonObject

    @cached_property
    def _components(self) -> JsonObject:
        return json_object(json_object(self.document["components"])["schemas"])

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = json_object(self._components[json_text(schema["$ref"]).rsplit("/", 1)[-1]])
        return schema

    def operations(self) -> dict[tuple[str, str], Schema]:
        return {
            (method.upper(), path): json_object(operation)
            for path, item in _member(self.document, "paths").items()
            for method, operation in json_object(item).items()
            if method in HTTP_METHODS
        }

    @property
    def version(self) -> str:
        return json_text(_member(self.document, "info").get("version", "0"))


def breaking_changes(old: JsonObject, new: JsonObject) -> list[str]:
    """Every change from `old` to `new` that can break an existing consumer, one line each."""
    before, after = Contract(old), Contract(new)
    found: list[str] = []
    new_operations = after.operations()
    for key, operation in before.operations().items():
        where = f"{key[0]} {key[1]}"
        if key not in new_operations:
            found.append(f"{where}: operation removed")
            continue
        found += [f"{where}: {change}" for change in _operation_changes(before, after, operation, new_operations[key])]
    return found


def version_allows_breaks(old_version: str, new_version: str) -> bool:
    """Whether the version bump announces breaking changes (major, or minor while the major is 0)."""
    old, new = _semver(old_version), _semver(new_version)
    return new[:2] > old[:2] if old[0] == 0 else new[0] > old[0]


def _semver(version: str) -> tuple[int, ...]:
    parts = [int("".join(ch for ch in part if ch.isdigit()) or 0) for part in version.split("-")[0].split(".")]
    return tuple([*parts, 0, 0, 0][:3])


def _operation_changes(before: Contract, after: Contract, old: Schema, new: Schema) -> Iterator[str]:
    yield from _parameter_changes(before, after, _objects(old, "parameters"), _objects(new, "parameters"))
    yield from _request_body_changes(before, after, _optional(old, "requestBody"), _optional(new, "requestBody"))
    new_responses = _member(new, "responses")
    for status, response in _member(old, "responses").items():
        if not status.startswith("2"):
            continue
        if status not in new_responses:
            yield f"response {status} removed"
            continue
        for media, old_content in _member(json_object(response), "content").items():
            new_content = _member(json_object(new_responses[status]), "content").get(media)
            if new_content is None:
                yield f"response {status} no longer returns {media}"
            elif (schemas := _media_schemas(old_content, new_content)) is not None:
                yield from _response_changes(before, after, *schemas, f"response {status}", set())


def _parameter_changes(before: Contract, after: Contract, old: list[Schema], new: list[Schema]) -> Iterator[str]:
    old_by_key = {(json_text(p["in"]), json_text(p["name"])): p for p in old}
    for parameter in new:
        key = (json_text(parameter["in"]), json_text(parameter["name"]))
        label = f"{key[0]} parameter {key[1]!r}"
        previous = old_by_key.get(key)
        if parameter.get("required") and not (previous and previous.get("required")):
            yield f"{label} is newly required"
        if previous and "schema" in previous and "schema" in parameter:
            yield from _request_changes(
                before, after, _member(previous, "schema"), _member(parameter, "schema"), label, set()
            )


def _request_body_changes(before: Contract, after: Contract, old: Schema | None, new: Schema | None) -> Iterator[str]:
    if new is None:
        return
    if new.get("required") and not (old and old.get("required")):
        yield "request body is newly required"
    for media, content in _member(old or {}, "content").items():
        new_content = _member(new, "content").get(media)
        if new_content is None:
            yield f"request body no longer accepts {media}"
        elif (schemas := _media_schemas(content, new_content)) is not None:
            yield from _request_changes(before, after, *schemas, "request body", set())


def _request_changes(
    before: Contract, after: Contract, old: Schema, new: Schema, where: str, seen: Seen
) -> Iterator[str]:
    """What a consumer sends: a field newly required or a value range narrowed breaks it."""
    old, new = before.resolve(old), after.resolve(new)
    if (id(old), id(new)) in seen:
        return
    seen.add((id(old), id(new)))
    yield from _narrowing(before, after, old, new, where)
    old_required, new_properties = _names(old, "required"), _properties(after, new)
    for name in sorted(_names(new, "required") - old_required):
        yield f"{where}: field {name!r} is newly required"
    for name, old_property in _properties(before, old).items():
        if name in new_properties:
            yield from _request_changes(before, after, old_property, new_properties[name], f"{where}.{name}", seen)
    yield from _nested(before, after, old, new, where, seen, _request_changes)


def _response_changes(
    before: Contract, after: Contract, old: Schema, new: Schema, where: str, seen: Seen
) -> Iterator[str]:
    """What a consumer reads: a field removed, or a value of a type it did not expect, breaks it.

    Narrowing what a response holds (fewer types, tighter bounds) is safe for its readers.
    """
    old, new = before.resolve(old), after.resolve(new)
    if (id(old), id(new)) in seen:
        return
    seen.add((id(old), id(new)))
    old_types, new_types = _types(before, old), _types(after, new)
    if old_types and new_types and not _widens(new_types, old_types):
        yield f"{where}: type changed from {sorted(old_types)} to {sorted(new_types)}"
    new_properties = _properties(after, new)
    for name, old_property in _properties(before, old).items():
        if name not in new_properties:
            yield f"{where}: field {name!r} removed"
        else:
            yield from _response_changes(before, after, old_property, new_properties[name], f"{where}.{name}", seen)
    yield from _nested(before, after, old, new, where, seen, _response_changes)


def _nested(
    before: Contract, after: Contract, old: Schema, new: Schema, where: str, seen: Seen, compare: Comparison
) -> Iterator[str]:
    """Array items and the non-null branch of an optional value compare like the value itself."""
    old_items, new_items = _items(before, old), _items(after, new)
    if old_items is not None and new_items is not None:
        yield from compare(before, after, old_items, new_items, f"{where}[]", seen)
    old_object, new_object = _single_object(before, old), _single_object(after, new)
    if old_object is not None and new_object is not None and (old_object, new_object) != (old, new):
        yield from compare(before, after, old_object, new_object, where, seen)


def _narrowing(before: Contract, after: Contract, old: Schema, new: Schema, where: str) -> Iterator[str]:
    old_types, new_types = _types(before, old), _types(after, new)
    if old_types and new_types and not _widens(old_types, new_types):
        yield f"{where}: type narrowed from {sorted(old_types)} to {sorted(new_types)}"
    old_enum, new_enum = _enum(before, old), _enum(after, new)
    if old_enum is not None and new_enum is not None and (removed := old_enum - new_enum):
        yield f"{where}: enum values removed {sorted(map(str, removed))}"
    if old_enum is None and new_enum is not None:
        yield f"{where}: restricted to enum values {sorted(map(str, new_enum))}"
    for keyword in _UPPER_BOUNDS + _LOWER_BOUNDS + ("pattern",):
        old_bound, new_bound = _keyword(before, old, keyword), _keyword(after, new, keyword)
        if new_bound is None or old_bound == new_bound:
            continue
        tightened = (
            old_bound is None
            or keyword == "pattern"
            or (keyword in _UPPER_BOUNDS and json_number(new_bound) < json_number(old_bound))
            or (keyword in _LOWER_BOUNDS and json_number(new_bound) > json_number(old_bound))
        )
        if tightened:
            yield f"{where}: {keyword} narrowed from {old_bound} to {new_bound}"


def _widens(narrow: set[str], wide: set[str]) -> bool:
    """Whether every type of `narrow` is accepted by `wide` (an integer is a number in JSON Schema)."""
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _branches(contract: Contract, schema: Schema) -> list[Schema]:
    schema = contract.resolve(schema)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if not branches:
        return [schema]
    return [leaf for branch in json_array(branches) for leaf in _branches(contract, json_object(branch))]


def _types(contract: Contract, schema: Schema) -> set[str]:
    found: set[str] = set()
    for branch in _branches(contract, schema):
        kind = branch.get("type")
        if kind is None and "enum" not in branch and "const" not in branch:
            return set()  # an untyped branch accepts anything: no type to narrow
        found |= {json_text(k) for k in kind} if isinstance(kind, list) else {json_text(kind)} if kind else set()
    return found


def _enum(contract: Contract, schema: Schema) -> set[JsonValue] | None:
    values: set[JsonValue] = set()
    for branch in _branches(contract, schema):
        if branch.get("type") == "null":
            continue
        if "enum" not in branch and "const" not in branch:
            return None
        values |= set(json_array(branch.get("enum", [branch.get("const")])))
    return values or None


def _keyword(contract: Contract, schema: Schema, keyword: str) -> JsonValue:
    values = [branch[keyword] for branch in _branches(contract, schema) if keyword in branch]
    return values[0] if len(values) == 1 else None


def _properties(contract: Contract, schema: Schema) -> dict[str, Schema]:
    return {name: json_object(field) for name, field in _member(contract.resolve(schema), "properties").items()}


def _items(contract: Contract, schema: Schema) -> Schema | None:
    arrays = [branch for branch in _branches(contract, schema) if branch.get("type") == "array" and "items" in branch]
    return _member(arrays[0], "items") if len(arrays) == 1 else None


def _single_object(contract: Contract, schema: Schema) -> Schema | None:
    objects = [branch for branch in _branches(contract, schema) if "properties" in branch]
    return objects[0] if len(objects) == 1 else None


def _media_schemas(old_content: JsonValue, new_content: JsonValue) -> tuple[Schema, Schema] | None:
    """The schemas of one media type's content before and after, where both have one."""
    old, new = json_object(old_content), json_object(new_content)
    return (json_object(old["schema"]), json_object(new["schema"])) if "schema" in old and "schema" in new else None


def _member(schema: Schema, key: str) -> Schema:
    """The object `schema` holds under `key`, or an empty one where it holds none."""
    return json_object(schema.get(key, {}))


def _optional(schema: Schema, key: str) -> Schema | None:
    value = schema.get(key)
    return None if value is None else json_object(value)


def _objects(schema: Schema, key: str) -> list[Schema]:
    return [json_object(item) for item in json_array(schema.get(key, []))]


def _names(schema: Schema, key: str) -> set[str]:
    return {json_text(name) for name in json_array(schema.get(key, []))}
