"""Configuration that cannot be wrong in production: every refused setting is named, and nothing starts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.common.settings import DocsAccess, Environment
from services.notify_api.settings import NotifySettings
from services.tasks_api.app import create_app
from services.tasks_api.settings import TasksSettings

REAL_SECRET = "k" * 32


@pytest.mark.parametrize("written", ["production", "Production", "PRODUCTION", " production "])
def test_the_environment_is_matched_in_any_letter_case(written):
    assert TasksSettings(environment=written, jwt_secret=REAL_SECRET).environment is Environment.PRODUCTION


@pytest.mark.parametrize("written", ["prod", "staging", "", "live"])
def test_an_unknown_environment_refuses_to_start(written):
    with pytest.raises(ValueError, match="environment"):
        TasksSettings(environment=written)


@pytest.mark.parametrize("secret", ["short-secret", "x" * 31])
def test_production_refuses_a_jwt_secret_shorter_than_32_bytes(secret):
    with pytest.raises(ValueError, match="TASKS_API_JWT_SECRET"):
        TasksSettings(environment="production", jwt_secret=secret)


def test_production_accepts_a_32_byte_secret_and_turns_the_docs_off():
    settings = TasksSettings(environment="production", jwt_secret=REAL_SECRET)
    assert settings.docs_access is DocsAccess.OFF


def test_production_refuses_public_docs():
    with pytest.raises(ValueError, match="TASKS_API_DOCS"):
        TasksSettings(environment="production", jwt_secret=REAL_SECRET, docs="public")


def test_production_notify_needs_its_own_secret_key():
    with pytest.raises(ValueError, match="NOTIFY_API_SECRET_KEY"):
        NotifySettings(environment="production", jwt_secret=REAL_SECRET)


def test_production_notify_refuses_private_webhook_targets():
    with pytest.raises(ValueError, match="NOTIFY_API_ALLOW_PRIVATE_TARGETS"):
        NotifySettings(
            environment="production", jwt_secret=REAL_SECRET, secret_key=REAL_SECRET, allow_private_targets=True
        )


def test_start_up_prints_one_line_per_refused_setting_and_stops(monkeypatch, capsys):
    monkeypatch.setenv("NOTIFY_API_ENVIRONMENT", "Production")
    monkeypatch.setenv("NOTIFY_API_JWT_SECRET", "too-short")
    monkeypatch.setenv("NOTIFY_API_ALLOW_PRIVATE_TARGETS", "true")
    with pytest.raises(SystemExit) as stopped:
        NotifySettings.load()
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[1].split()[-1] for line in lines] == [
        "NOTIFY_API_JWT_SECRET",
        "NOTIFY_API_SECRET_KEY",
        "NOTIFY_API_ALLOW_PRIVATE_TARGETS",
    ]


def test_a_misspelt_environment_is_named_at_start_up(monkeypatch, capsys):
    monkeypatch.setenv("TASKS_API_ENVIRONMENT", "prod")
    with pytest.raises(SystemExit):
        TasksSettings.load()
    assert capsys.readouterr().err.startswith("tasks_api: refused setting TASKS_API_ENVIRONMENT: ")


def test_docs_off_are_not_served(tasks_database):
    settings = TasksSettings(database_url=tasks_database, environment="production", jwt_secret=REAL_SECRET)
    with TestClient(create_app(settings)) as client:
        assert [client.get(path).status_code for path in ("/docs", "/redoc", "/openapi.json")] == [404, 404, 404]


def test_docs_behind_a_token_answer_only_a_caller_with_a_valid_token(tasks_database, auth):
    settings = TasksSettings(database_url=tasks_database, environment="test", docs="token")
    with TestClient(create_app(settings)) as client:
        refused = client.get("/openapi.json", headers={"Authorization": "Bearer not-a-token"})
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/docs").status_code == 401
        assert client.get("/openapi.json", headers=auth("viewer")).json()["info"]["title"] == "duban tasks_api"
        assert client.get("/docs", headers=auth("viewer")).status_code == 200


def test_the_sso_mapping_is_read_from_json_environment_variables(monkeypatch):
    monkeypatch.setenv("TASKS_API_OIDC_GROUP_ROLES", '{"duban-office": "office", "duban-unit": "unit"}')
    monkeypatch.setenv("TASKS_API_OIDC_DEPARTMENT_UNITS", '{"330800-FGW": 7}')
    settings = TasksSettings(environment="test")
    assert (settings.oidc_group_roles["duban-unit"], settings.oidc_department_units) == ("unit", {"330800-FGW": 7})


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("oidc_group_roles", {"ops": "service"}),
        ("oidc_group_roles", {"x": "mayor"}),
        ("oidc_department_units", {"Q": 0}),
    ],
    ids=["service-role", "unknown-role", "not-a-unit-id"],
)
def test_an_sso_mapping_to_no_person_role_or_no_unit_refuses_to_start(setting, value):
    with pytest.raises(ValueError, match=f"(?i){setting}"):  # the variable, TASKS_API_OIDC_…
        TasksSettings(environment="test", **{setting: value})
