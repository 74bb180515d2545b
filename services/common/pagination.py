"""Keyset (cursor) pagination with RFC 8288 Link headers; never OFFSET, so every page costs the same."""

from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from functools import cache
from operator import itemgetter
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypedDict, TypeVar
from urllib.parse import urlencode

import orjson
from fastapi import Query, Request, Response
from pydantic import BaseModel, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from sqlalchemy import Column, ColumnElement, Select, bindparam, select

from services.common.driver_reads import Read
from services.common.json import JSONBytesResponse, PageBytes
from services.common.openapi import ANSWER_CONFIG
from services.common.problems import BadRequest

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_PAGING = frozenset({"cursor", "limit"})  # the parameters a next-page link sets
# A query of `name=value` pairs in the characters urlencode leaves as they are (no %, +, blank or bare name).
_PLAIN_QUERY = re.compile(rb"(?:[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*(?:&[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*)*)?")
# A Host header Starlette takes as it is (a name or IPv4 address, a port 1-65535 without leading zeros), and a path
# it writes as it is: the page's URL is then `scheme://host/path`, without building Starlette's URL. (Until
# 2026-12-05 a port of at most four digits: every request to an ephemeral port, the bench's, took the slow way.)
_PORT = rb"[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]"
_PLAIN_HOST = re.compile(rb"[A-Za-z0-9.-]+(?::(?:" + _PORT + rb"))?")
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9_.~/%-]*")


class Page(BaseModel, Generic[T]):
    """One page of a list (分页结果)."""

    model_config = ANSWER_CONFIG
    data: list[T] = Field(description="The records of this page, in list order.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # Page[X] is a generated class without a docstring of its own; its contract says what it is.
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema.setdefault("description", "One page of a list (分页结果), in keyset order; follow next_cursor for more.")
        return schema


P = TypeVar("P", bound=Page[Any])
# A row as a list holds it: a plain dict, or a TypedDict row of a repository (a dict at run time too).
R = TypeVar("R", bound=Mapping[str, Any])


class PageBody(TypedDict, Generic[R]):
    """A page as it is answered: its rows and the cursor of the next page (None on the last)."""

    data: Sequence[R]
    next_cursor: str | None


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT}, max {MAX_LIMIT}).")]
# The lists another service reads whole, page after page (a dispatch's deadlines and obligations, 200,000 rows a
# province): a page of at most BULK_LIMIT, a tenth of the round trips, each of which costs both sides a millisecond.
BULK_LIMIT = 5000
BulkLimit = Annotated[
    int, Query(ge=1, le=BULK_LIMIT, description=f"Page size (default {DEFAULT_LIMIT}, max {BULK_LIMIT}: a bulk list).")
]
Cursor = Annotated[str | None, Query(max_length=512, description="Opaque cursor from a previous page's next_cursor.")]


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> Any:
    """The sort key a cursor holds, or None for the first page; 400 for a cursor we did not issue."""
    if cursor is None:
        return None
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor from a previous page.") from exc


def strict_int(value: Any) -> int:
    """A cursor part that must be a whole number (JSON true is not 1 here)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("not an integer")
    return value


def decode_tuple_cursor(cursor: str | None, *parsers: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    """A cursor over a composite sort key, each part checked by its parser; 400 for a cursor we did not issue."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        if not isinstance(key, list) or len(key) != len(parsers):
            raise ValueError("wrong shape")
        return tuple(parse(part) for parse, part in zip(parsers, key, strict=True))
    except (TypeError, ValueError) as exc:
        raise BadRequest("The cursor is not valid; use next_cursor from a previous page.") from exc


def decode_id_cursor(cursor: str | None) -> int | None:
    """A cursor over ascending integer ids."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        after_id = strict_int(key)
        if after_id < 0:
            raise ValueError("negative")
    except ValueError as exc:
        raise BadRequest("The cursor is not valid; use next_cursor from a previous page.") from exc
    return after_id


def rows_after(rows: list[R], after: Any, limit: int, key: Callable[[R], Any]) -> list[R]:
    """`limit + 1` rows after the cursor from rows already in `key` order: a computed view pages like a stored one."""
    start = 0 if after is None else bisect_right(rows, after, key=key)  # a page of a 100,000-row view: no key list
    return rows[start : start + limit + 1]


def paginate(
    rows: Sequence[R], limit: int, request: Request, key: Callable[[R], Any] = itemgetter("id")
) -> tuple[PageBody[R], dict[str, str]]:
    """Cut a `limit + 1` fetch into a page and its headers (the RFC 8288 Link to the next page)."""
    if len(rows) <= limit:
        return {"data": rows, "next_cursor": None}, {}
    rows = rows[:limit]
    next_cursor = encode_cursor(key(rows[-1]))
    return {"data": rows, "next_cursor": next_cursor}, {
        "Link": f'<{next_page_url(request, next_cursor, limit)}>; rel="next"'
    }


def positional_page(
    rows: Sequence[R], cursor: str | None, limit: int, request: Request
) -> tuple[PageBody[R], dict[str, str]]:
    """A page of a computed view whose rows have no key of their own (a roll-up's item kinds), in the view's stable
    order: the cursor is the position after the last row given. The view is in memory, so no page costs more."""
    start = decode_id_cursor(cursor) or 0
    end = start + limit
    if len(rows) <= end:
        return {"data": rows[start:end], "next_cursor": None}, {}
    next_cursor = encode_cursor(end)
    return {"data": rows[start:end], "next_cursor": next_cursor}, {
        "Link": f'<{next_page_url(request, next_cursor, limit)}>; rel="next"'
    }


def next_page_url(request: Request, cursor: str, limit: int) -> str:
    """This request's URL with `cursor` and `limit` set (last, as `URL.include_query_params` puts them), every other
    parameter kept in order. Built from the query the request parsed already: Starlette's `include_query_params`
    parses it again and splits the whole URL apart, a tenth of a list page's CPU."""
    kept = _plain_kept(request.scope.get("query_string", b""))
    if kept is None:
        kept = urlencode([(name, value) for name, value in request.query_params.multi_items() if name not in _PAGING])
    # A cursor is base64url and a limit a number: both are written as urlencode would write them, without it.
    paging = f"cursor={cursor}&limit={limit}"
    return f"{_url_without_query(request)}?{kept}{'&' if kept else ''}{paging}"


def _url_without_query(request: Request) -> str:
    """`str(request.url)` less its query, written from the scope when its Host header and path are plain (building
    Starlette's URL parses the Host header and joins the parts again: a twentieth of a list page's CPU)."""
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    path = scope["path"]
    if host is not None and _PLAIN_HOST.fullmatch(host) and _PLAIN_PATH.fullmatch(path):
        return f"{scope.get('scheme', 'http')}://{host.decode('latin-1')}{path}"
    return str(request.url).partition("?")[0]


def _plain_kept(query: bytes) -> str | None:
    """The query's parameters but the paging ones, as `urlencode` writes them, read from the query as sent when every
    pair is `name=value` in characters urlencode writes as they are (None otherwise: the caller encodes them): a
    page's query is read once, not decoded and quoted again."""
    if not _PLAIN_QUERY.fullmatch(query):
        return None
    pairs = query.split(b"&") if query else []
    return "&".join(pair.decode() for pair in pairs if pair.partition(b"=")[0].decode() not in _PAGING)


def plain_query_pairs(query: bytes) -> list[tuple[str, str]] | None:
    """The (name, value) pairs of a query whose every pair is `name=value` in characters that stand for themselves
    (no %, + or blank), as `parse_qsl(..., keep_blank_values=True)` reads them; None for any other query, which the
    caller parses as Starlette does. Splitting such a query is a fifth of parsing it."""
    if not _PLAIN_QUERY.fullmatch(query):
        return None
    pairs = (pair.partition("=") for pair in query.decode("ascii").split("&")) if query else ()
    return [(name, value) for name, _, value in pairs]


def page_of(
    page_model: type[P],
    rows: Sequence[R],
    limit: int,
    request: Request,
    response: Response,
    key: Callable[[R], Any] = itemgetter("id"),
) -> P:
    """A page of `rows` as its model, e.g. `Page[PlanPublic]`, with the Link to the next page in `response`."""
    page, headers = paginate(rows, limit, request, key)
    response.headers.update(headers)
    return page_model.model_validate(page)


def page_response(
    rows: Sequence[R], limit: int, request: Request, key: Callable[[R], Any] = itemgetter("id")
) -> JSONBytesResponse:
    """A page encoded straight from database rows, for hot lists whose rows are already typed."""
    page, headers = paginate(rows, limit, request, key)
    return PageBytes(page, headers.get("Link"))


def given(filters: DataclassInstance) -> dict[str, object]:
    """The filters given (not None) of a dataclass of list filters, by field name."""
    # One pass, no generator between (a list page's filters are read on every request).
    return {name: value for name in _field_names(type(filters)) if (value := getattr(filters, name)) is not None}


@cache
def _field_names(kind: type[DataclassInstance]) -> tuple[str, ...]:
    # dataclasses.fields() builds its tuple again on every call: a list page's filters are read on every request.
    return tuple(field.name for field in fields(kind))


def keyset_statement(columns: Sequence[ColumnElement[Any]], key: Column[int], where: list[Any]) -> Select[Any]:
    """A page's statement, built once: the rows where `where` holds after bound `after_id`, `limit` of them in `key`
    order. Bound values only, so PostgreSQL prepares it once per connection (Database.fetch)."""
    return select(*columns).where(*where, key > bindparam("after_id")).order_by(key).limit(bindparam("limit"))


def keyset_read(statement: Select[Any], values: Mapping[str, object], *, after_id: int | None, limit: int) -> Read:
    """`limit + 1` rows after the cursor (the page and a sign of the next one). The first page runs with `key > 0`
    (ids start at 1): one statement serves every page."""
    return statement, {**values, "after_id": after_id or 0, "limit": limit + 1}
