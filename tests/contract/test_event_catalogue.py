"""The event catalogue (services/common/events) in the contracts: every event type the code publishes is declared
as an OpenAPI webhook with its payload schema and an example that fits it, and `GET /v1/event-types` lists it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from jsonschema_rs import Draft202012Validator

from services.common.events.catalogue import CATALOGUE, MESSAGES, NOTIFY, REPORTING, TASKS, published_by
from services.common.settings import REPO_ROOT
from services.notify_api.app import create_app as notify_app
from services.reporting_api.app import create_app as reporting_app
from services.tasks_api.app import create_app as tasks_app
from tests.conftest import reporting_settings, tasks_settings
from tests.notify_api.conftest import notify_settings
from tests.test_contract import committed

EVENT_LITERAL = re.compile(r'"((?:report|item|deadline|notice|instruction|delegation)\.[a-z_]+)"')
# What notify_api delivers (every type) and what each producer declares (its own).
DECLARED = {
    TASKS: tuple(t.name for t in published_by(TASKS)),
    REPORTING: tuple(t.name for t in published_by(REPORTING)),
    NOTIFY: tuple(CATALOGUE),
}


def published_in_code() -> set[str]:
    """The event types the services write: the literals given to emit and publish_local_event, and the review's
    report.accepted and report.returned (made from the outcome)."""
    found = {"report.accepted", "report.returned"}
    for path in (REPO_ROOT / "services").rglob("*.py"):
        if "common/events" not in path.as_posix() and ("emit" in (text := path.read_text()) or "NOTICE" in text):
            found |= set(EVENT_LITERAL.findall(text))
    return found


def test_every_event_type_the_code_publishes_is_in_the_catalogue():
    assert published_in_code() - set(CATALOGUE) == set()


@pytest.mark.parametrize("service", list(DECLARED))
def test_each_contract_declares_its_events_as_webhooks_with_their_message_schema(service):
    document = committed(service)
    webhooks = document.get("webhooks", {})
    assert sorted(webhooks) == sorted(DECLARED[service])
    for name in DECLARED[service]:
        body = webhooks[name]["post"]["requestBody"]["content"]["application/json"]
        schema_name = CATALOGUE[name].schema_name
        assert body["schema"] == {"$ref": f"#/components/schemas/{schema_name}"}
        assert schema_name in document["components"]["schemas"]


@pytest.mark.parametrize("service", list(DECLARED))
def test_each_webhook_example_fits_its_schema_in_the_contract(service):
    document = committed(service)
    for name in DECLARED[service]:
        body = document["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]
        validator = Draft202012Validator(
            {**body["schema"], "components": document["components"]}, validate_formats=True
        )
        assert [e.message for e in validator.iter_errors(body["example"])] == [], name


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_each_example_validates_against_its_payload_model_and_shows_every_required_field(name):
    event_type, fields = CATALOGUE[name], CATALOGUE[name].data.model_fields
    MESSAGES[name].model_validate(event_type.message_example())
    assert {field for field, info in fields.items() if info.is_required()} <= set(event_type.example) <= set(fields)


@pytest.fixture(params=[TASKS, REPORTING, NOTIFY])
def service_client(request, tmp_path) -> Iterator[tuple[str, TestClient]]:
    """Each service's app (the catalogue reads no database)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    apps = {
        TASKS: lambda: tasks_app(tasks_settings(url)),
        REPORTING: lambda: reporting_app(reporting_settings(url, "http://127.0.0.1:9")),
        NOTIFY: lambda: notify_app(notify_settings(url)),
    }
    with TestClient(apps[request.param](), raise_server_exceptions=False) as client:
        yield request.param, client


def test_event_types_lists_the_catalogue_of_the_service(service_client, auth):
    service, client = service_client
    answer = client.get("/v1/event-types", headers=auth("viewer"))
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert [(t["type"], t["version"]) for t in listed["data"]] == [(n, CATALOGUE[n].version) for n in DECLARED[service]]
    assert listed["next_cursor"] is None
    assert all(t["schema_ref"] == f"#/components/schemas/{CATALOGUE[t['type']].schema_name}" for t in listed["data"])


def test_event_types_needs_a_token(service_client):
    _, client = service_client
    assert client.get("/v1/event-types").status_code == 401
