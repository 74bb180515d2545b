"""A bulk read validates its rows all at once into typed dicts (PeerRows); what the rows hold is checked against the
providers' contracts with the record models (test_consumer_expectations.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.common.contracts import tasks
from services.common.peer_records import PeerError


def test_rows_outside_the_contract_are_the_peers_fault_not_ours():
    with pytest.raises(PeerError, match="DeadlineRow"):
        tasks.DEADLINE_ROWS.validate([{"kind": "item", "id": "not a number"}])


def test_rows_keep_only_the_fields_the_consumer_reads_with_their_types():
    rows = tasks.ITEM_LEADER_ROWS.validate([{"item_id": 1, "leader_id": 2, "name": "某某"}])
    assert rows == [{"item_id": 1, "leader_id": 2}]


def test_a_page_of_records_outside_the_contract_is_the_peers_fault_not_ours():
    with pytest.raises(PeerError, match="PlanAssignment"):
        tasks.PLAN_ASSIGNMENT_ROWS.validate(
            [{"id": 1, "item_id": 2, "unit_id": "three", "unit_name": "某局", "role": "co"}]
        )


def test_a_page_of_records_validates_into_the_same_frozen_records_as_one_by_one():
    row = {"id": 1, "plan_id": 9, "parent_id": None, "key": "t1", "kind": "task", "number": "1", "title": "某项任务",
           "due_on": "2025-12-31", "status": "active", "owner": "某局"}  # fmt: skip
    assert tasks.Item.validate_rows([row]) == [tasks.Item.model_validate(row)]


def test_a_list_page_is_read_from_its_bytes_into_typed_rows_and_its_next_cursor():
    body = '{"data": [{"item_id": 1, "leader_id": 2, "name": "某某"}], "next_cursor": "c2", "x": 1}'.encode()
    assert tasks.ITEM_LEADER_ROWS.page(body) == {"data": [{"item_id": 1, "leader_id": 2}], "next_cursor": "c2"}


def test_a_list_page_reads_its_dates_as_dates_as_the_rows_read_alone_do():
    row = {"kind": "item", "id": 1, "plan_id": 2, "item_id": 1, "item_key": "t1", "item_number": "1",
           "item_title": "某项任务", "title": "某项任务", "due_on": "2025-12-31", "units": []}  # fmt: skip
    page = tasks.DEADLINE_ROWS.page(json.dumps({"data": [row], "next_cursor": None}).encode())
    assert page["data"] == tasks.DEADLINE_ROWS.validate([row])
    assert page["data"][0]["due_on"] == date(2025, 12, 31)


@pytest.mark.parametrize(
    "body",
    [b'{"data": [{"item_id": 1, "leader_id": "two"}], "next_cursor": null}', b'{"data": [', b"", b'{"rows": []}'],
)
def test_a_list_page_outside_the_contract_or_not_json_is_the_peers_fault_not_ours(body: bytes):
    with pytest.raises(PeerError, match="ItemLeaderRow"):
        tasks.ITEM_LEADER_ROWS.page(body)
