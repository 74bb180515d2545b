"""Keyset (cursor) pagination with RFC 8288 Link headers; never OFFSET, so every page costs the same."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from services.common.problems import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list (分页结果)."""

    data: list[T] = Field(description="The records of this page, in list order.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page.")


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT}, max {MAX_LIMIT}).")]
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


def decode_id_cursor(cursor: str | None) -> int | None:
    """A cursor over ascending integer ids."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if not isinstance(key, int) or isinstance(key, bool) or key < 0:
        raise BadRequest("The cursor is not valid; use next_cursor from a previous page.")
    return key


def page_of(rows: list[dict[str, Any]], limit: int, request: Request, response: Response,
            key: str = "id") -> dict[str, Any]:
    """Cut a `limit + 1` fetch into a page, its next cursor and the Link header."""
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][key])
        url = request.url.include_query_params(cursor=next_cursor, limit=limit)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return {"data": rows, "next_cursor": next_cursor}
