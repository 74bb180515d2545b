"""Bulk work (批量签收、批量审核、批量催办): one request, one result per element.

Every element goes through the single operation's own service function, in its own transaction: it happens wholly
or not at all, and a refusal leaves the elements before and after it done. A refused element carries the problem
document the single call would have answered (its type, title, status, detail and errors, in the caller's
language). A failure of the service itself (5xx: the database or a peer gone) is not an element's refusal: it ends
the request, and the elements already done stay done (a retry with the same Idempotency-Key is told so, 409).

The bulk request is traceable in the change history: each element's change is recorded as the single call records
it, and one row of the bulk entity (keyed by what the request is about: a unit, a plan) lists what the request did,
with its request id (X-Request-ID), which is also in the response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.correlation import REQUEST_ID
from services.common.guards import MAX_STORED_INT
from services.common.history import record_change
from services.common.language import LANGUAGE
from services.common.messages import english_title, localise
from services.common.problems import PROBLEM_TYPE_BASE, Problem, ProblemError

MAX_ELEMENTS = 500  # elements of one bulk request; more is refused whole (422)
BULK_ACTION = "bulk"  # the action of a bulk request's own history row

ElementId = Annotated[int, Field(ge=1, le=MAX_STORED_INT)]


class ElementStatus(StrEnum):
    """What became of one element: done (ok) or refused, with the reason."""

    OK = "ok"
    REFUSED = "refused"


class ElementResult(BaseModel):
    """The outcome of one element of a bulk request."""

    id: int = Field(description="The element, as the request named it.")
    status: ElementStatus
    etag: str | None = Field(
        None, description="The record's ETag after the change (where it has one), or its current one when refused 412."
    )
    problem: Problem | None = Field(
        None, description="Why the element was refused: the problem document the single call would answer."
    )


class BulkResult(BaseModel):
    """What a bulk request did, element by element, in the order the request named them (duplicates once)."""

    request_id: str | None = Field(description="The request's id (X-Request-ID), also in its history rows.")
    succeeded: int = Field(description="How many elements were done.")
    refused: int = Field(description="How many elements were refused; each says why.")
    results: list[ElementResult] = Field(description="One per element, in the order the request named them.")

    @classmethod
    def of(cls, results: list[ElementResult]) -> BulkResult:
        done = sum(r.status is ElementStatus.OK for r in results)
        return cls(request_id=REQUEST_ID.get(), succeeded=done, refused=len(results) - done, results=results)

    def ids(self, status: ElementStatus) -> list[int]:
        return [r.id for r in self.results if r.status is status]


def distinct(ids: Iterable[int]) -> list[int]:
    """The ids in the order first named, each once (naming an element twice does it once)."""
    return list(dict.fromkeys(ids))


def refusal(exc: ProblemError) -> Problem:
    """The problem document the single call answers with for `exc`, as an element's reason (no `instance`: the
    element is not a request of its own)."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + exc.slug,
        "title": english_title(exc.slug) or exc.title,
        "status": exc.status,
        "detail": exc.detail,
    }
    if exc.extra.get("errors"):
        body["errors"] = exc.extra["errors"]
    localise(body, exc.slug, LANGUAGE.get())
    return Problem.model_validate(body)


Step = Callable[[int], Awaitable[str | None]]  # does one element; returns its ETag after the change, if it has one


async def each(ids: Iterable[int], step: Step) -> list[ElementResult]:
    """Run `step` for every element, one after the other; a 4xx problem refuses that element only."""
    results = []
    for element in ids:
        try:
            etag = await step(element)
        except ProblemError as exc:
            if exc.status >= 500:
                raise
            etag = exc.headers.get("ETag")  # a stale ETag's refusal names the current one
            results.append(ElementResult(id=element, status=ElementStatus.REFUSED, etag=etag, problem=refusal(exc)))
        else:
            results.append(ElementResult(id=element, status=ElementStatus.OK, etag=etag))
    return results


async def record_bulk(
    conn: AsyncConnection, change_log: Table, *, entity: str, entity_id: int, actor: str, did: Mapping[str, Any]
) -> None:
    """The bulk request's own history row: what it did (`did`), with its request id, under `entity`/`entity_id`."""
    await record_change(
        conn,
        change_log,
        entity=entity,
        entity_id=entity_id,
        action=BULK_ACTION,
        actor=actor,
        after={"request_id": REQUEST_ID.get(), **did},
    )
