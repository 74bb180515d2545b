"""Conditional reads of a peer's paged list: every page asked for again with the ETag it had, the rows parsed from
it kept while the peer answers 304.

notify_api's dispatch reads every deadline of a window and every report owed, once a minute on its worker, and
between two dispatches they hardly change: the peer sends a page only when it changed, and this client decodes and
validates only those. Each read still asks the peer for every page (If-None-Match), so what the peer answers is the
truth and a replica that never read a page reads it whole: nothing here can be stale, it only spares the transfer
and the parse. The walks are kept per client (held by the app), each whole or not at all, bounded by the bytes of
their JSON, the least recently used out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from services.common.caching import BoundedCache, sized_lru_cache
from services.common.page_ahead import Ahead, at_cursor
from services.common.pagination import BULK_LIMIT
from services.common.peer_records import RowPage

Parsed = TypeVar("Parsed")
PAGE_ROWS = BULK_LIMIT  # the largest page a bulk list answers


@dataclass(frozen=True, slots=True)
class Answer:
    """A page the peer sent whole (a success): its ETag and its bytes, parsed by the reader (RowPages)."""

    etag: str | None
    content: bytes
    next_cursor: str | None = None  # the next page's cursor as its Link header gives it, known before the body is read


# GET a page past the cache, with If-None-Match when given an ETag: None when the peer answers 304 to it.
Fetch = Callable[[str, Mapping[str, Any], str | None], Awaitable[Answer | None]]


class RowPages(Protocol[Parsed]):
    """Reads a list page's bytes into its rows and next cursor (peer_records.PeerRows)."""

    def page(self, content: bytes) -> RowPage[Parsed]: ...


@dataclass(frozen=True, slots=True)
class _Page:
    etag: str
    rows: list[Any]  # as the reader gave them: callers must not change them
    next_cursor: str | None
    size: int  # the bytes of the page's JSON


@dataclass(frozen=True, slots=True)
class _Walk:
    """A list's pages as last read, by the cursor each was asked for at: kept whole or not at all, so that a walk
    longer than the bound is not a scan that pushes out each page before the next read reaches it."""

    pages: dict[str | None, _Page]
    size: int  # the bytes of the pages' JSON: what the bound counts


def _size(walk: _Walk) -> int:
    return walk.size


class RevalidatedPages:
    """The last walk read of each list a client reads again and again, each page with its ETag and parsed rows."""

    def __init__(self, fetch: Fetch, max_bytes: int) -> None:
        self._fetch = fetch
        self.walks: BoundedCache[tuple[str, tuple[tuple[str, Any], ...], object], _Walk] = sized_lru_cache(
            "revalidated pages", max_bytes, _size
        )
        # Pages asked for, and of them answered 304, with the documents ServiceClient.get_parsed asks for so (tests,
        # the bench).
        self.asked = self.not_modified = 0

    async def rows(self, path: str, reader: RowPages[Parsed], params: Mapping[str, Any]) -> list[Parsed]:
        """Every row of the list, following next_cursor, each page read by `reader` (a PeerRows) unless the peer says
        the page is the one read before. The next page is asked for while this one is parsed, at the cursor its Link
        header (or the page kept) names; the body's next_cursor decides, so a peer that names none is read in turn."""
        query = {key: value for key, value in params.items() if value is not None} | {"limit": PAGE_ROWS}
        key = (path, tuple(sorted(query.items())), reader)
        known = self.walks.get(key)
        kept = known.pages if known else {}
        pages: dict[str | None, _Page] = {}
        cursor: str | None = None
        found: list[Parsed] = []
        ahead = Ahead(lambda at: self._fetch(path, at_cursor(query, at), kept[at].etag if at in kept else None))
        try:
            while True:
                answer = await ahead.take(cursor)
                await ahead.ask(answer.next_cursor if answer else kept[cursor].next_cursor if cursor in kept else None)
                page = self._page(path, reader, answer, kept.get(cursor))
                pages[cursor] = page
                found += page.rows
                if not (cursor := page.next_cursor):
                    break
        finally:
            ahead.drop()
        if all(page.etag for page in pages.values()):
            self.walks.put(key, _Walk(pages, sum(page.size for page in pages.values())))
        return found

    def _page(self, path: str, reader: RowPages[Any], answer: Answer | None, known: _Page | None) -> _Page:
        self.asked += 1
        if answer is None:  # 304, which the fetch takes only to the ETag of a page kept
            if known is None:
                raise RuntimeError(f"{path} answered 304 to no ETag")
            self.not_modified += 1
            return known
        read = reader.page(answer.content)
        return _Page(answer.etag or "", read["data"], read["next_cursor"], len(answer.content))
