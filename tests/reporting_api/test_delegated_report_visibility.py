"""What the unit that delegated an item (转办) reads of its sub-units' reports on it: their reports as delegates, and
nothing they file in their own right. The list on the item (`GET /v1/reports?item_id=…`) shows exactly the reports a
single read (`GET /v1/reports/{id}`) answers, for every unit. Proved against a real tasks_api of the Quzhou plan, in
which each test makes its own sub-units of the co-operating unit of task 9."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import httpx
import pytest
from fastapi.testclient import TestClient

from services.reporting_api.app import create_app
from services.reporting_api.models import metadata
from services.tasks_api.app import create_app as create_tasks_app
from tests.conftest import Quzhou, quzhou_plan_database, reporting_settings, serve_in_thread, tasks_settings
from tests.databases import empty_tables
from tests.reporting_api.test_reports import FULL_CONTENT

LEAD, CO = "市交通运输局", "市文旅局"  # task 9 (roads): the lead unit and a co-operating unit
SECRET = "旅游中心自身报告-机密"  # the text of a report a sub-unit files in its own right
_names = count(1)


@dataclass
class Tasks:
    """tasks_api, driven as the office and the units of task 9 would."""

    http: httpx.Client
    auth: object
    t9: int
    lead: int
    co: int

    def _as(self, unit_id: int | None = None) -> dict:
        return self.auth("office") if unit_id is None else self.auth("unit", unit_id=unit_id)  # type: ignore[operator]

    def sub_unit(self) -> int:
        """A new sub-unit of the co-operating unit."""
        body = {"name": f"市旅游中心-{next(_names)}", "kind": "department", "parent_id": self.co}
        made = self.http.post("/v1/units", json=body, headers=self._as())
        assert made.status_code == 201, made.text
        return made.json()["id"]

    def delegate(self, to: int) -> int:
        """The co-operating unit delegates task 9 to `to`, which acknowledges it (签收)."""
        body = {"to_unit_id": to, "scope": "分段实施"}
        made = self.http.post(f"/v1/items/{self.t9}/delegations", json=body, headers=self._as(self.co))
        assert made.status_code == 201, made.text
        done = self.http.post(f"/v1/delegations/{made.json()['id']}/acknowledgement", headers=self._as(to))
        assert done.status_code == 200, done.text
        return made.json()["id"]

    def withdraw(self, delegation_id: int) -> None:
        done = self.http.post(f"/v1/delegations/{delegation_id}/withdrawal", headers=self._as(self.co))
        assert done.status_code == 200, done.text

    def make_co_operating(self, unit_id: int) -> None:
        """The office makes the unit a co-operating unit of task 9 in its own right (交办)."""
        body = {"unit_id": unit_id, "role": "co"}
        made = self.http.post(f"/v1/items/{self.t9}/responsibilities", json=body, headers=self._as())
        assert made.status_code == 201, made.text


@pytest.fixture(scope="module")
def served_tasks(databases, auth) -> Iterator[tuple[str, Tasks]]:
    url = quzhou_plan_database(databases, "quzhou_delegated_visibility")
    with serve_in_thread(create_tasks_app(tasks_settings(url))) as tasks_url, httpx.Client(base_url=tasks_url) as http:
        quzhou = Quzhou(http, auth("viewer"))  # type: ignore[arg-type]
        yield tasks_url, Tasks(http, auth, quzhou.item("T9")["id"], quzhou.unit_id(LEAD), quzhou.unit_id(CO))


@pytest.fixture
def tasks(served_tasks) -> Tasks:
    return served_tasks[1]


@pytest.fixture
def client(reporting_database, served_tasks):
    empty_tables(reporting_database, metadata)
    with TestClient(
        create_app(reporting_settings(reporting_database, served_tasks[0])), raise_server_exceptions=False
    ) as c:
        yield c


def filed(client, auth, unit_id: int, item_id: int, role: str, **content) -> int:
    body = {"item_id": item_id, "period": "2024-Q1", **FULL_CONTENT, **content}
    response = client.post("/v1/reports", json=body, headers=auth("unit", unit_id=unit_id))
    assert response.status_code == 201, response.text
    assert response.json()["role"] == role, response.json()
    return response.json()["id"]


def listed(client, auth, unit_id: int, item_id: int) -> httpx.Response:
    response = client.get("/v1/reports", params={"item_id": item_id}, headers=auth("unit", unit_id=unit_id))
    assert response.status_code == 200, response.text
    return response


def listed_ids(client, auth, unit_id: int, item_id: int) -> set[int]:
    return {row["id"] for row in listed(client, auth, unit_id, item_id).json()["data"]}


def readable(client, auth, unit_id: int, report_id: int) -> bool:
    response = client.get(f"/v1/reports/{report_id}", headers=auth("unit", unit_id=unit_id))
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def test_a_report_a_delegate_files_in_its_own_right_is_not_listed_to_the_unit_that_delegated_the_item(
    client, auth, tasks
):
    sub = tasks.sub_unit()
    tasks.delegate(sub)
    tasks.make_co_operating(sub)
    own = filed(client, auth, sub, tasks.t9, "co", progress=SECRET)
    answer = listed(client, auth, tasks.co, tasks.t9)
    assert own not in {row["id"] for row in answer.json()["data"]}
    assert SECRET not in answer.text


def test_a_withdrawn_delegates_report_in_its_own_right_is_not_listed_to_the_unit_that_delegated_the_item(
    client, auth, tasks
):
    sub = tasks.sub_unit()
    tasks.withdraw(tasks.delegate(sub))
    tasks.make_co_operating(sub)
    own = filed(client, auth, sub, tasks.t9, "co", progress=SECRET)
    assert own not in listed_ids(client, auth, tasks.co, tasks.t9)


def test_a_delegates_report_stays_readable_and_listed_to_the_delegating_unit_after_the_withdrawal(client, auth, tasks):
    sub = tasks.sub_unit()
    delegation = tasks.delegate(sub)
    report = filed(client, auth, sub, tasks.t9, "delegate")
    tasks.withdraw(delegation)
    assert readable(client, auth, tasks.co, report)
    assert report in listed_ids(client, auth, tasks.co, tasks.t9)


def test_on_an_item_every_unit_lists_exactly_the_reports_it_may_read(client, auth, tasks):
    delegate, responsible = tasks.sub_unit(), tasks.sub_unit()
    tasks.delegate(delegate)
    tasks.delegate(responsible)
    tasks.make_co_operating(responsible)
    reports = {
        filed(client, auth, tasks.lead, tasks.t9, "lead"),
        filed(client, auth, tasks.co, tasks.t9, "co"),
        filed(client, auth, delegate, tasks.t9, "delegate"),
        filed(client, auth, responsible, tasks.t9, "co"),
    }
    for unit in (tasks.lead, tasks.co, delegate, responsible):
        may_read = {report for report in reports if readable(client, auth, unit, report)}
        assert listed_ids(client, auth, unit, tasks.t9) == may_read, unit
