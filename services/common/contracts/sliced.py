"""A document of a few large lists (a plan's structure) validated a slice of each list at a time, not in one go.

pydantic validates a JSON document by parsing all of it into a tree of its own first, then building the records:
for a province's structure (27 MB of JSON, 200,000 records) that tree took ~100 MB beside the records, and
reporting_api's resident set peaked at 320-400 MB on a roll-up or a dispatch of plan 1. Here the document is cut at
its lists' bounds and each list between two of its records (`},{"`), about a MiB of JSON at a time: the skeleton (the
document with every list emptied) and each slice are validated on their own, so the transient tree is a slice's.

A cut is only trusted once validated: each slice must be a JSON array of the list's records, and a cut that fell
inside a string or a nested value leaves an unterminated string or unbalanced brackets on both sides, which no
validation accepts. When the document is not laid out as expected, or a slice fails, the whole document is
validated as before, and gives the same records or the same error.

Every slice (and the whole, when it comes to that) is validated with one table as its context, which lives as long as
the parse: the records' ids and dates share one object per value through it (plan_rows.SharedId, SharedDate).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter, ValidationError

from services.common.peer_records import PEER_PARSING

Model = TypeVar("Model", bound=BaseModel)
SLICE_BYTES = 1024 * 1024  # JSON validated at a time: its transient tree is a few MB


def validate_in_slices(model: type[Model], body: bytes, lists: Sequence[str]) -> Model:
    """`model.model_validate_json(body)`, for a document `{..., "<list>":[...], ...}` whose `lists` come last and in
    this order, as the peer writes it (any other layout is validated whole)."""
    shared: dict[object, object] = {}  # one object per id and date of the document (plan_rows.SharedId)
    bounds = _list_bounds(body, lists)
    if bounds is None:
        return model.model_validate_json(body, context=shared)
    skeleton = body[: bounds[0][0]] + b"".join(b'],"%s":[' % name.encode() for name in lists[1:]) + b"]}"
    try:
        found = {name: _records(model, name, body, *bound, shared) for name, bound in zip(lists, bounds, strict=True)}
        empty = model.__pydantic_validator__.validate_json(skeleton)  # pydantic's own: a ValidationError if bad
    except ValidationError:  # a cut inside a value, or a bad record: the whole says which
        return model.model_validate_json(body, context=shared)
    return cast(Model, empty).model_copy(update=found)


def _list_bounds(body: bytes, lists: Sequence[str]) -> list[tuple[int, int]] | None:
    """Where each list's records start and end in `body` (between its brackets), or None for another layout.

    `,"name":[` and `],"name":[` are structure wherever they occur in valid JSON: inside a string, the quote before
    the name would have to be escaped."""
    starts: list[int] = []
    at = 0
    for n, name in enumerate(lists):
        marker = b'%s"%s":[' % (b"]," if n else b",", name.encode())
        at = body.find(marker, at)
        if at < 0:
            return None
        at += len(marker)
        starts.append(at)
    if not body.endswith(b"]}"):
        return None
    ends = [start - len(b'],"%s":[' % name.encode()) for start, name in zip(starts[1:], lists[1:], strict=True)]
    return list(zip(starts, [*ends, len(body) - 2], strict=True))


def _records(
    model: type[BaseModel], name: str, body: bytes, start: int, end: int, shared: dict[object, object]
) -> list[Any]:
    """The records of one list, validated a slice of about SLICE_BYTES at a time (cut between two records), with the
    document's table of shared values as context."""
    adapter = _list_adapter(model, name)
    found: list[Any] = []
    while start < end:
        cut = body.find(b'},{"', start + SLICE_BYTES, end)  # in a string the quote is escaped, unless it ends it
        cut = end if cut < 0 else cut + 1
        found += adapter.validate_json(b"[" + body[start:cut] + b"]", context=shared)
        start = cut + 1  # past the comma between two records
    return found


@cache  # one adapter per model and list: bounded by the models that use this
def _list_adapter(model: type[BaseModel], name: str) -> TypeAdapter[list[Any]]:
    return TypeAdapter(cast(type[list[Any]], model.model_fields[name].annotation), config=PEER_PARSING)
