"""Every string a caller sends in a body is bounded in the contract (OWASP API4), so that no field takes
megabytes up to the body limit: by maxLength, or by an enum, a format or a pattern."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hostile.contract import Operation, every

BOUNDING_KEYWORDS = {"maxLength", "enum", "const", "format", "pattern"}
# A plan file is a document, not a form: its texts are bounded by the body limit and by the columns they fill
# (a text wider than its column is 422, see test_beyond_storage.py).
DOCUMENT_UPLOADS = {"tasks_api POST /v1/plans/import"}


def _unbounded_strings(op: Operation, schema: dict, where: str, seen: frozenset[str] = frozenset()) -> Iterator[str]:
    ref = schema.get("$ref")
    if ref in seen:  # a recursive schema (items of items) is walked once
        return
    schema, seen = op.resolve(schema), seen | {ref} if ref else seen
    if schema.get("type") == "string" and not BOUNDING_KEYWORDS & schema.keys():
        yield where
    for name, field in schema.get("properties", {}).items():
        yield from _unbounded_strings(op, field, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from _unbounded_strings(op, schema["items"], f"{where}[]", seen)
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _unbounded_strings(op, branch, where, seen)


BODIES = every(lambda op: op.body_schema is not None and str(op) not in DOCUMENT_UPLOADS)


@pytest.mark.parametrize("op", BODIES, ids=str)
def test_every_string_in_a_request_body_has_a_bound(op):
    found = {
        f"{op} {where}"
        for where in _unbounded_strings(op, op.spec["requestBody"]["content"]["application/json"]["schema"], "body")
    }
    assert sorted(found) == []
