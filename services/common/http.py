"""The base of every client between services: timeouts, a time budget, bounded retries, ETag caching.

A peer that is down, slow or broken becomes a 503 problem with Retry-After for our own caller, raised before
anything is written, so a request never hangs a worker and never half-applies."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter, is_not
from typing import Any, TypeVar

import httpx

from services.common.caching import BoundedCache, lru_cache, sized_lru_cache
from services.common.correlation import outgoing_headers
from services.common.json import dumps, loads
from services.common.meters import PEER_RETRIES
from services.common.peer_budget import request_deadline
from services.common.peer_guard import check_peer_call
from services.common.peer_records import DocumentFeed, peer_unavailable
from services.common.problems import NotFound, ProblemError
from services.common.revalidated import Answer, RevalidatedPages

_RETRYABLE_STATUSES = {502, 503, 504}
URL_MEMORY = 10_000  # URLs a client remembers (cursors make new ones), least recently used out
CHUNK_BYTES = 256 * 1024  # a large document's bytes handed to its parser at a time (get_parsed)
CACHED_BYTES = 2 * 1024 * 1024  # the JSON of peer answers a client keeps (and of rows parsed from them): ~10× in memory
Parsed = TypeVar("Parsed")
Param = str | int | float | bool  # a query parameter's value, as httpx sends it
Query = Mapping[str, Param | None]  # a GET's query; a parameter that is None is left out
_Feeding = tuple[Callable[[], DocumentFeed[Any]], list[tuple[DocumentFeed[Any], int]]]  # a feed's maker, and where fed


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


class ServiceClient:
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
        self.peer = peer
        # Tests turn a peer call made while a database connection is held into an error (services/common/peer_guard.py).
        self._strict_transactions = strict_transactions
        self._token = token
        self._budget = budget
        self._retries = retries
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
        self._http = httpx.AsyncClient(
            base_url=base_url, transport=transport, timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0))
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def forget(self) -> None:
        """Drop cached answers (tests, or after a write we know changed the peer's data)."""
        self.cache.clear()
        self.parsed.clear()

    async def get(self, path: str, params: Query | None = None, *, cache: bool = True) -> Any:
        """GET a JSON document; 404 from the peer is NotFound, any failure past the budget is PeerError."""
        return (await self._answer(path, params, cache=cache)).body

    async def get_parsed(
        self, path: str, parse: Callable[[], DocumentFeed[Parsed]], *, cache: bool = True
    ) -> tuple[str | None, Parsed]:
        """A JSON document parsed as it arrives by a feed `parse` makes (never whole in memory), and its ETag; kept
        parsed (unless not cache): while fresh, or answered 304, the very object parsed before (callers keep it)."""
        answer = await self._answer(path, None, cache=cache, parse=parse)
        return answer.etag, answer.body

    async def _answer(
        self, path: str, params: Query | None, *, cache: bool, parse: Callable[[], DocumentFeed[Any]] | None = None
    ) -> _Cached:
        check_peer_call(self.peer, "GET", path, strict=self._strict_transactions)
        url = self._url(path, params)
        cached = self.cache.get(url) if cache else None
        if cached and cached.fresh_until > time.monotonic():
            return cached
        headers = {"Authorization": f"Bearer {self._token()}", **outgoing_headers()}  # request id, traceparent
        if cached and cached.etag:
            headers["If-None-Match"] = cached.etag
        fed: list[tuple[DocumentFeed[Any], int]] = []  # the feed of the attempt that read a success, and its bytes
        response = await self._send_with_retries("GET", url, headers, feed=(parse, fed) if parse else None)
        if response.status_code == 304 and cached:
            cached.fresh_until = time.monotonic() + self._cache_seconds
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
        check_peer_call(self.peer, "GET", path, strict=self._strict_transactions)
        conditional = {"If-None-Match": etag} if etag else {}
        headers = {"Authorization": f"Bearer {self._token()}", **outgoing_headers(), **conditional}
        response = await self._send_with_retries("GET", self._url(path, params), headers)
        if response.status_code == 304 and etag:
            return None
        return Answer(response.headers.get("etag"), self._decode(response), len(response.content))

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
        query = {**(params or {}), "limit": 500}
        while True:
            yield (page := await self._answer(path, query, cache=cache))
            if not page.body.get("next_cursor"):
                return
            query["cursor"] = page.body["next_cursor"]

    async def post(self, path: str, body: Any, *, idempotent: bool = False) -> Any:
        """POST a JSON body and decode the JSON answer (404 is NotFound, any failure past the budget PeerError).

        A POST is sent once unless the caller says it is `idempotent`: a POST that timed out may still have
        been applied, and sending it again would apply it twice. Pass idempotent=True only where the peer
        drops a repeat itself (notify_api's /v1/events does, by event_id); such a POST is retried like a GET.
        """
        check_peer_call(self.peer, "POST", path, strict=self._strict_transactions)
        headers = {"Authorization": f"Bearer {self._token()}", "Content-Type": "application/json", **outgoing_headers()}
        response = await self._send_with_retries(
            "POST", path, headers, content=dumps(body), retries=None if idempotent else 0
        )
        return self._decode(response)

    async def _send_with_retries(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        content: bytes | None = None,
        retries: int | None = None,
        feed: _Feeding | None = None,
    ) -> httpx.Response:
        """The peer's answer, retried within the budget; given a `feed`, a success's body fed as it arrives."""
        deadline = self._deadline()
        attempt = 0
        retries = self._retries if retries is None else retries
        while True:
            try:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._unavailable("did not answer within the time budget")
                response = await asyncio.wait_for(self._exchange(method, url, headers, content, feed), remaining)
                if response.status_code not in _RETRYABLE_STATUSES and response.status_code < 500:
                    return response
                failure = f"answered {response.status_code}"
            except (httpx.TransportError, TimeoutError) as exc:
                failure = f"could not be reached ({type(exc).__name__})"
            attempt += 1
            if attempt > retries or time.monotonic() >= deadline:
                raise self._unavailable(failure)
            PEER_RETRIES.labels(self.peer).inc()
            # Jittered back-off: retries from many workers must not arrive in lock-step.
            await asyncio.sleep(min(0.05 * 2**attempt * (0.5 + random.random()), max(0.0, deadline - time.monotonic())))

    async def _exchange(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None, feed: _Feeding | None
    ) -> httpx.Response:
        if feed is None:
            return await self._http.request(method, url, headers=headers, content=content)
        request = self._http.build_request(method, url, headers=headers, content=content)
        response = await self._http.send(request, stream=True)
        try:
            if not response.is_success:
                await response.aread()  # a refusal's problem document (or a 304's nothing)
                return response
            document, size = feed[0](), 0
            async for chunk in response.aiter_bytes(CHUNK_BYTES):
                document.feed(chunk)
                size += len(chunk)
            feed[1].append((document, size))
        finally:
            await response.aclose()
        return response

    def _deadline(self) -> float:
        """This call's budget, cut short by what is left of the request's (outside a request: its own)."""
        own, shared = time.monotonic() + self._budget, request_deadline()
        return own if shared is None else min(own, shared)

    def _refuse(self, response: httpx.Response) -> None:
        """404 is NotFound, any other refusal PeerError; a success passes."""
        if response.status_code == 404:
            raise NotFound(f"{self.peer} has no resource at {response.request.url.path}.")
        if response.status_code >= 400:
            raise self._unavailable(f"refused the call with {response.status_code}")

    def _decode(self, response: httpx.Response) -> Any:
        self._refuse(response)
        try:
            return loads(response.content)
        except ValueError as exc:
            raise self._unavailable("answered with malformed JSON") from exc

    def _unavailable(self, why: str) -> ProblemError:
        return peer_unavailable(self.peer, why)


def _clean(params: Query | None) -> dict[str, Param] | None:
    return {k: v for k, v in params.items() if v is not None} if params else None
