"""A document of a few large lists (a plan's structure) validated a slice of each list at a time, not in one go.

pydantic validates a JSON document by parsing all of it into a tree of its own first, then building the records:
for a province's structure (27 MB of JSON, 200,000 records) that tree took ~100 MB beside the records, and
reporting_api's resident set peaked at 320-400 MB on a roll-up or a dispatch of plan 1. Here the document is cut at
its lists' bounds and each list between two of its records (`},{"`), about 256 KiB of JSON at a time: the skeleton (the
document with every list emptied) and each slice are validated on their own, so the transient tree is a slice's.

A cut is only trusted once validated: each slice must be a JSON array of the list's records, and a cut that fell
inside a string or a nested value leaves an unterminated string or unbalanced brackets on both sides, which no
validation accepts. When the document is not laid out as expected, or a slice fails, the whole document is
validated as before, and gives the same records or the same error.

Every slice (and the whole, when it comes to that) is validated with one table as its context, which lives as long as
the parse: the records' ids and dates share one object per value through it (plan_rows.SharedId, SharedDate).

A peer's answer is parsed as it arrives (ChunkedDocument, fed by services/common/http.py): each chunk is let go once
the records it held are validated, so the document is never whole in memory beside its records (reading plan 1's
structure peaked 24 MB lower, its duties 13 MB). A document that starts as the peer writes it (its first field, then
its lists in order) is read that way to its end, with no whole to fall back on: a slice that fails is read on to a
later cut, a list ends where its records do (before any fields a newer peer added after it), and a list whose
records fail however they are cut is outside the contract. Any other start is kept whole and validated whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, TypeAdapter, ValidationError

from services.common.peer_records import PEER_PARSING, PeerError, PeerRecord, outside_contract, peer_unavailable

Model = TypeVar("Model", bound=BaseModel)
PeerModel = TypeVar("PeerModel", bound=PeerRecord)
# JSON validated at a time: its transient tree, and its records before they are kept, are about a MB. Reading plan 1's
# duties peaked 25.3 MB over nothing with 1 MiB slices, 20.5 with these, for no more CPU (tracemalloc).
SLICE_BYTES = 256 * 1024
_CUT = b'},{"'  # between two records of a list (in a string the quote is escaped, unless it ends the string)
EXTRA_TRIES = 8  # where a list may end before fields a peer added after it, tried in turn


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


def _records(model: type[BaseModel], name: str, body: bytes, start: int, end: int, shared: dict[object, object]) -> Any:
    """The records of one list (a list, or columns), validated a slice of about SLICE_BYTES at a time (cut between two
    records), with the document's table of shared values as context."""
    adapter = _list_adapter(model, name)
    found = None
    while start < end:
        cut = body.find(_CUT, start + SLICE_BYTES, end)
        cut = end if cut < 0 else cut + 1
        found = _joined(found, adapter.validate_json(b"[" + body[start:cut] + b"]", context=shared))
        start = cut + 1  # past the comma between two records
    return adapter.validate_json(b"[]") if found is None else found


def _joined(found: Any, part: Any) -> Any:
    """A list's records so far (None before its first slice) with a slice's: a list, or the records held as columns
    (columns.Columns), either extended by the next slice's."""
    if found is None:
        return part
    found.extend(part)
    return found


@cache  # one adapter per model and list: bounded by the models that use this
def _list_adapter(model: type[BaseModel], name: str) -> TypeAdapter[list[Any]]:
    return TypeAdapter(cast(type[list[Any]], model.model_fields[name].annotation), config=PEER_PARSING)


class ChunkedDocument(Generic[PeerModel]):
    """validate_in_slices of a document fed in the chunks it arrives in (a peer_records.DocumentFeed); a document of
    another start is kept whole and validated whole. Outside the contract: the model's PeerError."""

    def __init__(self, model: type[PeerModel], lists: Sequence[str]) -> None:
        self.model, self.lists = model, lists
        self.head = b""  # the start, until the first list's records are found in it
        self.reader: _Reader[PeerModel] | None = None
        self.whole: list[bytes] | None = None  # another start: every chunk, kept

    def feed(self, chunk: bytes) -> None:
        if self.reader is not None:
            self.reader.feed(chunk)
        elif self.whole is not None:
            self.whole.append(chunk)
        else:
            self.head += chunk
            at = _first_list_at(self.model, self.head, self.lists[0])
            if at is not None:
                self.reader = _Reader(self.model, self.lists, self.head[:at])
                self.reader.feed(self.head[at:])
                self.head = b""
            elif len(self.head) >= SLICE_BYTES:
                self.whole, self.head = [self.head], b""

    def finish(self) -> PeerModel:
        if self.reader is not None:
            return self.reader.finish()
        return validate_in_slices(self.model, self.head + b"".join(self.whole or ()), self.lists)


def _first_list_at(model: type[BaseModel], head: bytes, first: str) -> int | None:
    """Where the first list's records start, when the document starts as the peer writes it (its first field, not a
    list, then the lists in order); None until that is known, or for another start."""
    if not head.startswith(b'{"%s":' % next(iter(model.model_fields)).encode()):
        return None
    marker = _list_start(first)
    at = head.find(marker)
    return None if at < 0 else at + len(marker)


class _Reader(Generic[PeerModel]):
    """The records of a document read chunk by chunk: each list's a slice at a time, then the skeleton's (the document
    with every list emptied, and whatever fields the peer added around the lists)."""

    def __init__(self, model: type[PeerModel], lists: Sequence[str], head: bytes) -> None:
        self.model, self.lists = model, lists
        self.skeleton = [head]
        self.shared: dict[object, object] = {}  # one object per id and date (plan_rows.SharedId)
        self.found: dict[str, Any] = {}  # each list's records so far: a list, or columns (_joined)
        self.at = 0  # the list being read
        self.pending = b""  # read and not validated yet, from the start of a record (or of the list's end)
        self.search = SLICE_BYTES  # where in `pending` the next cut is looked for
        self.error: ValidationError | None = None

    def feed(self, chunk: bytes) -> None:
        self.pending += chunk
        while self.at < len(self.lists) - 1:
            marker = _list_start(self.lists[self.at + 1])
            if (end := self.pending.find(marker)) < 0:
                break
            end = self._slices(end)
            self._end(self.pending[:end], marker)
            self.pending, self.search, self.at = self.pending[end + len(marker) :], SLICE_BYTES, self.at + 1
        self._slices(len(self.pending))  # the cuts before the list's end, which chunks still to come hold

    def finish(self) -> PeerModel:
        """The document, once every chunk is read. A peer may leave out its last lists (an older one): the list being
        read then ends the document."""
        self.pending = self.pending.rstrip()  # JSON may end in white space
        if not self.pending.endswith(b"}"):
            raise self._outside()  # an answer cut short
        self._end(self.pending[: self._slices(len(self.pending) - 1)], b"}")
        empty = self.model.model_validate_json(b"".join(self.skeleton))  # a PeerRecord: its PeerError if outside
        return empty.model_copy(update=self.found)

    def _slices(self, end: int) -> int:
        """The records before `end`, a slice of SLICE_BYTES or more at a time; what follows the last cut is kept (the
        list's next records; a slice that failed is read on to a later cut: a cut inside a value, or past the list's
        end into fields the peer added). Returns where `end` is in what is kept."""
        while (cut := self.pending.find(_CUT, self.search, end)) >= 0:
            if self._take(self.pending[: cut + 1]):
                self.pending, self.search, end = self.pending[cut + 2 :], SLICE_BYTES, end - cut - 2
            else:
                self.search = cut + SLICE_BYTES
        return end

    def _end(self, region: bytes, then: bytes) -> None:
        """The list's last records: `region` is them, the list's `]` and any fields the peer added after the list,
        up to the next list's name (`then`) or the document's end."""
        ends = [len(region) - 1] if region.endswith(b"]") else []
        ends += [at for at in _find_all(region, b'],"') if at < len(region) - 1][:EXTRA_TRIES]
        for at in ends:
            if not region[:at] or self._take(region[:at]):
                self.skeleton += [region[at:], then]
                return
        raise self._outside()

    def _take(self, records: bytes) -> bool:
        name = self.lists[self.at]
        adapter = _list_adapter(self.model, name)
        try:
            part = adapter.validate_json(b"[" + records + b"]", context=self.shared)
        except ValidationError as exc:
            self.error = exc
            return False
        self.found[name] = _joined(self.found.get(name), part)
        return True

    def _outside(self) -> PeerError:
        """The answer's 503: a list whose records fail however they are cut, or a document cut short."""
        if self.error is None:
            return peer_unavailable(self.model.peer, "answered with malformed JSON")
        return outside_contract(self.model.peer, self.model.__name__, self.error)


def _list_start(name: str) -> bytes:
    """What comes before a list's first record, after the field before it: `,"name":[`."""
    return b',"%s":[' % name.encode()


def _find_all(data: bytes, sub: bytes) -> list[int]:
    found, at = [], data.find(sub)
    while at >= 0:
        found.append(at)
        at = data.find(sub, at + 1)
    return found
