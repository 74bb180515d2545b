"""A route index for an app's router: an included router whose paths cannot match a request answers "no" at once.

FastAPI (0.165) keeps each included router whole and asks every one in turn, each walking the patterns of all its
routes with its bookkeeping around each (and again to hand the request on): tasks_api paid ~210 µs to route a
request to its last routers (units, people, history), and routing was a tenth of an item page's CPU. So each included
router is given one regular expression, the union of its routes' own path patterns, and answers no match for a
path that none of them matches, without walking them. A router with a route that is not matched by its path
pattern alone (a mount, a low-priority route), or whose routes changed since, is asked as before: the order of the
routers, partial (405) matches and slash redirects stay FastAPI's own (tests/common/test_route_index.py).

FastAPI also matches the chosen router's routes twice: once to choose it, and again to hand the request on. The
second time is answered from the first (kept in the scope with the path and method it was for).

The app's router itself still asked every route before the one that answers (an item page: eight, about a tenth of
its routing). One expression over all its routes (a group per route) names the first whose paths can match; when
that route matches fully, it is the one FastAPI's walk would choose (no route before it can match the path at all),
and it is handed the request as the walk hands it. Anything else (a partial match, no match, routes changed) is
walked as before.

When that first route is an included router of routes only, its own route is found the same way (one expression,
a group per route): when the first of its routes whose path matches also takes the method, it is the one the
router's walk would choose, and it is handed the request with the scope the walk would have given it (the router's
form limits, the included router and the route's context in FastAPI's part of the scope, the path parameters),
without FastAPI's three more frames and second match (5.5 % of an item page's counted work was routing).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

from fastapi.routing import (
    _FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY,
    _FASTAPI_INCLUDED_ROUTER_KEY,
    APIRoute,
    APIRouter,
    _apply_router_form_limits,
    _EffectiveRouteContext,
    _get_fastapi_scope,
    _IncludedRouter,
    _update_scope,
)
from fastapi.telemetry._api import _route_selected
from starlette._utils import (
    get_route_path,  # the path routing matches (the root path taken off), as the router reads it
)
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Receive, Scope, Send

Matcher = Callable[[Scope], tuple[Match, Scope]]
RouteMatch = tuple[Match, Scope, Any, Any]  # what _IncludedRouter._match answers: the match, its scope, route, context
Selected = tuple[_EffectiveRouteContext, Scope]  # the route a router's walk would choose, and the scope it would add
_GROUP_NAME = re.compile(r"\(\?P<[^>]+>")  # a route's named groups; one union may not repeat a name
_KEPT = "duban.route_match"  # the scope key of the last match of an included router


def index_routes(router: APIRouter) -> None:
    """Give each router included in `router` the quick "no" above (once all routers are included)."""
    for route in router.routes:
        if isinstance(route, _IncludedRouter):
            patterns = _patterns(route)
            if patterns is not None:
                setattr(route, "matches", _quick_no(route, union(patterns)))  # noqa: B010 - an instance's own matches
            setattr(route, "_match", _matched_once(route))  # noqa: B010 - an instance's own _match
    # What Router.__call__ runs (its walk, `app`, until now); an instance's own attribute.
    setattr(router, "middleware_stack", _first_route_first(router))  # noqa: B010


def union(patterns: list[str]) -> re.Pattern[str]:
    """One expression that matches a path exactly when one of `patterns` (Starlette's anchored route patterns) does."""
    return re.compile("|".join(f"(?:{_GROUP_NAME.sub('(?:', pattern)})" for pattern in patterns))


def _patterns(included: _IncludedRouter) -> list[str] | None:
    """The path patterns of every route the router can match, or None when a route is not matched by its pattern."""
    if included.effective_low_priority_routes():
        return None
    patterns: list[str] = []
    for candidate in included.effective_candidates():
        inner = _patterns(candidate) if isinstance(candidate, _IncludedRouter) else _route_pattern(candidate)
        if inner is None:
            return None
        patterns += inner
    return patterns


def _route_pattern(route: _EffectiveRouteContext) -> list[str] | None:
    if not isinstance(route.original_route, APIRoute) or route.path_regex is None:
        return None
    return [route.path_regex.pattern]


def _quick_no(included: _IncludedRouter, paths: re.Pattern[str]) -> Matcher:
    matches: Matcher = included.matches
    router = included.original_router
    version = router._get_routes_version()
    # A router without routers of its own changes only when its own count does (including a router changes it too):
    # that is one attribute to read, not a walk of its routes, on every request.
    flat = not any(isinstance(route, _IncludedRouter) for route in router.routes)

    def unchanged() -> bool:
        return router._routes_version == version if flat else router._get_routes_version() == version

    def quick(scope: Scope) -> tuple[Match, Scope]:
        if paths.match(get_route_path(scope)) is None and unchanged():
            return Match.NONE, {}
        return matches(scope)

    return quick


def _matched_once(included: _IncludedRouter) -> Callable[[Scope], RouteMatch]:
    """The router's `_match`, answered from the scope when it matched the same path and method there already."""
    match: Callable[[Scope], RouteMatch] = included._match

    def once(scope: Scope) -> RouteMatch:
        asked = (get_route_path(scope), scope.get("method"))
        kept = scope.get(_KEPT)
        if kept is not None and kept[0] is included and kept[1] == asked:
            return cast(RouteMatch, kept[2])
        found = match(scope)
        scope[_KEPT] = (included, asked, found)
        return found

    return once


def first_candidate(router: APIRouter) -> Callable[[Scope], BaseRoute | None]:
    """The first of the router's routes whose paths can match the request's path (None: none can), while its routes
    and its included routers' routes are those indexed; a route whose paths are not known is a candidate for any."""
    routes = list(router.routes)
    alternatives = [_top_pattern(route) for route in routes]
    first = _groups(pattern or "" for pattern in alternatives)
    owners = [route.original_router for route in routes if isinstance(route, _IncludedRouter)]
    versions = [owner._routes_version for owner in owners]

    def candidate(scope: Scope) -> BaseRoute | None:
        if router.routes != routes or [owner._routes_version for owner in owners] != versions:
            return None
        found = _first_match(first, scope)
        return None if found is None else routes[found]

    return candidate


def _groups(patterns: Iterable[str]) -> re.Pattern[str]:
    """One expression with a group per pattern (Starlette's anchored route patterns, their named groups unnamed), in
    order: `_first_match` reads from it the first pattern that matches a path."""
    return re.compile("|".join(f"({_GROUP_NAME.sub('(?:', pattern)})" for pattern in patterns))


def _first_match(groups: re.Pattern[str], scope: Scope) -> int | None:
    """The position of the first of the patterns `groups` was made of that matches the request's path, or None."""
    found = groups.match(get_route_path(scope))
    return None if found is None or found.lastindex is None else found.lastindex - 1


def _top_pattern(route: BaseRoute) -> str | None:
    """The path pattern of a route of the app's router (an included router's: the union of its routes')."""
    if isinstance(route, _IncludedRouter):
        flat = not any(isinstance(inner, _IncludedRouter) for inner in route.original_router.routes)
        patterns = _patterns(route) if flat else None  # a nested router's routes change unseen by the check above
        return union(patterns).pattern if patterns else None
    if isinstance(route, Route | Mount):
        return route.path_regex.pattern
    return None


def selected_route(included: _IncludedRouter) -> Callable[[Scope], Selected | None] | None:
    """For a router of routes only (none low-priority): the route its walk would choose for a request, and the scope
    the route adds: the first route that takes both the path and the method (None when none does: the walk answers
    405 or 404). None for a router with any other kind of route."""
    contexts = included.effective_candidates()
    plain = all(
        isinstance(context, _EffectiveRouteContext)
        and isinstance(context.original_route, APIRoute)
        and context.path_regex is not None
        for context in contexts
    )
    if not contexts or not plain or included.effective_low_priority_routes():
        return None
    routes = cast(list[_EffectiveRouteContext], contexts)
    first = _groups(context.path_regex.pattern for context in routes)
    owner = included.original_router
    version = owner._routes_version

    def select(scope: Scope) -> Selected | None:
        found = _first_match(first, scope)
        if found is None or owner._routes_version != version:
            return None
        # As the walk: the first route in order that takes the method too. Those before `found` do not take the path;
        # a POST and a GET of one path are two routes, and the later may be the one asked for.
        for context in routes[found:]:
            match, child_scope = context.matches(scope)
            if match is Match.FULL:
                return context, child_scope
        return None

    return select


def _handed_to(
    router: APIRouter, included: _IncludedRouter, selected: Selected, scope: Scope, receive: Receive, send: Send
) -> Awaitable[None]:
    """The request handed to the selected route as the walk hands it (the app's router, then fastapi.routing's
    _IncludedRouter.handle and _handle_selected): their scope changes, in their order. The included router has no
    path of its own, so selecting it tells the telemetry nothing."""
    context, child_scope = selected
    _apply_router_form_limits(scope, router.form_limits)
    scope.setdefault("router", router)
    _apply_router_form_limits(scope, included.include_context.form_limits)
    fastapi_scope = _get_fastapi_scope(scope)
    fastapi_scope[_FASTAPI_INCLUDED_ROUTER_KEY] = included
    _update_scope(scope, child_scope)
    path = getattr(context.starlette_route, "path_format", None) or context.path_format
    _route_selected(scope=scope, path=path, mount=False)
    fastapi_scope[_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY] = context
    scope["route"] = context.original_route
    return context.original_route.handle(scope, receive, send)


def _first_route_first(router: APIRouter) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    walk = router.app
    candidate = first_candidate(router)
    direct = {
        id(route): select
        for route in router.routes
        if isinstance(route, _IncludedRouter) and (select := selected_route(route)) is not None
    }

    def app(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: the request is handed on without a frame of this index, which every await of the
        # request would pass through again.
        route = candidate(scope) if scope["type"] == "http" else None
        if route is not None:
            select = direct.get(id(route))
            selected = select(scope) if select is not None else None
            if selected is not None:
                return _handed_to(router, cast(_IncludedRouter, route), selected, scope, receive, send)
            match, child_scope = route.matches(scope)
            if match is Match.FULL:  # as FastAPI's walk hands on the first route that matches fully
                _apply_router_form_limits(scope, router.form_limits)
                scope.setdefault("router", router)
                _update_scope(scope, child_scope)
                _route_selected(scope=scope, path=getattr(route, "path_format", None), mount=isinstance(route, Mount))
                return route.handle(scope, receive, send)
        return walk(scope, receive, send)

    return app
