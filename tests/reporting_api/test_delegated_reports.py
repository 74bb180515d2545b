"""Delegated reports (转办): a delegate holding an acknowledged delegation files its report on the delegated item,
the unit that delegated it reads and reviews it (not the office), and only the responsible units' own reports go up
to compliance and the roll-ups. Each rule and refusal is proved against a real tasks_api of the Quzhou plan."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from services.reporting_api.app import create_app
from services.reporting_api.models import metadata
from services.tasks_api.app import create_app as create_tasks_app
from tests.conftest import Quzhou, quzhou_plan_database, reporting_settings, serve_in_thread, tasks_settings
from tests.databases import empty_tables
from tests.reporting_api.test_reports import FULL_CONTENT, etag_of, submit

LEAD, CO = "市交通运输局", "市文旅局"  # task 9 (roads): the lead unit and a co-operating unit


@dataclass
class Chain:
    """Task 9 delegated: lead → 市公路中心 → 衢江公路段 (both acknowledged), co → 市旅游中心 (acknowledged),
    lead → 市交通工程队 (pending); and another item the lead answers for, delegated to nobody."""

    plan_id: int
    t9: int
    other_item: int
    lead: int
    co: int
    roads: int
    section: int
    tourism: int
    crew: int


def _setup(tasks: httpx.Client, auth) -> Chain:
    quzhou = Quzhou(tasks, auth("viewer"))  # type: ignore[arg-type]
    t9, lead, co = quzhou.item("T9")["id"], quzhou.unit_id(LEAD), quzhou.unit_id(CO)
    office = auth("office")

    def unit(name: str, parent: int) -> int:
        made = tasks.post("/v1/units", json={"name": name, "kind": "department", "parent_id": parent}, headers=office)
        assert made.status_code == 201, made.text
        return made.json()["id"]

    def delegate(by: int, to: int, acknowledged: bool = True) -> None:
        made = tasks.post(
            f"/v1/items/{t9}/delegations",
            json={"to_unit_id": to, "scope": "分段实施"},
            headers=auth("unit", unit_id=by),
        )
        assert made.status_code == 201, made.text
        if acknowledged:
            done = tasks.post(f"/v1/delegations/{made.json()['id']}/acknowledgement", headers=auth("unit", unit_id=to))
            assert done.status_code == 200, done.text

    roads, tourism, crew = unit("市公路中心", lead), unit("市旅游中心", co), unit("市交通工程队", lead)
    section = unit("衢江公路段", roads)
    delegate(lead, roads)
    delegate(roads, section)
    delegate(co, tourism)
    delegate(lead, crew, acknowledged=False)
    owned = tasks.get(f"/v1/units/{lead}/items", params={"limit": 500}, headers=office).json()["data"]
    other = next(row["id"] for row in owned if row["id"] != t9)
    return Chain(quzhou.plan_id, t9, other, lead, co, roads, section, tourism, crew)


@pytest.fixture(scope="module")
def served_tasks(databases, auth):
    url = quzhou_plan_database(databases, "quzhou_delegated")
    with serve_in_thread(create_tasks_app(tasks_settings(url))) as tasks_url, httpx.Client(base_url=tasks_url) as tasks:
        yield tasks_url, _setup(tasks, auth)


@pytest.fixture
def chain(served_tasks) -> Chain:
    return served_tasks[1]


@pytest.fixture
def client(reporting_database, served_tasks):
    empty_tables(reporting_database, metadata)
    with TestClient(
        create_app(reporting_settings(reporting_database, served_tasks[0])), raise_server_exceptions=False
    ) as c:
        yield c


def file(client, auth, unit_id, item_id, **extra):
    body = {"item_id": item_id, "period": "2024-Q1", **FULL_CONTENT, **extra}
    return client.post("/v1/reports", json=body, headers=auth("unit", unit_id=unit_id))


def filed(client, auth, unit_id, item_id):
    response = file(client, auth, unit_id, item_id)
    assert response.status_code == 201, response.text
    return response.json()


def review(client, auth, reviewer, report_id, decision="accept", comment=None):
    """`reviewer` (headers) reviews the version of the report as the office reads it."""
    body = {"decision": decision, **({"comment": comment} if comment else {})}
    etag = etag_of(client, auth("office"), report_id)
    return client.post(f"/v1/reports/{report_id}/review", json=body, headers={**reviewer, "If-Match": etag})


def submitted(client, auth, unit_id, item_id):
    report = filed(client, auth, unit_id, item_id)
    return submit(client, auth("unit", unit_id=unit_id), report["id"])


# -- filing ---------------------------------------------------------------------------------------------------


def test_an_acknowledged_delegate_files_on_the_delegated_item_as_delegate(client, auth, chain):
    report = filed(client, auth, chain.roads, chain.t9)
    assert (report["role"], report["unit_id"], report["status"]) == ("delegate", chain.roads, "draft")
    assert submit(client, auth("unit", unit_id=chain.roads), report["id"])["status"] == "submitted"
    # the lead still owes and files its own report on the same item and period
    assert filed(client, auth, chain.lead, chain.t9)["role"] == "lead"


def test_a_delegate_two_levels_down_files_too(client, auth, chain):
    assert filed(client, auth, chain.section, chain.t9)["role"] == "delegate"


def test_a_delegate_that_has_not_acknowledged_is_409(client, auth, chain):
    refused = file(client, auth, chain.crew, chain.t9)
    assert refused.status_code == 409, refused.text


def test_a_delegate_files_nothing_on_its_parent_units_other_items(client, auth, chain):
    assert file(client, auth, chain.roads, chain.other_item).status_code == 403


def test_a_delegates_report_carries_no_indicator_values(client, auth, chain):
    values = [{"indicator_id": 1, "value": 3, "as_of": "2024-03-31"}]
    refused = file(client, auth, chain.roads, chain.t9, measurements=values)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["pointer"] == "/body/measurements"


# -- reading -------------------------------------------------------------------------------------------------------


def test_the_delegating_unit_reads_and_lists_its_delegates_reports_on_the_item(client, auth, chain):
    report = filed(client, auth, chain.tourism, chain.t9)
    co = auth("unit", unit_id=chain.co)
    assert client.get(f"/v1/reports/{report['id']}", headers=co).status_code == 200
    listed = client.get("/v1/reports", params={"item_id": chain.t9}, headers=co).json()["data"]
    assert [row["id"] for row in listed] == [report["id"]]


def test_other_units_do_not_see_a_delegates_report_nor_does_the_delegate_see_others(client, auth, chain):
    report = filed(client, auth, chain.tourism, chain.t9)
    lead_report = filed(client, auth, chain.lead, chain.t9)
    for stranger in (chain.roads, chain.crew):
        assert client.get(f"/v1/reports/{report['id']}", headers=auth("unit", unit_id=stranger)).status_code == 404
    tourism = auth("unit", unit_id=chain.tourism)
    assert client.get(f"/v1/reports/{lead_report['id']}", headers=tourism).status_code == 404
    listed = client.get("/v1/reports", params={"item_id": chain.t9}, headers=tourism).json()["data"]
    assert [row["id"] for row in listed] == [report["id"]]


# -- reviewing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("decision", "status"), [("accept", "accepted"), ("return", "returned")])
def test_the_delegating_unit_reviews_its_delegates_report(client, auth, chain, decision, status):
    report = submitted(client, auth, chain.roads, chain.t9)
    done = review(client, auth, auth("unit", unit_id=chain.lead), report["id"], decision, "请补充征地进度")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == status


def test_the_office_does_not_review_a_delegates_report(client, auth, chain):
    report = submitted(client, auth, chain.roads, chain.t9)
    assert review(client, auth, auth("office"), report["id"]).status_code == 403


def test_only_the_unit_that_delegated_reviews_and_a_unit_reviews_nothing_else(client, auth, chain):
    two_down = submitted(client, auth, chain.section, chain.t9)
    assert review(client, auth, auth("unit", unit_id=chain.lead), two_down["id"]).status_code == 403  # roads delegated
    assert review(client, auth, auth("unit", unit_id=chain.co), two_down["id"]).status_code == 403
    assert review(client, auth, auth("unit", unit_id=chain.roads), two_down["id"]).status_code == 200
    co_report = submitted(client, auth, chain.co, chain.t9)
    assert review(client, auth, auth("unit", unit_id=chain.lead), co_report["id"]).status_code == 403
    assert review(client, auth, auth("office"), co_report["id"]).status_code == 200


# -- only the responsible units' reports go up ------------------------------------------------------------------


def test_compliance_and_rollups_count_the_responsible_units_reports_not_the_delegates(client, auth, chain):
    report = submitted(client, auth, chain.roads, chain.t9)
    assert review(client, auth, auth("unit", unit_id=chain.lead), report["id"]).status_code == 200
    office = auth("office")
    query = {"period": "2024-Q1", "limit": 500}
    compliance = client.get(f"/v1/plans/{chain.plan_id}/compliance", params=query, headers=office)
    assert compliance.status_code == 200, compliance.text
    rows = [row for row in compliance.json()["data"] if row["item_id"] == chain.t9]
    assert {row["unit_id"] for row in rows} == {chain.lead, chain.co}
    assert {row["state"] for row in rows} == {"missing"}
    for by in ("unit", "kind"):
        query = {"period": "2024-Q1", "by": by, "limit": 500}
        view = client.get(f"/v1/plans/{chain.plan_id}/rollups", params=query, headers=office).json()
        assert sum(row["submitted"] for row in view["data"]) == 0, by
        assert sum(row["accepted"] for row in view["data"]) == 0, by
