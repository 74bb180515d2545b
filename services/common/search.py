"""Search (检索): GET /v1/search in each service, over its own text, as one helper the services' `search` rooms use.

A service declares a `Source` for each kind of record it searches: the record's search table (search_index.py), the
table or join its rows are read from, its title, the texts a snippet is cut from, and which of them a caller may see
(the lists' rule: a unit sees its own, the office and viewers all). A query is cut into words (segment.py); a record
matches when its words hold every one (search_sql.py: the database's own index on PostgreSQL).

The hits come kind after kind, in the service's order, and newest first within a kind (the highest id: the latest
report or item), each with its kind, id, plan, title and a snippet with the words marked. The cursor is the kind's
place and the last id given: every page is read below it, however deep (search_read.py: a bounded walk of the
newest rows, then the words' index), and pages neither repeat nor skip a hit. Adding a source is a `Source(...)`
in the room's tuple, a search table beside its table (`search_table` in its models, `add_search_table` in a
migration) and `indexed=` on its Records."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from fastapi import Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, FromClause, Select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.json import JSONBytesResponse
from services.common.openapi import ANSWER_CONFIG
from services.common.pagination import decode_tuple_cursor, page_response, strict_int
from services.common.problems import BadRequest, Unprocessable
from services.common.search_index import Indexed
from services.common.search_read import Reading, read_hits
from services.common.segment import query_words, snippet

QUERY_MAX = 100  # characters of a query

SearchText = Annotated[
    str,
    Query(
        min_length=1,
        max_length=QUERY_MAX,
        description="What to look for (检索词): words in Chinese or other languages, matched as words (中文分词), "
        "every word in the record. Punctuation and operators are no words.",
    ),
]
Visibility = Callable[[Principal], ColumnElement[bool] | None]


class SearchHit(BaseModel):
    """A record that holds every word of the query (检索结果)."""

    model_config = ANSWER_CONFIG
    kind: str = Field(description="What the record is: item, indicator, report ….", examples=["item"])
    id: int = Field(description="The record's id in its kind (GET it at `href`).")
    plan_id: int = Field(description="The plan the record belongs to.")
    title: str = Field(description="The record's title as the lists show it.", examples=["完善便捷通达公路网络建设"])
    snippet: str = Field(
        description="A piece of the record's text around the first word found, HTML-escaped, each word of the query "
        "marked <mark>…</mark>; … where the text goes on.",
        examples=["…积极打造全域通景<mark>公路</mark>，加快实现全域景区景点互联互通…"],
    )
    href: str = Field(description="The record's path in this service, e.g. /v1/items/12.", examples=["/v1/items/12"])


class SearchHitRow(TypedDict):
    kind: str
    id: int
    plan_id: int
    title: str
    snippet: str
    href: str


def everyone(principal: Principal) -> None:
    """The visibility of records every caller may see (or whose search table alone says who: `Source.own`)."""
    return None


@dataclass(frozen=True, slots=True)
class Source:
    """One kind of record a service searches."""

    kind: str
    indexed: Indexed  # its search table, and the columns of its text (those the snippet reads, in order)
    rows: FromClause  # the record's table, or a join of it that reaches the plan
    record_id: ColumnElement[int]
    plan_id: ColumnElement[int]
    title: ColumnElement[str]
    texts: tuple[ColumnElement[str], ...]
    visible: Visibility  # the condition on `rows` of what the caller may see; None: everything
    href: str  # the record's path, with {id}: the record's, or `link`'s
    link: ColumnElement[int] | None = None  # the id `href` names when not the record's (a reply: its instruction)
    # What the caller may see when the search table says it alone (its scope, e.g. a report's unit): a condition on
    # the search table, which lets a search walk the caller's rows newest first (search_read.py).
    own: Visibility | None = None
    # Or the ids of the records the caller may see, when another table says it (a unit's items: its
    # responsibilities), walked newest first by that table's index; None: everything.
    mine: Callable[[Principal], Select[Any] | None] | None = None


@dataclass(frozen=True, slots=True)
class SearchAsk:
    """A search request: the query, the optional filters, the page."""

    q: str
    kind: str | None
    plan_id: int | None
    limit: int
    cursor: str | None


async def search_page(
    db: Database, sources: Sequence[Source], ask: SearchAsk, principal: Principal, request: Request
) -> JSONBytesResponse:
    """A page of the hits the caller may see, and the Link to the next."""
    if not ask.q.strip():
        raise Unprocessable("Say what to look for: the query is blank.", at=("query", "q"))
    words = query_words(ask.q)
    start, before = _resume(ask.cursor, len(sources))
    found: list[tuple[int, Mapping[str, Any]]] = []
    if words:
        async with db.read() as conn:
            for at in range(start, len(sources)):
                if ask.kind is not None and sources[at].kind != ask.kind:
                    continue
                reading = _reading(conn, sources[at], words, principal, ask, before if at == start else None)
                found += [(at, dict(row)) for row in await read_hits(conn, reading)]
                if len(found) > ask.limit:
                    break
    hits = [_hit(sources[at], row, words) for at, row in found[: ask.limit + 1]]
    place = {source.kind: at for at, source in enumerate(sources)}
    return page_response(hits, ask.limit, request, key=lambda hit: [place[hit["kind"]], hit["id"]])


def _resume(cursor: str | None, kinds: int) -> tuple[int, int | None]:
    """Where a page starts: the kind's place and the id below which it goes on (None: the first page)."""
    key = decode_tuple_cursor(cursor, strict_int, strict_int)
    if key is None:
        return 0, None
    at, last_id = key
    if not 0 <= at < kinds or last_id < 1:
        raise BadRequest("The cursor is not valid; use next_cursor from a previous page.")
    return at, last_id


def _reading(
    conn: AsyncConnection,
    source: Source,
    words: Sequence[str],
    principal: Principal,
    ask: SearchAsk,
    before: int | None,
) -> Reading:
    """How the source's hits for the words are read: newest first, `ask.limit + 1` of them, below `before`."""
    own = None if source.own is None else source.own(principal)
    rows_where = [seen] if (seen := source.visible(principal)) is not None else []
    if ask.plan_id is not None:
        rows_where.append(source.plan_id == ask.plan_id)
    columns: list[ColumnElement[Any]] = [
        source.record_id.label("id"),
        source.plan_id.label("plan_id"),
        source.title.label("title"),
        (source.record_id if source.link is None else source.link).label("link"),
        *(text.label(f"text_{n}") for n, text in enumerate(source.texts)),
    ]
    return Reading(
        index=source.indexed.table,
        match=dialect_of(conn).words.match(source.indexed.table, words),
        own=() if own is None else (own,),
        mine=None if source.mine is None else source.mine(principal),
        rows_where=tuple(rows_where),
        joined=source.rows,
        record_id=source.record_id,
        columns=tuple(columns),
        before=before,
        want=ask.limit + 1,
    )


def _hit(source: Source, row: Mapping[str, Any], words: Sequence[str]) -> SearchHitRow:
    texts = [row[f"text_{n}"] for n in range(len(source.texts))]
    return {
        "kind": source.kind,
        "id": row["id"],
        "plan_id": row["plan_id"],
        "title": row["title"],
        "snippet": snippet(texts, words),
        "href": source.href.format(id=row["link"]),
    }
