"""Each request observed once, outermost: its request id, trace context, answer language and start (from which its
peer calls' budget runs) set for everything it does, its count and latency by route template and status, and one
access-log line.

Pure ASGI, and cheap on purpose (a list page costs about a millisecond of CPU): the route template is read from the
scope after the app has routed the request (never by matching the path again), and the labelled counter and
histogram of each (method, route, status) are bound once and kept in a bounded dict, so a request costs two dict
look-ups, a counter increment and a histogram observation (tests/common/test_observe.py measures it).
"""

from __future__ import annotations

import logging
import os
import time
from typing import TypedDict

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.auth import PRINCIPAL
from services.common.correlation import INCOMING_TRACEPARENT, REQUEST_ID, request_id_from, traceparent_from
from services.common.language import ENGLISH, LANGUAGE, negotiate
from services.common.meters import HTTP_DURATION, HTTP_IN_FLIGHT, HTTP_REQUESTS
from services.common.peer_budget import REQUEST_STARTED

access_log = logging.getLogger("duban.access")
BOUND_LABELS = 4096  # (method, route, status) children kept bound; past that they are looked up per request
UNMATCHED = "unmatched"  # the route of a request no route matched: raw paths would make a series per URL
_FASTAPI_SCOPE = "fastapi"  # FastAPI puts the route it chose, with its router's prefix, here (fastapi.routing)


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/v1/plans/{plan_id}`), with the prefixes of its routers."""
    chosen = scope.get(_FASTAPI_SCOPE)
    context = chosen.get("effective_route_context") if chosen else None
    if context is not None:
        return str(context.path_format)
    route = scope.get("route")
    return str(route.path) if route is not None else UNMATCHED


class ObserveMiddleware:
    """Request id, trace context, metrics and the access log of each HTTP request."""

    def __init__(self, app: ASGIApp, *, service: str, access_lines: bool = True) -> None:
        self.app = app
        self.service = service
        self.access_lines = access_lines
        self.active = 0  # requests being served by this app
        in_flight = HTTP_IN_FLIGHT.labels(service)
        # One process: the gauge reads the count when scraped, and a request pays an integer increment, not two
        # locked updates. Several (multiprocess mode has no read-back): the gauge is updated as requests come and go.
        self._shared_gauge = in_flight if "PROMETHEUS_MULTIPROC_DIR" in os.environ else None
        if self._shared_gauge is None:
            in_flight.set_function(lambda: self.active)
        self._bound: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given_id, given_trace, given_language = _given(scope)
        request_id = request_id_from(given_id)
        id_header = (b"x-request-id", request_id.encode("ascii"))
        status = 500  # what the caller gets when the app raises before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        id_token = REQUEST_ID.set(request_id)
        trace_token = INCOMING_TRACEPARENT.set(traceparent_from(given_trace))
        # The answer's language (language.py), set here rather than by a layer of its own: one layer fewer a request.
        language_token = LANGUAGE.set(negotiate(given_language.decode("latin-1")) if given_language else ENGLISH)
        started_token = REQUEST_STARTED.set(time.monotonic())  # its peer calls' shared budget runs from here
        self.active += 1
        if self._shared_gauge is not None:
            self._shared_gauge.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finish(scope, status, time.perf_counter() - started)
            REQUEST_STARTED.reset(started_token)
            LANGUAGE.reset(language_token)
            INCOMING_TRACEPARENT.reset(trace_token)
            REQUEST_ID.reset(id_token)

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        """Count the request out, record it, and write its access line."""
        self.active -= 1
        if self._shared_gauge is not None:
            self._shared_gauge.dec()
        route = route_template(scope)
        self._record(scope["method"], route, status, seconds)
        if self.access_lines and access_log.isEnabledFor(logging.INFO):
            # makeRecord and handle, as Logger.info does, less its walk up the stack for the caller's line (the
            # access line's caller is always this one): that walk cost more than the rest of the line.
            fields = _access(scope, route, status, seconds)
            access_log.handle(
                access_log.makeRecord(
                    access_log.name, logging.INFO, __file__, 0, "request", (), None, extra=dict(fields)
                )
            )

    def _record(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        bound = self._bound.get(key)
        if bound is None:
            labels = (self.service, method, route, str(status))
            bound = (HTTP_REQUESTS.labels(*labels), HTTP_DURATION.labels(*labels))
            if len(self._bound) < BOUND_LABELS:
                self._bound[key] = bound
        bound[0].inc()
        bound[1].observe(seconds)


def _given(scope: Scope) -> tuple[bytes | None, bytes | None, bytes | None]:
    """The request's X-Request-ID and traceparent headers (the last of each, as before) and its Accept-Language (the
    first, as LanguageMiddleware reads it), as sent."""
    given_id = given_trace = given_language = None
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given_id = value
        elif name == b"traceparent":
            given_trace = value
        elif name == b"accept-language" and given_language is None:
            given_language = value
    return given_id, given_trace, given_language


class AccessFields(TypedDict):
    """The fields of an access line besides those every line has."""

    method: str
    route: str
    status: int
    duration_ms: float
    subject: str | None


def _access(scope: Scope, route: str, status: int, seconds: float) -> AccessFields:
    """The access line's fields (the JSON formatter adds time, level, service, request and trace ids)."""
    state = scope.get("state")
    principal = state.get(PRINCIPAL) if state else None
    return {
        "method": scope["method"],
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "subject": principal.subject if principal is not None else None,
    }
