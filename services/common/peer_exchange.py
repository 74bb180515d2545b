"""Sending a call to a peer service: its token, a time budget, bounded retries, a streamed body fed to its parser,
and a refusal or a failure turned into our own problem (services/common/http.py reads through it).

A peer that is down, slow or broken becomes a 503 problem with Retry-After for our own caller, raised before
anything is written, so a request never hangs a worker and never half-applies."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from services.common.cookieless import CookielessClient
from services.common.correlation import outgoing_headers
from services.common.http_responses import unbound
from services.common.json import dumps, loads
from services.common.meters import PEER_RETRIES
from services.common.page_ahead import sending_trace
from services.common.peer_budget import request_deadline
from services.common.peer_guard import check_peer_call
from services.common.peer_records import DocumentFeed, peer_unavailable
from services.common.problems import NotFound, ProblemError

_RETRYABLE_STATUSES = {502, 503, 504}
CHUNK_BYTES = 256 * 1024  # a large document's bytes handed to its parser at a time (get_parsed)
Parsed = TypeVar("Parsed")
Feed = Callable[[], DocumentFeed[Parsed]]  # makes the parser of a document fed as it arrives
Feeding = tuple[Feed[Any], list[tuple[DocumentFeed[Any], int]]]  # a feed's maker, and where fed


class PeerExchange:
    """Calls to one peer service, as a service principal."""

    def __init__(
        self,
        base_url: str,
        token: Callable[[], str],
        *,
        peer: str,
        timeout: float,
        budget: float,
        retries: int,
        transport: httpx.AsyncBaseTransport | None,
        strict_transactions: bool,
    ) -> None:
        self.peer = peer
        # Tests turn a peer call made while a database connection is held into an error (services/common/peer_guard.py).
        self._strict_transactions = strict_transactions
        self._token = token
        self._budget = budget
        self._retries = retries
        self._http = CookielessClient(
            base_url=base_url, transport=transport, timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0))
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def _guard(self, method: str, path: str) -> None:
        """Mark a call to the peer (tests refuse one made while a database connection is held: peer_guard.py)."""
        check_peer_call(self.peer, method, path, strict=self._strict_transactions)

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """A call's headers: our token, the request id and traceparent carried on, and `extra`."""
        return {"Authorization": f"Bearer {self._token()}", **outgoing_headers(), **(extra or {})}

    async def post(self, path: str, body: Any, *, idempotent: bool = False) -> Any:
        """POST a JSON body and decode the JSON answer (404 is NotFound, any failure past the budget PeerError).

        A POST is sent once unless the caller says it is `idempotent`: a POST that timed out may still have
        been applied, and sending it again would apply it twice. Pass idempotent=True only where the peer
        drops a repeat itself (notify_api's /v1/events does, by event_id); such a POST is retried like a GET.
        """
        self._guard("POST", path)
        headers = self._headers({"Content-Type": "application/json"})
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
        feed: Feeding | None = None,
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
        self, method: str, url: str, headers: dict[str, str], content: bytes | None, feed: Feeding | None
    ) -> httpx.Response:
        trace = sending_trace()  # a page asked for ahead announces when its request is written
        if feed is None:
            return unbound(await self._http.request(method, url, headers=headers, content=content, extensions=trace))
        request = self._http.build_request(method, url, headers=headers, content=content, extensions=trace)
        response = await self._http.send(request, stream=True)
        try:
            if response.is_success:
                document, size = feed[0](), 0
                async for chunk in response.aiter_bytes(CHUNK_BYTES):
                    document.feed(chunk)
                    size += len(chunk)
                feed[1].append((document, size))
            else:
                await response.aread()  # a refusal's problem document (or a 304's nothing)
        finally:
            await response.aclose()
        return unbound(response)

    def _deadline(self) -> float:
        """This call's deadline: what is left of the request's budget (outside a request: a budget of its own)."""
        return request_deadline(self._budget)

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
