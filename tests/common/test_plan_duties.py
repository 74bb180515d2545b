"""A plan's duties, as the obligation list reads them from tasks_api (GET /v1/plans/{id}/duties/columns): asked every
time (past the peer cache), held as columns, and an answer outside the contract is tasks_api's fault (503)."""

from __future__ import annotations

import asyncio
from array import array
from typing import Any

import httpx
import orjson
import pytest

from services.common import peer_exchange
from services.common.contracts import sliced
from services.common.contracts.plan_duties import DutyAssignment, DutyItem, PlanDuties, plan_duties
from services.common.contracts.tasks import TasksClient
from services.common.http import ServiceClient
from services.common.peer_records import PeerError
from services.common.problems import NotFound

PLAN = {"id": 1, "key": "p", "title": "方案", "starts_on": "2024-01-01", "ends_on": "2025-12-31", "status": "active"}
ITEM = {
    "id": 5,
    "plan_id": 1,
    "parent_id": None,
    "key": "T1",
    "kind": "task",
    "number": "1",
    "title": "修路",
    "due_on": None,
}
ASSIGNMENT = {"id": 9, "item_id": 5, "unit_id": 3, "unit_name": "市交通运输局", "role": "lead"}


def blocks(records: list[dict[str, Any]], size: int = 2) -> list[dict[str, list[Any]]]:
    """Records as tasks_api sends them: blocks of `size`, a list per field."""
    return [
        {name: [record.get(name) for record in records[at : at + size]] for name in records[0]}
        for at in range(0, len(records), size)
    ]


def duties_json(items: list[dict[str, Any]], assignments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"plan": PLAN, "items": blocks(items), "assignments": blocks(assignments)}


def read_twice(structure: dict[str, Any]) -> tuple[list[PlanDuties], list[httpx.Request]]:
    """The duties read twice from a peer answering `structure` (with a cache that would keep it), and the requests
    the peer saw."""
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json=structure)

    async def run() -> list[PlanDuties]:
        http = ServiceClient(
            "http://peer", lambda: "t", peer="tasks_api", cache_seconds=60, transport=httpx.MockTransport(answer)
        )
        try:
            return [await plan_duties(TasksClient(http), 1) for _ in range(2)]
        finally:
            await http.aclose()

    return asyncio.run(run()), asked


def test_the_duties_are_the_items_facts_and_responsibilities_asked_each_time_as_columns():
    (first, _), asked = read_twice({**duties_json([{**ITEM, "closed_on": None}], [ASSIGNMENT]), "indicators": []})
    assert [request.url.path for request in asked] == ["/v1/plans/1/duties/columns"] * 2
    assert list(first.items) == [DutyItem(5, "task", "T1", "1", "修路", None, None)]
    assert (first.plan.id, list(first.assignments)) == (1, [DutyAssignment(9, 5, 3, "市交通运输局", "lead")])


def test_duties_outside_the_contract_are_the_peers_fault():
    with pytest.raises(PeerError):
        read_twice(duties_json([{**ITEM, "due_on": "soon"}], []))


def test_columns_of_unequal_lengths_are_the_peers_fault():
    uneven = duties_json([ITEM], [ASSIGNMENT])
    uneven["assignments"][0]["role"].append("co")
    with pytest.raises(PeerError):
        read_twice(uneven)


def test_an_item_column_the_peer_does_not_send_takes_its_default():
    # A tasks_api from before close-outs sends no closed_on.
    (duties, _), _ = read_twice(duties_json([ITEM], [ASSIGNMENT]))
    assert [item.closed_on for item in duties.items] == [None]


def test_the_responsibilities_of_one_unit_share_one_string_for_its_name_and_role():
    # Each as parsed from the JSON would be a string of its own: a province's 100,000 responsibilities, ~12 MB.
    assignments = [{**ASSIGNMENT, "id": n} for n in (1, 2)]
    (duties, _), _ = read_twice(duties_json([ITEM], assignments))
    first, second = duties.assignments
    assert first.unit_name is second.unit_name and first.role is second.role


def test_the_ids_are_held_as_machine_integers_and_a_repeated_date_as_one_object():
    # As one record each, plan 1 of the bench's duties held 29 MB in reporting_api; as columns, 19 MB.
    items = [{**ITEM, "id": n, "due_on": "2025-06-30"} for n in (5, 6)]
    assignments = [{**ASSIGNMENT, "id": n, "item_id": 5 + n % 2} for n in (1, 2, 3)]
    (duties, _), _ = read_twice(duties_json(items, assignments))
    assert duties.assignments.ints("item_id") == array("q", [6, 5, 6])
    assert duties.items.ints("id") == array("q", [5, 6])
    first, second = duties.items
    assert first.due_on is second.due_on


def duties_answered(respond) -> PlanDuties:
    async def run() -> PlanDuties:
        http = ServiceClient("http://peer", lambda: "t", peer="tasks_api", transport=httpx.MockTransport(respond))
        try:
            return await plan_duties(TasksClient(http), 1)
        finally:
            await http.aclose()

    return asyncio.run(run())


def test_duties_that_arrive_in_many_chunks_are_read_as_they_arrive(monkeypatch):
    monkeypatch.setattr(peer_exchange, "CHUNK_BYTES", 16)  # handed to the parser 16 bytes at a time
    monkeypatch.setattr(sliced, "SLICE_BYTES", 100)  # and validated a few blocks a slice
    items = [{**ITEM, "id": n, "title": "},{" * (n % 3)} for n in range(1, 40)]
    body = orjson.dumps(duties_json(items, [{**ASSIGNMENT, "id": n} for n in range(1, 60)]))

    async def in_chunks():
        for at in range(0, len(body), 11):
            yield body[at : at + 11]

    duties = duties_answered(lambda request: httpx.Response(200, content=in_chunks()))
    assert duties == PlanDuties.model_validate_json(body)


def test_duties_of_a_plan_the_peer_does_not_know_are_not_found():
    with pytest.raises(NotFound):
        duties_answered(lambda request: httpx.Response(404, json={"title": "Not Found"}))


@pytest.mark.parametrize("status", [304, 302])
def test_duties_answered_without_a_document_are_the_peers_503(status):
    with pytest.raises(PeerError):
        duties_answered(lambda request: httpx.Response(status))
