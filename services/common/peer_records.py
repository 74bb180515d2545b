"""What a peer answers with, checked against its contract: a record (PeerRecord), rows in bulk (PeerRows), and the
503 an answer outside the contract is (the peer's fault, not ours)."""

from __future__ import annotations

from functools import cache, cached_property
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, cast

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic validates a generic typing.TypedDict only from Python 3.12

from services.common.problems import ServiceUnavailable

Row = TypeVar("Row")
Parsed_co = TypeVar("Parsed_co", covariant=True)


class DocumentFeed(Protocol[Parsed_co]):
    """A large answer parsed as its bytes arrive (contracts/sliced.ChunkedDocument): fed each chunk in turn, then
    finished; a chunk is not kept once parsed, so the document is never whole in memory."""

    def feed(self, chunk: bytes) -> None: ...

    def finish(self) -> Parsed_co: ...


class PeerError(ServiceUnavailable):
    """A peer service could not answer within the budget; our caller may retry later."""


def peer_unavailable(peer: str, why: str) -> PeerError:
    """The 503 for a peer that could not give an answer (`why`: "did not answer within the time budget", …)."""
    return PeerError(f"{peer} {why}; nothing was written, retry shortly.", headers={"Retry-After": "5"})


def outside_contract(peer: str, shape: str, exc: ValidationError) -> PeerError:
    """The 503 for a peer's answer that does not fit the shape its contract gives (the peer's fault, not ours)."""
    return peer_unavailable(peer, f"answered outside its contract ({shape}: {exc.errors()[0]['msg']})")


# pydantic-core keeps the last 16,384 short strings it parsed from JSON in one process-wide cache, by default values
# too: after a province's plan was parsed, those strings lay scattered over the arenas the parse had used, and pinned
# them (CPython's allocator frees an arena only once every object in it is gone): reporting_api stayed ~25 MB higher
# after the roll-ups and a ledger export. Field names repeat in every record and are all the cache needs to hold.
PEER_PARSING = ConfigDict(cache_strings="keys")


class PeerRecord(BaseModel):
    """A record a peer answered with. An answer outside the peer's contract is the peer's fault (503), not ours (500).

    Unknown fields are ignored, so a peer may add fields without breaking its consumers."""

    model_config = ConfigDict(extra="ignore", frozen=True, **PEER_PARSING)
    peer: ClassVar[str] = "a peer service"

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        try:
            return super().model_validate(obj, **options)
        except ValidationError as exc:
            raise outside_contract(cls.peer, cls.__name__, exc) from exc

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **options: Any) -> Self:
        """From the answer's bytes (no decoded JSON in between); malformed JSON is outside the contract too."""
        try:
            return super().model_validate_json(json_data, **options)
        except ValidationError as exc:
            raise outside_contract(cls.peer, cls.__name__, exc) from exc

    @classmethod
    def validate_rows(cls, rows: list[Any]) -> list[Self]:
        """A page of records validated in one call: a third of the time of model_validate row by row (reporting_api
        reads a plan's tens of thousands of items and assignments from tasks_api for a dispatch's obligations)."""
        try:
            return cast(list[Self], _rows_adapter(cls).validate_python(rows))
        except ValidationError as exc:
            raise outside_contract(cls.peer, cls.__name__, exc) from exc


@cache  # one adapter per record class: bounded by the classes the contracts define
def _rows_adapter(record: type[PeerRecord]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[record])  # type: ignore[valid-type]  # a runtime type


class RowPage(TypedDict, Generic[Row]):
    """A page of a peer's list as this side reads it (its other fields, ignored, are the list's own)."""

    __pydantic_config__ = PEER_PARSING  # type: ignore[misc]  # pydantic's hook for a TypedDict's config
    data: list[Row]
    next_cursor: str | None


class PeerRows(Generic[Row]):
    """Rows of a bulk read validated all at once into plain typed dicts (a TypedDict), not one model per row: a
    dispatch reads tens of thousands of deadlines and obligations, and building a frozen model for each cost ten
    times the validation itself. An answer outside the contract is the peer's fault (503), as with PeerRecord."""

    def __init__(self, row: type[Row], *, peer: str) -> None:
        self._rows: TypeAdapter[list[Row]] = TypeAdapter(list[row])  # type: ignore[valid-type]  # a runtime type
        self._row, self._name = row, row.__name__
        self.peer = peer

    def validate(self, rows: list[Any]) -> list[Row]:
        try:
            return self._rows.validate_python(rows)
        except ValidationError as exc:
            raise outside_contract(self.peer, self._name, exc) from exc

    def page(self, content: bytes) -> RowPage[Row]:
        """A list page's rows and next cursor validated from its bytes in one pass (pydantic-core's own parser): no
        decoded JSON is built to be validated after, which took a third more time (a dispatch's 57 pages of ~85 MB:
        ~0.45 s of notify_api's CPU). Malformed JSON is outside the contract too."""
        try:
            return self._page.validate_json(content)
        except ValidationError as exc:
            raise outside_contract(self.peer, self._name, exc) from exc

    @cached_property  # built at the first page: most row types are never read as whole pages
    def _page(self) -> TypeAdapter[RowPage[Row]]:
        return TypeAdapter(RowPage[self._row])  # type: ignore[name-defined]  # a runtime type
