"""Request bodies that stream to their route instead of being read whole first: evidence uploads.

The guard (guards.py) reads every other body before routing, bounded by MAX_BODY_BYTES, and the idempotency layer
reads it again to fingerprint it. A route marked with `streamed_body` gets its body as it arrives (`request.stream()`),
bounded by its own limit, and answers Idempotency-Key itself; `index_streamed` finds the marked routes once, at
start-up, and `streams_body` tells the two layers which requests to let through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, _IncludedRouter
from starlette._utils import get_route_path
from starlette.types import Message, Receive, Scope

from services.common.route_index import union

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "duban_streamed_body"


def streamed_body(endpoint: F) -> F:
    """Mark an endpoint whose body streams to it (it reads `request.stream()` and bounds the size itself)."""
    setattr(endpoint, _MARK, True)
    return endpoint


def index_streamed(app: FastAPI) -> None:
    """Remember the paths of the app's streamed routes (after every router is included)."""
    patterns = list(_streamed_patterns(app.router.routes))
    app.state.streamed_paths = union(patterns) if patterns else None


def _streamed_patterns(routes: Iterable[Any]) -> Iterator[str]:
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from _streamed_patterns(route.effective_candidates())
            continue
        endpoint = route.endpoint if isinstance(route, APIRoute) else getattr(route, "endpoint", None)
        if getattr(endpoint, _MARK, False) and getattr(route, "path_regex", None) is not None:
            yield route.path_regex.pattern


def streams_body(scope: Scope) -> bool:
    """Whether the request is for a streamed route (its body is not to be read before routing)."""
    app = scope.get("app")
    paths: re.Pattern[str] | None = getattr(getattr(app, "state", None), "streamed_paths", None)
    return paths is not None and scope["method"] in ("POST", "PUT") and paths.match(get_route_path(scope)) is not None


def replay_body(body: bytes) -> Receive:
    """An ASGI receive that hands the app a body already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
