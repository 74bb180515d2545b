"""A ListRoute answers a plain request with its compiled handler and every other request with FastAPI's own, so both
give the answers the route's declaration gives (services/common/list_route.py)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import fastapi.routing
import pytest
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.testclient import TestClient

from services.common.auth import PRINCIPAL, Principal, PrincipalDep, Role, require_roles
from services.common.deps_factory import app_held
from services.common.json import JSONBytesResponse
from services.common.problems import PROBLEM_MEDIA_TYPE, NotFound, install_problem_handlers
from services.common.routing import api_router, list_page

MISSING_SHELF = 13
HANDLERS: list[str] = []  # the handlers each request went through: "fastapi" (parameters solved), "endpoint"


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


the_shelf = app_held("shelf", str)
Shelf = Annotated[str, Depends(the_shelf)]
Clerk = Annotated[Principal, Depends(require_roles(Role.OFFICE))]


def app_with_a_list() -> FastAPI:
    router = api_router("things")

    @list_page(router, "/shelves/{shelf_id}/things")
    async def list_things(
        shelf_id: int,
        request: Request,
        shelf: Shelf,
        principal: PrincipalDep,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        colour: Colour | None = None,
        since: date | None = None,
        fresh: bool | None = None,
        q: Annotated[str | None, Query(min_length=1, max_length=5)] = None,
    ) -> Response:
        HANDLERS.append("endpoint")
        if shelf_id == MISSING_SHELF:
            raise NotFound(f"No shelf {shelf_id}.")
        found = {"shelf_id": shelf_id, "shelf": shelf, "caller": principal.subject, "limit": limit}
        found |= {"colour": colour, "since": since.isoformat() if since else None, "fresh": fresh, "q": q}
        return JSONBytesResponse(found)

    @list_page(router, "/shelves/{shelf_id}/counts")
    async def count_things(shelf_id: int, caller: Clerk) -> Response:
        HANDLERS.append("endpoint")
        return JSONBytesResponse({"shelf_id": shelf_id, "caller": caller.subject})

    @list_page(router, "/shelves/{shelf_id}/ledger")
    async def ledger(shelf_id: int, _: Annotated[Principal, Depends(require_roles(Role.VIEWER))]) -> Response:
        HANDLERS.append("endpoint")
        return JSONBytesResponse({"shelf_id": shelf_id})

    app = FastAPI()
    app.state.shelf = "top"
    install_problem_handlers(app)

    @app.middleware("http")
    async def caller(request: Request, call_next):  # what RequestContextMiddleware does for a verified token
        if request.headers.get("authorization") == "Bearer ok":
            request.scope.setdefault("state", {})[PRINCIPAL] = Principal(subject="clerk", role=Role.OFFICE)
        return await call_next(request)

    app.include_router(router)
    return app


@pytest.fixture
def client(monkeypatch) -> TestClient:
    solve = fastapi.routing.solve_dependencies

    async def solving(*args, **kwargs):
        HANDLERS.append("fastapi")
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", solving)
    with TestClient(app_with_a_list(), headers={"Authorization": "Bearer ok"}) as client:
        yield client


def answer(client: TestClient, query: str) -> tuple[int, dict, str]:
    """Status, body, and which handler answered: "compiled" (the endpoint ran, nothing solved) or "fastapi"."""
    HANDLERS.clear()
    response = client.get(f"/v1/shelves/7/things{query}")
    return response.status_code, response.json(), "fastapi" if "fastapi" in HANDLERS else "compiled"


def test_a_plain_request_is_answered_by_the_compiled_handler_with_the_declared_values(client):
    status, body, handler = answer(client, "?limit=2&colour=red&since=2025-06-30&fresh=true&q=abc")
    assert (status, handler) == (200, "compiled")
    assert body == {
        "shelf_id": 7,
        "shelf": "top",
        "caller": "clerk",
        "limit": 2,
        "colour": "red",
        "since": "2025-06-30",
        "fresh": True,
        "q": "abc",
    }


def test_defaults_apply_to_what_a_plain_request_leaves_out(client):
    status, body, handler = answer(client, "")
    assert (status, handler) == (200, "compiled")
    assert (body["limit"], body["colour"], body["q"]) == (50, None, None)


@pytest.mark.parametrize(
    ("query", "status"), [("?limit=02", 200), ("?fresh=1", 200), ("?since=20250630", 422), ("?colour=RED", 422)]
)
def test_a_value_in_another_text_form_goes_to_fastapi_which_answers_as_declared(client, query, status):
    assert (answer(client, query)[0], answer(client, query)[2]) == (status, "fastapi")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?limit=0", 422),
        ("?limit=501", 422),
        ("?colour=green", 422),
        ("?q=toolong", 422),
        ("?q=", 422),
        ("?since=2025-02-30", 422),
        ("?shelf=1", 400),
        ("?limit=2&limit=3", 200),
        ("?limit=99999999999", 422),
    ],
)
def test_a_request_that_is_not_plain_gets_fastapis_answer(client, query, status):
    code, _, handler = answer(client, query)
    assert (code, handler) == (status, "fastapi")


def test_an_id_beyond_storage_in_the_path_gets_the_guards_404(client):
    assert client.get("/v1/shelves/99999999999/things").status_code == 404


def test_a_request_without_a_verified_caller_is_refused_by_fastapis_handler(client):
    assert client.get("/v1/shelves/7/things", headers={"Authorization": "Bearer unknown"}).status_code == 401


def test_overridden_dependencies_are_applied(client):
    client.app.dependency_overrides[the_shelf] = lambda: "bottom"
    try:
        status, body, handler = answer(client, "")
    finally:
        client.app.dependency_overrides.clear()
    assert (status, body["shelf"], handler) == (200, "bottom", "fastapi")


def test_a_problem_raised_by_the_endpoint_of_a_plain_request_is_answered_as_a_problem_document(client):
    HANDLERS.clear()
    response = client.get(f"/v1/shelves/{MISSING_SHELF}/things")
    assert (response.status_code, response.headers["content-type"], HANDLERS) == (404, PROBLEM_MEDIA_TYPE, ["endpoint"])
    assert (response.json()["status"], response.json()["detail"]) == (404, f"No shelf {MISSING_SHELF}.")


@pytest.mark.parametrize("query", ["?q=a%20b&limit=2", "?q=a+b&limit=2", "?limit=2&&q=a%2Bb", "?q=%E4%B8%80&limit=2"])
def test_an_encoded_query_is_read_as_starlette_reads_it(client, query):
    status, body, handler = answer(client, query)
    expected = {"?q=a%20b&limit=2": "a b", "?q=a+b&limit=2": "a b", "?limit=2&&q=a%2Bb": "a+b"}.get(query, "一")
    assert (status, handler, body["q"], body["limit"]) == (200, "compiled", expected, 2)


def test_a_caller_of_a_role_the_route_takes_is_answered_by_the_compiled_handler(client):
    HANDLERS.clear()
    response = client.get("/v1/shelves/7/counts")
    assert (response.status_code, response.json(), HANDLERS) == (200, {"shelf_id": 7, "caller": "clerk"}, ["endpoint"])


def test_a_caller_of_another_role_gets_the_403_the_dependency_gives_without_the_endpoint_running(client):
    HANDLERS.clear()
    compiled = client.get("/v1/shelves/7/ledger")
    client.app.dependency_overrides[the_shelf] = lambda: "bottom"  # any override: FastAPI's own handler answers
    try:
        solved = client.get("/v1/shelves/7/ledger")
    finally:
        client.app.dependency_overrides.clear()
    assert (compiled.status_code, compiled.headers["content-type"]) == (403, PROBLEM_MEDIA_TYPE)
    assert compiled.json() == solved.json()
    assert "endpoint" not in HANDLERS
