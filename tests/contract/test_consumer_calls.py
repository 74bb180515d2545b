"""Cross-service contract tests: every call a consumer makes is judged by the provider's committed contract.

reporting_api and notify_api read tasks_api, notify_api reads reporting_api, and tasks_api and reporting_api
publish their outbox events to notify_api. Each consumer runs against the real provider through a
recording transport; each recorded request (method, path, query, body) and the provider's answer must be
allowed by the provider's openapi/*.json. So a provider change that breaks a consumer fails here even when
each service's own tests pass. A static check also finds every path the consumers' code names.
"""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table

from services.common.auth import ServiceToken
from services.common.contracts.plan_duties import plan_duties
from services.common.contracts.plan_obligations import plan_obligations
from services.common.contracts.reporting import ReportingClient
from services.common.contracts.tasks import TasksClient
from services.common.http import ServiceClient
from services.common.outbox import relay_outbox
from services.common.settings import REPO_ROOT
from services.notify_api.app import create_app as create_notify_app
from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.db import outbox_events as reporting_outbox
from services.reporting_api.models import metadata as reporting_metadata
from services.tasks_api.db import outbox_events as tasks_outbox
from tests.conftest import reporting_settings, serve_in_thread, tasks_settings
from tests.contract.recording import Exchange, ProviderContract, RecordingTransport
from tests.databases import empty_tables
from tests.notify_api.conftest import notify_settings
from tests.reporting_api.test_reports import FULL_CONTENT
from tests.tasks_api.factories import import_small_plan

CONTRACTS = {service: ProviderContract(service) for service in ("tasks_api", "reporting_api", "notify_api")}
TRANSPORT_BUREAU = "市交通运输局"  # leads task 9 (roads) of the Quzhou plan


def assert_conforms(provider: str, exchanges: list[Exchange]) -> None:
    """Every exchange is allowed by the provider's committed contract."""
    assert exchanges, f"no call reached {provider}"
    violations = {str(e): found for e in exchanges if (found := CONTRACTS[provider].violations(e))}
    assert violations == {}


def templates(provider: str, exchanges: list[Exchange]) -> set[tuple[str, str]]:
    return {(e.method, CONTRACTS[provider].template_of(e)) for e in exchanges}


def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response


# -- the providers, served for real -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def reporting_provider(databases, tasks_server) -> Iterator[str]:
    """reporting_api on its own database, reading the Quzhou plan from the real tasks_api."""
    url = databases.migrated("contract_reporting", "reporting_api")
    with serve_in_thread(create_reporting_app(reporting_settings(url, tasks_server))) as base:
        yield base


@pytest.fixture(scope="module")
def notify_provider(databases, tasks_server, reporting_provider) -> Iterator[str]:
    url = databases.migrated("contract_notify", "notify_api")
    with serve_in_thread(create_notify_app(notify_settings(url, tasks_server, reporting_provider))) as base:
        yield base


def peer_client(base_url: str, recorder: RecordingTransport, peer: str) -> ServiceClient:
    return ServiceClient(
        base_url, ServiceToken(tasks_settings("sqlite+aiosqlite://")), peer=peer, transport=recorder, cache_seconds=0.0
    )


# -- the typed clients, method by method --------------------------------------------------------------------


def test_every_call_of_the_typed_clients_conforms_to_the_providers_contracts(tasks_server, reporting_provider, quzhou):
    tasks_calls, reporting_calls = RecordingTransport(), RecordingTransport()
    plan_id, t9 = quzhou.plan_id, quzhou.item("T9")["id"]
    unit_id = quzhou.unit_id(TRANSPORT_BUREAU)

    async def use_every_method() -> None:
        tasks = TasksClient(peer_client(tasks_server, tasks_calls, "tasks_api"))
        reporting = ReportingClient(peer_client(reporting_provider, reporting_calls, "reporting_api"))
        await tasks.plan(plan_id)
        await tasks.item(t9)
        await tasks.item_indicators(t9)
        await tasks.item_delegations(t9)
        await tasks.unit_item_ids(unit_id, "lead")
        await tasks.plan_items(plan_id)
        await tasks.plan_assignments(plan_id)
        await tasks.plan_indicators(plan_id)
        await plan_duties(tasks, plan_id)
        await tasks.plan_item_leaders(plan_id)
        await tasks.units()
        await tasks.unit(unit_id)
        await tasks.leader((await tasks.plan_item_leaders(plan_id))[0].leader_id)
        groups = await tasks.groups(plan_id, kind="thematic")
        await tasks.group_members((groups or await tasks.groups(plan_id))[0].id)
        await tasks.deadlines(date(2025, 1, 1), date(2025, 12, 31), plan_id=plan_id, unit_id=unit_id)
        periods = await reporting.periods(plan_id, kind="quarter")
        await reporting.compliance(plan_id, periods[0].id, as_of=date(2024, 4, 30), unit_id=unit_id, state="missing")
        await plan_obligations(
            reporting, plan_id, date(2024, 1, 11), date(2024, 12, 31), as_of=date(2024, 4, 30), unit_id=unit_id,
            pending=True,
        )  # fmt: skip
        await reporting.instruction_duties(date(2024, 1, 1), date(2024, 12, 31), unit_id=unit_id, plan_id=plan_id)
        for client in (tasks, reporting):
            await client.http.aclose()

    asyncio.run(use_every_method())
    assert_conforms("tasks_api", tasks_calls.exchanges)
    assert_conforms("reporting_api", reporting_calls.exchanges)
    used = {
        (provider, method, _shape(template))
        for provider, method, template, where in consumer_calls()
        if where.startswith("services/common/contracts/")
    }
    exercised = {
        (provider, method, _shape(template))
        for provider, calls in (("tasks_api", tasks_calls), ("reporting_api", reporting_calls))
        for method, template in templates(provider, calls.exchanges)
    }
    assert used - exercised == set(), "a typed client's call is not exercised here"


# -- the consumers at work ------------------------------------------------------------------------------------


@pytest.fixture
def reporting_consumer(reporting_database, tasks_server) -> Iterator[tuple[TestClient, RecordingTransport]]:
    """reporting_api on an empty database whose calls to tasks_api are recorded."""
    empty_tables(reporting_database, reporting_metadata)
    recorder = RecordingTransport()
    app = create_reporting_app(reporting_settings(reporting_database, tasks_server), tasks_transport=recorder)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, recorder


def file_and_submit_a_report(client: TestClient, headers: dict[str, str], item_id: int) -> None:
    report = ok(
        client.post("/v1/reports", json={"item_id": item_id, "period": "2024-Q1", **FULL_CONTENT}, headers=headers), 201
    ).json()
    ok(client.post(f"/v1/reports/{report['id']}/submit", headers=headers))


def test_reporting_apis_calls_to_tasks_api_conform_to_its_contract(reporting_consumer, quzhou, auth):
    client, recorder = reporting_consumer
    unit = auth("unit", unit_id=quzhou.unit_id(TRANSPORT_BUREAU))
    file_and_submit_a_report(client, unit, quzhou.item("T9")["id"])
    ok(client.get("/v1/reports", headers=unit))
    plan = f"/v1/plans/{quzhou.plan_id}"
    office = auth("office")
    instruction = {
        "item_id": quzhou.item("T9")["id"],
        "text": "请推进。",
        "author_name": "张三",
        "mentions": [quzhou.unit_id("市财政局")],
    }
    ok(client.post("/v1/instructions", json=instruction, headers=office), 201)
    for path, query in (
        (f"{plan}/compliance", {"period": "2024-Q1"}),
        (f"{plan}/traffic-lights", {"period": "2024-Q1", "as_of": "2024-05-01"}),
        (f"{plan}/rollups", {"period": "2024-Q1", "by": "group"}),
        (f"{plan}/indicators/progress", {}),
        (f"{plan}/ledger.csv", {"period": "2024-Q1"}),
    ):
        ok(client.get(path, params=query, headers=office))
    ok(client.post(f"{plan}/periods/2024-Q1/close", params={"as_of": "2024-05-01"}, headers=office), 201)
    ok(client.get(f"{plan}/assessment", params={"year": 2024}, headers=office))
    assert_conforms("tasks_api", recorder.exchanges)


def relay_recorded(producer: TestClient, outbox: Table, notify_url: str, source: str) -> list[Exchange]:
    """Run the producer's outbox relay once into the real notify_api; the exchanges it made."""
    recorder = RecordingTransport()

    async def relay() -> int:
        notify = peer_client(notify_url, recorder, "notify_api")
        try:
            return await relay_outbox(producer.app.state.database, outbox, notify, limit=100, source=source)
        finally:
            await notify.aclose()

    assert producer.portal.call(relay) >= 1, "the producer had no event to relay"
    return recorder.exchanges


def test_reporting_apis_outbox_events_conform_to_notify_apis_contract(
    reporting_consumer, notify_provider, quzhou, auth
):
    client, _ = reporting_consumer
    file_and_submit_a_report(client, auth("unit", unit_id=quzhou.unit_id(TRANSPORT_BUREAU)), quzhou.item("T9")["id"])
    instruction = {
        "item_id": quzhou.item("T9")["id"],
        "text": "请推进。",
        "author_name": "张三",
        "answer_by": "2024-04-30",
    }
    ok(client.post("/v1/instructions", json=instruction, headers=auth("office")), 201)
    assert_conforms("notify_api", relay_recorded(client, reporting_outbox, notify_provider, "reporting_api"))


def test_tasks_apis_outbox_events_conform_to_notify_apis_contract(tasks_client, notify_provider, auth):
    import_small_plan(tasks_client, auth)
    assert_conforms("notify_api", relay_recorded(tasks_client, tasks_outbox, notify_provider, "tasks_api"))


def test_notify_apis_calls_to_tasks_api_and_reporting_api_conform_to_their_contracts(
    databases, tasks_server, reporting_provider, quzhou, auth
):
    url = databases.migrated("contract_notify_consumer", "notify_api")
    to_tasks, to_reporting = RecordingTransport(), RecordingTransport()
    app = create_notify_app(
        notify_settings(url, tasks_server, reporting_provider),
        tasks_transport=to_tasks,
        reporting_transport=to_reporting,
    )
    unit_id, office = quzhou.unit_id(TRANSPORT_BUREAU), auth("office")
    with TestClient(app, raise_server_exceptions=False) as client:
        ok(
            client.get(
                "/v1/deadlines/upcoming",
                params={"plan_id": quzhou.plan_id, "as_of": "2024-03-20", "days": 30},
                headers=office,
            )
        )
        ok(client.post("/v1/dispatches", json={"as_of": "2024-04-08T10:00:00+08:00"}, headers=office), 201)
        ok(client.get("/v1/bulletins", params={"plan_id": quzhou.plan_id, "date": "2024-06-30"}, headers=office))
        feed = ok(client.post(f"/v1/units/{unit_id}/feed-tokens", headers=office), 201).json()
        ok(client.get(f"/v1/calendars/units/{unit_id}.ics", params={"token": feed["token"]}))
    assert_conforms("tasks_api", to_tasks.exchanges)
    assert_conforms("reporting_api", to_reporting.exchanges)


# -- the static check: every path the consumers' code names is in the provider's contract ----------------------

# Who a call goes to, by the expression it is made on (`tasks.http.get(...)`) or, for `self.http`, by the file.
_PROVIDER_OF_RECEIVER = {"tasks": "tasks_api", "reporting": "reporting_api", "client": "notify_api"}
_PROVIDER_OF_FILE = {
    "services/common/contracts/tasks.py": "tasks_api",
    "services/common/contracts/reporting.py": "reporting_api",
}
_METHODS = {"get": "GET", "get_all": "GET", "post": "POST"}


def consumer_calls() -> set[tuple[str, str, str, str]]:
    """(provider, method, path template, file) of every call made through a peer ServiceClient in services/."""
    found = set()
    for source in sorted((REPO_ROOT / "services").rglob("*.py")):
        where = source.relative_to(REPO_ROOT).as_posix()
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (call := _peer_call(node)) is not None:
                receiver, method, template = call
                provider = _PROVIDER_OF_FILE.get(where) if receiver == "self" else _PROVIDER_OF_RECEIVER.get(receiver)
                found.add((provider or f"unknown receiver {receiver!r} in {where}", method, template, where))
    return found


def _peer_call(node: ast.AST) -> tuple[str, str, str] | None:
    """`<receiver>.http.get("/v1/...")`, or `client.post("/v1/...")` on a ServiceClient named client."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _METHODS
        and node.args
        and (template := _path_template(node.args[0])) is not None
    ):
        return None
    target = node.func.value
    if isinstance(target, ast.Attribute) and target.attr == "http" and isinstance(target.value, ast.Name):
        return target.value.id, _METHODS[node.func.attr], template
    if isinstance(target, ast.Name) and target.id == "client":
        return "client", _METHODS[node.func.attr], template
    return None


def _path_template(argument: ast.expr) -> str | None:
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        text = argument.value
    elif isinstance(argument, ast.JoinedStr):
        text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in argument.values)
    else:
        return None
    return text if text.startswith("/v1/") else None


def _shape(template: str) -> str:
    return re.sub(r"\{\w*\}", "{}", template)


def test_consumer_code_is_found_calling_each_peer():
    providers = {call[0] for call in consumer_calls()}
    assert providers == {"tasks_api", "reporting_api", "notify_api"}, providers


def test_every_path_a_consumer_names_is_in_the_providers_contract():
    missing = []
    for provider, method, template, where in sorted(consumer_calls()):
        operations = {
            (m.upper(), _shape(path)) for path, item in CONTRACTS[provider].document["paths"].items() for m in item
        }
        if (method, _shape(template)) not in operations:
            missing.append(f"{where}: {method} {template} is not in openapi/{provider}.json")
    assert missing == []
