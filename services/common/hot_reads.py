"""Hot reads: the everyday request of a hot list, answered beneath FastAPI, from asyncpg straight to orjson.

Issue 6 holds the item list to 0.6 and the report list to 0.5 of a bare asyncpg + orjson app. Through FastAPI a
page costs ~3.5 ms of CPU, four times the query: routing, dependency solving and parameter validation, and
SQLAlchemy's statement handling. So the request clients send again and again — a token already verified, plain
parameters, a page with rows — is answered here: the route's own statement, compiled once and prepared on a pool
of bare connections.
Anything else goes on to the full route and gets the contract's answer from it: a parameter this path does not
take or a value it would have to check, a token not yet verified, an empty page (the route tells 404 from
"nothing"), a database error, SQLite. tests/common/test_hot_reads.py holds both paths to the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Select
from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.auth import Principal, TokenVerifier, parse_bearer
from services.common.driver_reads import Read
from services.common.json import render
from services.common.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_id_cursor, encode_cursor
from services.common.problems import BadRequest

_PLAIN_ID = re.compile(r"[1-9][0-9]{0,9}")
_PLAIN_TEXT = re.compile(r"[0-9A-Za-z-]{1,10}")
_INT4_MAX = 2**31 - 1  # ids are PostgreSQL integers; a larger one is the full route's 422


def plain_id(text: str) -> int:
    """A positive id written the one way it is written; anything else is the full route's to judge."""
    if not _PLAIN_ID.fullmatch(text) or int(text) > _INT4_MAX:
        raise ValueError(text)
    return int(text)


def plain_text(text: str) -> str:
    """A short code such as a period (2024-Q2): letters, digits and hyphens."""
    if not _PLAIN_TEXT.fullmatch(text):
        raise ValueError(text)
    return text


Filters = dict[str, Any]


@dataclass(frozen=True, slots=True)
class HotList:
    """A list the hot path answers: its path (named groups are ids), the query filters it takes with their
    parsers, who may take it, and its page: the route's own statement for the filters given (path ids
    included), built once per set of filters, with bindparams named after them and `after_id` and `limit`."""

    path: re.Pattern[str]
    filters: Mapping[str, Callable[[str], Any]]
    page: Callable[[frozenset[str]], Select[Any]]
    allows: Callable[[Principal], bool] = lambda principal: True

    def read(self, filters: Filters, after: int | None, limit: int) -> Read:
        """`limit + 1` rows after the cursor. The first page runs with `id > 0`: ids start at 1, and one statement
        serves every page."""
        return self.page(frozenset(filters)), {**filters, "after_id": after or 0, "limit": limit + 1}


class HotReads:
    """ASGI middleware: answers the hot lists' everyday requests, hands every other request on unchanged."""

    def __init__(self, app: ASGIApp, lists: Sequence[HotList]) -> None:
        self.app = app
        self.lists = lists

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = await self._answer(scope)
            if answer is not None:
                body, headers = answer
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
        hot, match = self._route(scope["path"])
        if hot is None or match is None:
            return None
        principal = _verified_caller(scope)
        request = _plain_query(scope["query_string"], hot, match) if principal and hot.allows(principal) else None
        if request is None:
            return None
        filters, after, limit = request
        rows = await scope["app"].state.database.driver_pool.fetch_rows(hot.read(filters, after, limit))
        if not rows:  # no driver pool (SQLite), a failure or an empty page: the full route answers
            return None
        return _page(scope, [dict(row) for row in rows], limit)

    def _route(self, path: str) -> tuple[HotList | None, re.Match[str] | None]:
        for hot in self.lists:
            match = hot.path.fullmatch(path)
            if match:
                return hot, match
        return None, None


def _verified_caller(scope: Scope) -> Principal | None:
    """The caller of a token verified before; the full route verifies (and remembers) any other."""
    verifier: TokenVerifier = scope["app"].state.token_verifier
    for name, value in scope["headers"]:
        if name == b"authorization":
            token = parse_bearer(value.decode("latin-1"))
            return verifier.cached(token) if token else None
    return None


def _plain_query(query_string: bytes, hot: HotList, match: re.Match[str]) -> tuple[Filters, int | None, int] | None:
    """(filters, cursor id, limit) when every parameter is one the hot path takes, given once, in plain form."""
    try:
        pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True, strict_parsing=bool(query_string))
        query = dict(pairs)
        if len(query) < len(pairs):
            return None
        filters = {name: plain_id(value) for name, value in match.groupdict().items()}
        for name, value in query.items():
            if name not in ("limit", "cursor"):
                filters[name] = hot.filters[name](value)
        limit = plain_id(query["limit"]) if "limit" in query else DEFAULT_LIMIT
        after = decode_id_cursor(query["cursor"]) if "cursor" in query else None
    except (UnicodeDecodeError, ValueError, KeyError, BadRequest):
        return None
    return (filters, after, limit) if limit <= MAX_LIMIT else None


def _page(scope: Scope, rows: list[dict[str, Any]], limit: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The body and headers services/common/pagination.page_response gives the same rows."""
    page: dict[str, Any] = {"data": rows[:limit], "next_cursor": None}
    headers: list[tuple[bytes, bytes]] = []
    if len(rows) > limit:
        page["next_cursor"] = encode_cursor(rows[limit - 1]["id"])
        url = URL(scope=scope).include_query_params(cursor=page["next_cursor"], limit=limit)
        headers.append((b"link", f'<{url}>; rel="next"'.encode("latin-1")))
    body = render(page)
    return body, [*headers, (b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
