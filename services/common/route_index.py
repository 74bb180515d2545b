"""A route index for an app's router: an included router whose paths cannot match a request answers "no" at once.

FastAPI (0.165) keeps each included router whole and asks every one in turn, each walking the patterns of all its
routes (and again to hand the request on): tasks_api paid ~210 µs to route a request to its last routers (units,
people, history) and ~32 µs to the item list, before any handler ran. Every path here starts with two literal
segments (/v1/plans, /v1/units, /healthz), so each included router is given the set of those its routes start
with, and answers no match for a request that starts otherwise without looking further. A router with a path that
does not start with two literal segments, or whose routes changed since, is asked as before: the order of the
routers, partial (405) matches and slash redirects stay FastAPI's own (tests/common/test_route_index.py).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.routing import APIRouter, _EffectiveRouteContext, _IncludedRouter
from starlette._utils import (
    get_route_path,  # the path routing matches (the root path taken off), as the router reads it
)
from starlette.routing import Match
from starlette.types import Scope

Matcher = Callable[[Scope], tuple[Match, Scope]]


def index_routes(router: APIRouter) -> None:
    """Give each router included in `router` the quick "no" above (once all routers are included)."""
    for route in router.routes:
        if isinstance(route, _IncludedRouter):
            heads = _heads(route)
            if heads is not None:
                setattr(route, "matches", _quick_no(route, heads))  # noqa: B010 - an instance's own matches


def head(path: str) -> str:
    """The first two segments of a path (`/v1/plans` of `/v1/plans/3/items`), or the whole of a shorter one."""
    return "/".join(path.split("/", 3)[:3])


def _heads(included: _IncludedRouter) -> frozenset[str] | None:
    """The heads of every path the router can match, or None when one of them is not literal."""
    if included.effective_low_priority_routes():
        return None
    heads: set[str] = set()
    for candidate in included.effective_candidates():
        inner = _heads(candidate) if isinstance(candidate, _IncludedRouter) else _literal_head(candidate)
        if inner is None:
            return None
        heads |= inner
    return frozenset(heads)


def _literal_head(route: _EffectiveRouteContext) -> frozenset[str] | None:
    found = head(route.path_format)
    return None if "{" in found else frozenset({found})


def _quick_no(included: _IncludedRouter, heads: frozenset[str]) -> Matcher:
    matches: Matcher = included.matches
    version = included.original_router._get_routes_version()

    def quick(scope: Scope) -> tuple[Match, Scope]:
        if head(get_route_path(scope)) not in heads and included.original_router._get_routes_version() == version:
            return Match.NONE, {}
        return matches(scope)

    return quick
