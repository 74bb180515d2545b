"""The oversight lists' pages: a view's header with one page of its rows after the cursor, and the Link header to the
next page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel

from services.common.etag import conditional_json
from services.common.json import render
from services.common.pagination import decode_id_cursor, paginate, rows_after

R = TypeVar("R", bound=Mapping[str, Any])
M = TypeVar("M", bound=BaseModel)


def encoded_page(
    view: Mapping[str, object],
    rows: list[R],
    after: Any,
    limit: int,
    key: Callable[[R], Any],
    request: Request,
    if_none_match: str | None,
) -> Response:
    """The view (its header) with one page of `rows` (in `key` order) after the cursor, encoded as it is: notify_api
    reads these lists in bulk, and their rows are built typed already. The Link header leads to the next page; the
    digest ETag lets a dispatch that read the same page before keep what it parsed then (304)."""
    page, headers = paginate(rows_after(rows, after, limit, key), limit, request, key)
    return conditional_json(render({**{k: v for k, v in view.items() if k != "rows"}, **page}), if_none_match, headers)


def model_page(
    model: type[M],
    view: Mapping[str, object],
    rows: list[R],
    cursor: str | None,
    key: str,
    limit: int,
    request: Request,
) -> tuple[M, dict[str, str]]:
    """The view (its header) with one page of `rows` (ordered by the id `key`) as its page model, and the Link
    header to the next page."""
    by_key = itemgetter(key)
    page, headers = paginate(rows_after(rows, decode_id_cursor(cursor), limit, by_key), limit, request, by_key)
    return model.model_validate({**{k: v for k, v in view.items() if k != "rows"}, **page}), headers
