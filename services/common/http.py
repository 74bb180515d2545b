"""The base of every client between services: what it reads and keeps of a peer's answers (ETag caching, conditional
reads, paginated lists), over the calls services/common/peer_exchange.py sends (timeouts, budget, retries)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter, is_not
from typing import Any

import httpx

from services.common.caching import BoundedCache, lru_cache, sized_lru_cache
from services.common.page_ahead import Ahead, at_cursor
from services.common.peer_exchange import Feed, Parsed, PeerExchange
from services.common.peer_records import DocumentFeed
from services.common.revalidated import Answer, RevalidatedPages

URL_MEMORY = 10_000  # URLs a client remembers (cursors make new ones), least recently used out
CACHED_BYTES = 2 * 1024 * 1024  # the JSON of peer answers a client keeps (and of rows parsed from them): ~10× in memory
Param = str | int | float | bool  # a query parameter's value, as httpx sends it
Query = Mapping[str, Param | None]  # a GET's query; a parameter that is None is left out


@dataclass(slots=True)
class _Cached:
    etag: str | None
    body: Any
    fresh_until: float
    size: int  # the bytes of the JSON it was decoded from: what the cache's bound counts


@dataclass(frozen=True, slots=True)
class _ParsedList:
    pages: list[Any]  # the cached page bodies the rows were parsed from
    rows: list[Any]
    size: int  # the bytes of those pages' JSON, as a measure of the rows parsed from them


class ServiceClient(PeerExchange):
    """JSON over HTTP to one peer service, as a service principal."""

    def __init__(
        self,
        base_url: str,
        token: Callable[[], str],
        *,
        peer: str,
        timeout: float = 2.0,
        budget: float = 5.0,
        retries: int = 2,
        cache_seconds: float = 30.0,
        cache_bytes: int = CACHED_BYTES,
        url_memory: int = URL_MEMORY,
        transport: httpx.AsyncBaseTransport | None = None,
        strict_transactions: bool = False,
    ) -> None:
        super().__init__(
            base_url,
            token,
            peer=peer,
            timeout=timeout,
            budget=budget,
            retries=retries,
            transport=transport,
            strict_transactions=strict_transactions,
        )
        self._cache_seconds = cache_seconds
        # Bounded by bytes, not by time: a stale answer is kept for If-None-Match, and the parsed rows of pages
        # still in the cache are handed out again as the very same objects (get_all_parsed, oversight/memo.py).
        # Each is bounded by the JSON it holds or came from; in memory that is a few times more (Python objects).
        self.cache: BoundedCache[str, _Cached] = sized_lru_cache("peer answers", cache_bytes, attrgetter("size"))
        self.parsed: BoundedCache[tuple[str, Callable[[list[Any]], list[Any]]], _ParsedList] = sized_lru_cache(
            "parsed rows", cache_bytes, attrgetter("size")
        )
        self.urls: BoundedCache[tuple[str, tuple[tuple[str, Param], ...]], str] = lru_cache("peer urls", url_memory)
        self.revalidated = RevalidatedPages(self.get_if_changed, cache_bytes)  # lists read again and again

    def forget(self) -> None:
        """Drop cached answers (tests, or after a write we know changed the peer's data)."""
        self.cache.clear()
        self.parsed.clear()

    async def get(self, path: str, params: Query | None = None, *, cache: bool = True) -> Any:
        """GET a JSON document; 404 from the peer is NotFound, any failure past the budget is PeerError."""
        return (await self._answer(path, params, cache=cache)).body

    async def get_parsed(
        self, path: str, parse: Feed[Parsed], params: Query | None = None, *, cache: bool = True, ask: bool = False
    ) -> tuple[str | None, Parsed]:
        """A JSON document parsed as it arrives by a feed `parse` makes (never whole in memory), and its ETag; kept
        parsed (unless not cache): while fresh, or answered 304, the very object parsed before (callers keep it).
        `ask`: the peer is asked every time, with the ETag kept (a document that changes all the time, as the
        reports owed: only its transfer and parse are spared, counted with the pages in `revalidated`)."""
        answer = await self._answer(path, params, cache=cache, parse=parse, ask=ask)
        return answer.etag, answer.body

    async def _answer(
        self, path: str, params: Query | None, *, cache: bool, parse: Feed[Any] | None = None, ask: bool = False
    ) -> _Cached:
        self._guard("GET", path)
        url = self._url(path, params)
        cached = self.cache.get(url) if cache else None
        if cached and not ask and cached.fresh_until > time.monotonic():
            return cached
        headers = self._headers({"If-None-Match": cached.etag} if cached and cached.etag else None)
        fed: list[tuple[DocumentFeed[Any], int]] = []  # the feed of the attempt that read a success, and its bytes
        response = await self._send_with_retries("GET", url, headers, feed=(parse, fed) if parse else None)
        self.revalidated.asked += ask
        if response.status_code == 304 and cached:
            cached.fresh_until = time.monotonic() + self._cache_seconds
            self.revalidated.not_modified += ask
            return cached
        if parse is None:
            body, size = self._decode(response), len(response.content)
            if cached and cached.body == body:
                # tasks_api's lists carry no ETag, so an expired page comes back whole: the same answer keeps the very
                # object cached, and the rows parsed from it are reused (get_all_parsed) instead of validated anew.
                body = cached.body
        else:  # a refusal raises; a success's body was fed as it arrived
            self._refuse(response)
            if not fed:  # a 3xx, or a 304 to a question not asked: no document
                raise self._unavailable("answered with malformed JSON")
            body, size = fed[-1][0].finish(), fed[-1][1]
        answer = _Cached(response.headers.get("etag"), body, time.monotonic() + self._cache_seconds, size)
        if cache:
            self.cache.put(url, answer)
        return answer

    async def get_if_changed(self, path: str, params: Query, etag: str | None) -> Answer | None:
        """GET past the cache, with If-None-Match `etag` if given: None when the peer answers 304 to it; else as get."""
        self._guard("GET", path)
        headers = self._headers({"If-None-Match": etag} if etag else None)
        response = await self._send_with_retries("GET", self._url(path, params), headers)
        if response.status_code == 304 and etag:
            return None
        self._refuse(response)
        if response.status_code != 200:  # a redirect, or a 304 to a question not asked: no page
            raise self._unavailable(f"answered a list page with {response.status_code}")
        return Answer(response.headers.get("etag"), response.content, _linked_cursor(response))

    def _url(self, path: str, params: Query | None) -> str:
        """The absolute URL of a GET, remembered: httpx builds it in ~0.1 ms, and a roll-up served from the cache
        asks for a plan's pages one by one, every request."""
        clean = _clean(params)
        key = (path, tuple(clean.items()) if clean else ())
        url = self.urls.get(key)
        if url is None:
            url = str(self._http.build_request("GET", path, params=clean).url)
            self.urls.put(key, url)
        return url

    async def get_all(self, path: str, params: Query | None = None, *, cache: bool = True) -> list[Any]:
        """Every row of a paginated list, following next_cursor."""
        return [row async for page in self._pages(path, params, cache=cache) for row in page.body["data"]]

    async def get_all_parsed(
        self, path: str, parse: Callable[[list[Any]], list[Parsed]], params: Query | None = None
    ) -> list[Parsed]:
        """Every row of a paginated list, each page's rows passed through `parse` (a record's validate_rows). Validating
        a plan's thousands of rows cost more than the rest of a roll-up, and the rows rarely change: while every page is
        still the very body in the cache (fresh, or revalidated by a 304), the rows parsed from it last time are handed
        out again instead of being validated anew."""
        answers = [answer async for answer in self._pages(path, params, cache=True)]
        pages = [answer.body for answer in answers]
        key = (self._url(path, params), parse)
        known = self.parsed.get(key)
        if known is None or len(known.pages) != len(pages) or any(map(is_not, known.pages, pages)):
            rows = [row for page in pages for row in parse(page["data"])]
            known = _ParsedList(pages, rows, sum(answer.size for answer in answers))
            self.parsed.put(key, known)
        return list(known.rows)  # a copy: callers may sort or filter it; the records themselves are frozen

    async def each_parsed(
        self, path: str, parse: Callable[[Any], Parsed], params: Query | None = None
    ) -> AsyncIterator[Parsed]:
        """Every row of a paginated list passed through `parse`, one at a time, read past the cache. For a one-off read
        of a whole plan (the ledger's): neither the raw pages nor the parsed records stay in memory, so the caller can
        keep just the few fields it needs of each."""
        async for page in self._pages(path, params, cache=False):
            for row in page.body["data"]:
                yield parse(row)

    async def each_row(self, path: str, validate: Callable[[list[Any]], list[Parsed]]) -> AsyncIterator[Parsed]:
        """Every row of a paginated list, one at a time, read past the cache; each page validated at once by
        `validate` (a PeerRows' validate: plain typed dicts, a tenth of the cost of a model per row)."""
        async for page in self._pages(path, None, cache=False):
            for row in validate(page.body["data"]):
                yield row

    async def _pages(self, path: str, params: Query | None, *, cache: bool) -> AsyncIterator[_Cached]:
        """The pages of a list, each asked for while the caller reads the one before (page_ahead.py)."""
        query: dict[str, Param | None] = {**(params or {}), "limit": 500}
        ahead = Ahead(lambda at: self._answer(path, at_cursor(query, at), cache=cache))
        cursor: str | None = None
        try:
            while True:
                page = await ahead.take(cursor)
                await ahead.ask(cursor := page.body.get("next_cursor"))
                yield page
                if not cursor:
                    return
        finally:
            ahead.drop()


def _linked_cursor(response: httpx.Response) -> str | None:
    """The cursor of the page the Link header names next (RFC 8288), or None."""
    url = response.links.get("next", {}).get("url")
    return httpx.URL(url).params.get("cursor") if url else None


def _clean(params: Query | None) -> dict[str, Param] | None:
    return {k: v for k, v in params.items() if v is not None} if params else None
