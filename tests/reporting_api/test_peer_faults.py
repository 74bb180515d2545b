"""When tasks_api is down, slow or broken, every reporting_api operation that asks it answers 503 within the
budget, writes nothing, and works again by itself once tasks_api is back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.reporting_api.app import create_app
from services.reporting_api.deps import TasksDep
from services.reporting_api.models import metadata
from tests.apps import app_as_new
from tests.conftest import reporting_settings
from tests.databases import empty_tables
from tests.faults import (
    PEER_FAULTS,
    PEER_LIMITS,
    SLOW_FAULTS,
    FaultyTransport,
    PeerCall,
    check_ends_within_budget,
    check_survives_peer_fault,
    dependency_of,
    faults_here,
    operations_depending_on,
)
from tests.reporting_api.test_reports import FULL_CONTENT

LEAD, CO = "市交通运输局", "市文旅局"  # task 9 (roads): the lead unit and a co-operating unit


@dataclass
class Scene:
    """A plan with a draft report of the co-operating unit on task 9, filed while tasks_api was up."""

    client: TestClient
    office: dict[str, str]
    lead: dict[str, str]
    co: dict[str, str]
    plan_id: int
    item_id: int
    indicator_id: int
    report_id: int
    report_etag: str
    co_id: int
    evidence_id: int = 0  # set by with_evidence
    instruction_id: int = 0  # set by with_an_instruction
    reply_id: int = 0

    def plan(self, path: str) -> str:
        return f"/v1/plans/{self.plan_id}{path}"


def close_2024_q1(s: Scene) -> httpx.Response:
    return s.client.post(s.plan("/periods/2024-Q1/close"), params={"as_of": "2024-12-31"}, headers=s.office)


def with_2024_q1_closed(s: Scene) -> None:
    assert close_2024_q1(s).status_code == 201


def get(path: str, headers: str, **params: object) -> Callable[[Scene], httpx.Response]:
    """A GET of `path` (formatted with the scene as `s`) as the scene's `headers` caller."""
    return lambda s: s.client.get(path.format(s=s), params=params, headers=getattr(s, headers))


Q1 = {"period": "2024-Q1"}
PDF = b"%PDF-1.7\n%%EOF\n"


def with_evidence(s: Scene) -> None:
    """A file of the co-operating unit on its draft (its own report: no question to tasks_api)."""
    url = f"/v1/reports/{s.report_id}/evidence"
    attached = s.client.post(url, params={"filename": "co.pdf"}, content=PDF, headers=s.co)
    assert attached.status_code == 201, attached.text
    s.evidence_id = attached.json()["id"]


def with_an_instruction(s: Scene) -> None:
    """The office's instruction on task 9 with a comment of its own, made while tasks_api was up."""
    issued = s.client.post(
        "/v1/instructions", json={"item_id": s.item_id, "text": "请推进。", "author_name": "张三"}, headers=s.office
    )
    assert issued.status_code == 201, issued.text
    s.instruction_id = issued.json()["id"]
    replied = s.client.post(f"/v1/instructions/{s.instruction_id}/replies", json={"text": "已阅。"}, headers=s.office)
    assert replied.status_code == 201, replied.text
    s.reply_id = replied.json()["id"]


def with_the_draft_submitted(s: Scene) -> None:
    assert s.client.post(f"/v1/reports/{s.report_id}/submit", headers=s.co).status_code == 200


# Each operation that asks tasks_api, sent so that it must ask, and the status it answers once tasks_api is up.
CALLS: dict[str, PeerCall] = {
    "create_report": PeerCall(
        lambda s: s.client.post(
            "/v1/reports",
            json={"item_id": s.item_id, "period": "2024-H1"},
            headers={**s.co, "Idempotency-Key": "report-2024-H1"},
        ),
        201,
    ),
    "issue_instruction": PeerCall(
        lambda s: s.client.post(
            "/v1/instructions",
            json={"item_id": s.item_id, "text": "请推进。", "author_name": "张三", "mentions": [s.co_id]},
            headers={**s.office, "Idempotency-Key": "instruction-t9"},
        ),
        201,
    ),
    "list_reports": PeerCall(get("/v1/reports", "lead"), 200),
    "get_report": PeerCall(get("/v1/reports/{s.report_id}", "lead"), 200),
    "update_report": PeerCall(
        lambda s: s.client.patch(
            f"/v1/reports/{s.report_id}",
            json={"measurements": [{"indicator_id": s.indicator_id, "value": 120.5, "as_of": "2024-03-31"}]},
            headers={**s.co, "If-Match": s.report_etag},
        ),
        200,
    ),
    "submit_report": PeerCall(lambda s: s.client.post(f"/v1/reports/{s.report_id}/submit", headers=s.co), 200),
    # The lead unit reads its co-operating unit's report but does not change it: tasks_api says it leads the item.
    "withdraw_report": PeerCall(
        lambda s: s.client.post(f"/v1/reports/{s.report_id}/withdraw", headers=s.lead),
        403,
        prepare=with_the_draft_submitted,
    ),
    # Only the unit that delegated the item (转办) reviews a delegate's report: tasks_api says the lead delegated none.
    "review_report": PeerCall(
        lambda s: s.client.post(
            f"/v1/reports/{s.report_id}/review", json={"decision": "accept"}, headers={**s.lead, "If-Match": '"2"'}
        ),
        403,
        prepare=with_the_draft_submitted,
    ),
    "delete_report": PeerCall(
        lambda s: s.client.delete(f"/v1/reports/{s.report_id}", headers={**s.lead, "If-Match": s.report_etag}), 403
    ),
    "list_report_versions": PeerCall(get("/v1/reports/{s.report_id}/versions", "lead"), 200),
    "get_report_history": PeerCall(get("/v1/reports/{s.report_id}/history", "lead"), 200),
    "list_periods": PeerCall(get("/v1/plans/{s.plan_id}/periods", "office"), 200),
    "set_period_due_date": PeerCall(
        lambda s: s.client.put(s.plan("/periods/2024-Q2/due-date"), json={"due_on": "2024-07-22"}, headers=s.office),
        204,
    ),
    "close_period": PeerCall(close_2024_q1, 201),
    "get_rules": PeerCall(get("/v1/plans/{s.plan_id}/rules", "office"), 200),
    "update_rules": PeerCall(
        lambda s: s.client.patch(
            s.plan("/rules"), json={"due_days_after_period": 20}, headers={**s.office, "If-Match": '"0"'}
        ),
        200,
    ),
    "get_annual_assessment": PeerCall(
        get("/v1/plans/{s.plan_id}/assessment", "office", year=2024), 200, prepare=with_2024_q1_closed
    ),
    "get_assessment_document": PeerCall(
        get("/v1/plans/{s.plan_id}/assessment.docx", "office", year=2024), 200, prepare=with_2024_q1_closed
    ),
    "create_assessment_adjustment": PeerCall(
        lambda s: s.client.post(
            s.plan("/assessment/adjustments"),
            params={"year": 2024},
            headers={**s.office, "Idempotency-Key": "adj-2024"},
            json={"unit_id": s.co_id, "points": 1, "reason": "表扬"},
        ),
        201,
    ),
    "export_ledger_xlsx": PeerCall(get("/v1/plans/{s.plan_id}/ledger.xlsx", "office", **Q1), 200),
    "export_ledger_csv": PeerCall(get("/v1/plans/{s.plan_id}/ledger.csv", "office", **Q1), 200),
    "get_plan_compliance": PeerCall(get("/v1/plans/{s.plan_id}/compliance", "office", **Q1), 200),
    "get_plan_rollups": PeerCall(get("/v1/plans/{s.plan_id}/rollups", "office", **Q1), 200),
    "get_plan_traffic_lights": PeerCall(get("/v1/plans/{s.plan_id}/traffic-lights", "office", **Q1), 200),
    "get_plan_indicator_progress": PeerCall(get("/v1/plans/{s.plan_id}/indicators/progress", "office"), 200),
    "get_plan_obligations": PeerCall(
        get("/v1/plans/{s.plan_id}/obligations", "office", **{"from": "2024-01-01", "to": "2024-12-31"}), 200
    ),
    "get_plan_obligation_columns": PeerCall(
        get("/v1/plans/{s.plan_id}/obligations/columns", "office", **{"from": "2024-01-01", "to": "2024-12-31"}), 200
    ),
    "get_item_cadence": PeerCall(get("/v1/items/{s.item_id}/cadence", "office"), 200),
    # A report's evidence: the lead unit reads its co-operating unit's files, as tasks_api says it leads the item.
    "upload_report_evidence": PeerCall(
        lambda s: s.client.post(
            f"/v1/reports/{s.report_id}/evidence", params={"filename": "a.pdf"}, content=PDF, headers=s.lead
        ),
        403,
    ),
    "list_report_evidence": PeerCall(get("/v1/reports/{s.report_id}/evidence", "lead"), 200),
    "get_evidence": PeerCall(get("/v1/evidence/{s.evidence_id}", "lead"), 200, prepare=with_evidence),
    "download_evidence": PeerCall(get("/v1/evidence/{s.evidence_id}/content", "lead"), 200, prepare=with_evidence),
    "delete_evidence": PeerCall(
        lambda s: s.client.delete(f"/v1/evidence/{s.evidence_id}", headers={**s.lead, "If-Match": '"1"'}),
        403,
        prepare=with_evidence,
    ),
    "reply_to_instruction": PeerCall(
        lambda s: s.client.post(
            f"/v1/instructions/{s.instruction_id}/replies",
            json={"text": "请抓紧。", "mentions": [s.co_id]},
            headers=s.office,
        ),
        201,
        prepare=with_an_instruction,
    ),
    "set_item_cadence": PeerCall(
        lambda s: s.client.put(
            f"/v1/items/{s.item_id}/cadence", json={"cadence": "monthly"}, headers={**s.office, "If-Match": '"0"'}
        ),
        200,
    ),
}
# A write, and operations that ask tasks_api several times one after the other (the budget is the request's).
TIMED = ["create_report", "close_period", "export_ledger_csv", "get_plan_traffic_lights"]
CASES = [(op, fault) for op in sorted(CALLS) for fault in faults_here(PEER_FAULTS)] + [
    (op, fault) for op in TIMED for fault in faults_here(SLOW_FAULTS)
]
# Operations that hold the tasks_api client but do not need it: they keep working while it is down.
# The office's bulk review holds the client for review_report, which asks tasks_api only when a unit reviews (a
# delegate's report, 转办): the office's reviews go through while tasks_api is down, as the single review does.
# An instruction's and a reply's files hold it through the evidence access that reports share, but ask tasks_api
# nothing: who wrote the instruction or the reply, and whom it concerns, is reporting_api's own.
WITHOUT_PEER = {
    "review_reports",
    "upload_instruction_evidence",
    "list_instruction_evidence",
    "upload_instruction_reply_evidence",
    "list_instruction_reply_evidence",
}


@pytest.fixture(scope="module")
def faulty() -> FaultyTransport:
    """One transport for the module's apps, and so one app, reused test after test (tests/apps.py)."""
    return FaultyTransport()


@pytest.fixture(scope="module")
def create_faulty_app(faulty: FaultyTransport) -> Callable[..., FastAPI]:
    return partial(create_app, tasks_transport=faulty)


@pytest.fixture
def client(reporting_database, tasks_server, faulty, create_faulty_app):
    empty_tables(reporting_database, metadata)
    faulty.fault = None
    settings = reporting_settings(reporting_database, tasks_server).model_copy(update=PEER_LIMITS)
    with (
        app_as_new(create_faulty_app, settings) as app,
        TestClient(app, raise_server_exceptions=False) as test_client,
    ):
        yield test_client


@pytest.fixture
def scene(client, auth, quzhou) -> Scene:
    lead, co = quzhou.unit_id(LEAD), quzhou.unit_id(CO)
    item_id = quzhou.item("T9")["id"]
    filed = client.post(
        "/v1/reports", json={"item_id": item_id, "period": "2024-Q1", **FULL_CONTENT}, headers=auth("unit", unit_id=co)
    )
    assert filed.status_code == 201, filed.text
    return Scene(
        client,
        auth("office"),
        auth("unit", unit_id=lead),
        auth("unit", unit_id=co),
        quzhou.plan_id,
        item_id,
        quzhou.indicator_id("T9-expressway-km"),
        filed.json()["id"],
        filed.headers["etag"],
        co,
    )


def test_every_operation_that_holds_the_tasks_api_client_is_under_fault_test():
    held = operations_depending_on(create_app(), dependency_of(TasksDep))
    assert held == set(CALLS) | WITHOUT_PEER


@pytest.mark.parametrize(("operation", "fault"), CASES)
def test_an_operation_asking_a_failing_tasks_api_answers_503_in_budget_writes_nothing_and_recovers(
    scene, faulty, reporting_database, operation, fault
):
    check_survives_peer_fault(
        CALLS[operation],
        scene,
        faulty,
        fault,
        peer="tasks_api",
        budget=PEER_LIMITS["peer_budget_seconds"],
        database_url=reporting_database,
        metadata=metadata,
    )


@pytest.mark.parametrize("operation", TIMED)
def test_an_operation_ends_within_the_budget_when_tasks_api_answers_each_call_in_time_but_not_all(
    scene, faulty, operation
):
    check_ends_within_budget(CALLS[operation], scene, faulty, budget=PEER_LIMITS["peer_budget_seconds"])


def test_a_review_needs_no_tasks_api_and_goes_through_while_it_is_down(scene, faulty):
    submitted = scene.client.post(f"/v1/reports/{scene.report_id}/submit", headers=scene.co)
    assert submitted.status_code == 200, submitted.text
    faulty.fault = "refuse"
    reviewed = scene.client.post(
        f"/v1/reports/{scene.report_id}/review",
        json={"decision": "accept"},
        headers={**scene.office, "If-Match": submitted.headers["etag"]},
    )
    assert (reviewed.status_code, reviewed.json()["status"]) == (200, "accepted")


def test_idempotent_reads_are_retried_past_a_passing_failure(scene, faulty):
    faulty.fault = "error"
    calls_before = faulty.calls
    response = scene.client.get(scene.plan("/periods"), headers=scene.office)
    assert response.status_code == 503
    assert faulty.calls - calls_before == 3  # the first try and two bounded retries
