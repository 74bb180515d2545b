"""The route index (services/common/route_index.py) only skips included routers that cannot match: every router
answers every request path exactly as FastAPI's own matching does, in every service."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from fastapi.testclient import TestClient

from services.common.route_index import union
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


def answers(app: FastAPI, path: str, method: str) -> list[str]:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}
    return [route.matches(dict(scope))[0].name for route in app.router.routes]


@pytest.mark.parametrize("service", APPS)
def test_every_router_answers_every_path_as_fastapi_does(service, monkeypatch):
    indexed = APPS[service]()
    monkeypatch.setattr("services.common.app.index_routes", lambda router: None)
    plain = APPS[service]()
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


def test_the_chosen_router_matches_a_request_once(monkeypatch):
    matched: list[str] = []
    match = _IncludedRouter._match

    def counted(self, scope):
        matched.append(scope["path"])
        return match(self, scope)

    monkeypatch.setattr(_IncludedRouter, "_match", counted)
    client = TestClient(APPS["tasks_api"]())
    assert (client.get("/livez").status_code, matched) == (200, ["/livez"])


def test_a_path_one_slash_off_is_still_redirected():
    client = TestClient(APPS["tasks_api"](), follow_redirects=False)
    response = client.get("/livez/")
    assert (response.status_code, response.headers["location"]) == (307, "http://testserver/livez")
