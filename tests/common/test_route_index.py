"""The route index (services/common/route_index.py) only skips included routers that cannot match: every router
answers every request path exactly as FastAPI's own matching does, in every service."""

from __future__ import annotations

import asyncio
import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, _EffectiveRouteContext, _IncludedRouter
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match

from services.common.list_route import ListRoute
from services.common.route_index import first_candidate, union
from services.notify_api.app import create_app as create_notify_app
from services.notify_api.settings import NotifySettings
from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.settings import ReportingSettings
from services.tasks_api.app import create_app as create_tasks_app
from services.tasks_api.settings import TasksSettings

APPS = {
    "tasks_api": lambda: create_tasks_app(TasksSettings(environment="test")),
    "reporting_api": lambda: create_reporting_app(ReportingSettings(environment="test")),
    "notify_api": lambda: create_notify_app(NotifySettings(environment="test")),
}


def request_paths(app: FastAPI) -> list[str]:
    """A path for every operation, and the near misses around them: a trailing slash, a longer or shorter head."""
    found = {"/", "/v1", "/v1/", "/v2/plans", "/nothing", "/v1/plansx/1", "/healthz/", "/v1//plans"}
    for template in app.openapi()["paths"]:
        path = re.sub(r"\{[^}]+\}", "1", template)
        found |= {path, path + "/", path.rstrip("/") + "x", path.rsplit("/", 1)[0] or "/"}
    return sorted(found)


def http_scope(method: str, path: str) -> dict[str, object]:
    """The scope of a request with no query and no headers."""
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("test", 80),
    }


def answers(app: FastAPI, path: str, method: str) -> list[str]:
    scope = http_scope(method, path)
    return [route.matches(dict(scope))[0].name for route in app.router.routes]


@pytest.fixture(params=list(APPS))
def twins(request, monkeypatch) -> tuple[FastAPI, FastAPI]:
    """A service's app with its route index, and the same app without one (FastAPI's own walk)."""
    indexed = APPS[request.param]()
    monkeypatch.setattr("services.common.app.index_routes", lambda router: None)
    return indexed, APPS[request.param]()


def test_every_router_answers_every_path_as_fastapi_does(twins):
    indexed, plain = twins
    for path in request_paths(plain):
        for method in ("GET", "POST", "DELETE"):
            assert answers(indexed, path, method) == answers(plain, path, method), (method, path)


def test_a_union_matches_a_path_exactly_when_one_of_its_patterns_does():
    paths = union(["^/v1/plans/(?P<plan_id>[^/]+)/items$", "^/v1/items/(?P<item_id>[^/]+)$"])
    assert [bool(paths.match(p)) for p in ("/v1/plans/3/items", "/v1/items/5", "/v1/items/5/x", "/v1/plans/3")] == [
        True,
        True,
        False,
        False,
    ]


@pytest.fixture
def walks(monkeypatch) -> list[str]:
    """The paths FastAPI's own matching of an included router walked, one entry a walk."""
    matched: list[str] = []
    match = _IncludedRouter._match

    def counted(self, scope):
        matched.append(scope["path"])
        return match(self, scope)

    monkeypatch.setattr(_IncludedRouter, "_match", counted)
    return matched


def test_a_request_its_first_route_takes_is_handed_to_it_without_a_walk(walks):
    client = TestClient(APPS["tasks_api"]())
    assert (client.get("/livez").status_code, walks) == (200, [])


def test_a_request_a_later_route_of_the_same_path_takes_is_handed_to_it_without_a_walk(walks):
    client = TestClient(APPS["reporting_api"]())  # POST /v1/reports is declared before the GET list
    assert (client.get("/v1/reports").status_code, walks) == (401, [])


def test_a_request_walked_by_the_chosen_router_is_matched_once(walks):
    client = TestClient(APPS["tasks_api"]())
    assert (client.post("/livez").status_code, walks) == (405, ["/livez"])


def test_a_path_one_slash_off_is_still_redirected():
    client = TestClient(APPS["tasks_api"](), follow_redirects=False)
    response = client.get("/livez/")
    assert (response.status_code, response.headers["location"]) == (307, "http://testserver/livez")


def first_full_match(app: FastAPI, scope: dict[str, object]) -> object:
    return next((route for route in app.router.routes if route.matches(dict(scope))[0] is Match.FULL), None)


@pytest.mark.parametrize("service", APPS)
def test_the_app_router_hands_a_request_to_the_route_its_walk_would(service):
    app = APPS[service]()
    candidate = first_candidate(app.router)
    for path in request_paths(app):
        for method in ("GET", "POST", "DELETE"):
            scope = http_scope(method, path)
            found = candidate(dict(scope))
            if found is not None and found.matches(dict(scope))[0] is Match.FULL:
                assert found is first_full_match(app, scope), (method, path)
            else:  # walked as before: nothing before the candidate matches at all
                routes = app.router.routes
                before = routes[: routes.index(found)] if found is not None else routes
                assert all(route.matches(dict(scope))[0] is Match.NONE for route in before), (method, path)


def _name(thing: object) -> object:
    """What names a route, router or endpoint alike in two apps built apart (the health routes are made per app)."""
    if thing is None:
        return None
    if isinstance(thing, _IncludedRouter):
        return ("included", thing.include_context.prefix, [_name(route) for route in thing.original_router.routes])
    if isinstance(thing, _EffectiveRouteContext):
        return ("context", thing.path_format, _name(thing.original_route))
    if isinstance(thing, BaseRoute):
        return (type(thing).__name__, getattr(thing, "path", None), getattr(thing, "name", None))
    return getattr(thing, "__qualname__", thing)


def handed(app: FastAPI, method: str, path: str) -> tuple[object, ...] | None:
    """The route the app's router hands a request to and the routing part of the scope it sees (None: no route)."""
    seen: list[tuple[object, ...]] = []

    async def record(route, scope, receive, send):
        fastapi_part = {key: _name(value) if key != "form_limits" else value for key, value in scope["fastapi"].items()}
        kept = sorted(key for key in scope if key != "duban.route_match")
        scope_router = scope.get("router") is app.router
        seen.append((_name(route), scope["path_params"], _name(scope["endpoint"]), fastapi_part, kept, scope_router))

    async def nothing(*_):
        return {"type": "http.request", "body": b"", "more_body": False}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(APIRoute, "handle", record)
        patch.setattr(ListRoute, "handle", record)
        asyncio.run(app.router(http_scope(method, path), nothing, nothing))
    return seen[0] if seen else None


def test_a_request_is_handed_to_the_route_with_the_scope_fastapis_walk_gives(twins):
    indexed, plain = twins
    for path in request_paths(plain):
        for method in ("GET", "POST", "PATCH", "DELETE"):
            assert handed(indexed, method, path) == handed(plain, method, path), (method, path)
