"""CORS per service (settings.cors_origins): the configured origins' pages may call and read the API; no other
origin may, a service without origins adds no layer at all, and '*' never goes with credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.middleware.cors import CORSMiddleware

from services.tasks_api.app import create_app
from services.tasks_api.settings import TasksSettings

FRONT = "https://duban.quzhou.gov.cn"
PREFLIGHT = {
    "Origin": FRONT,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization, if-match, idempotency-key, content-type",
}


@pytest.fixture(scope="module")
def cors_client(tasks_database) -> Iterator[TestClient]:
    settings = TasksSettings(database_url=tasks_database, environment="test", cors_origins=[FRONT])
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_a_preflight_from_a_configured_origin_is_answered_without_a_token(cors_client):
    answer = cors_client.options("/v1/units/1", headers=PREFLIGHT)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == FRONT
    assert "PATCH" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert all(header in allowed for header in ("authorization", "if-match", "idempotency-key"))


def test_a_configured_origins_page_may_read_the_etag_and_the_next_page(cors_client, auth):
    answer = cors_client.get("/v1/units?limit=1", headers=auth("viewer", Origin=FRONT))
    assert answer.headers["access-control-allow-origin"] == FRONT
    exposed = answer.headers["access-control-expose-headers"]
    assert all(header in exposed for header in ("ETag", "Link", "Location", "Retry-After"))
    assert "access-control-allow-credentials" not in answer.headers


def test_a_refusal_is_readable_by_the_configured_origins_page(cors_client):
    answer = cors_client.get("/v1/units", headers={"Origin": FRONT})
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == FRONT


def test_another_origin_gets_no_cors_headers_and_its_preflight_is_refused(cors_client, auth):
    elsewhere = "https://evil.example"
    assert (
        "access-control-allow-origin"
        not in cors_client.get("/v1/units", headers=auth("viewer", Origin=elsewhere)).headers
    )
    assert cors_client.options("/v1/units", headers={**PREFLIGHT, "Origin": elsewhere}).status_code == 400


def test_without_origins_a_service_adds_no_cors_layer(tasks_database):
    app = create_app(TasksSettings(database_url=tasks_database, environment="test"))
    assert all(middleware.cls is not CORSMiddleware for middleware in app.user_middleware)


def test_origins_are_read_from_the_environment_as_a_json_list(monkeypatch):
    monkeypatch.setenv("TASKS_API_CORS_ORIGINS", f'["{FRONT}", "http://127.0.0.1:5173"]')
    assert TasksSettings().cors_origins == [FRONT, "http://127.0.0.1:5173"]


def test_any_origin_with_credentials_is_refused():
    with pytest.raises(ValueError, match="TASKS_API_CORS_ORIGINS: '\\*' is refused"):
        TasksSettings(cors_origins=["*"], cors_allow_credentials=True)


def test_any_origin_without_credentials_is_allowed():
    assert TasksSettings(cors_origins=["*"]).cors_origins == ["*"]


@pytest.mark.parametrize("written", [f"{FRONT}/", f"{FRONT}/app", "duban.quzhou.gov.cn", "ftp://x.cn"])
def test_an_origin_with_a_path_or_without_a_scheme_is_refused(written):
    with pytest.raises(ValueError, match="not an origin"):
        TasksSettings(cors_origins=[written])
