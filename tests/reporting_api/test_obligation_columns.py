"""The reports owed as blocks of columns (GET /v1/plans/{id}/obligations/columns): the rows of the obligations list,
all of them, a list per field, as notify_api's dispatch reads every plan's."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.column_blocks import BLOCK_ROWS, joined_blocks
from tests.reporting_api.test_cadence import TRANSPORT, file_summary

WINDOW = {"from": "2024-01-11", "to": "2025-01-31"}


@pytest.fixture
def lead(quzhou, auth):
    unit_id = quzhou.unit_id(TRANSPORT)
    return {"unit_id": unit_id, "headers": auth("unit", unit_id=unit_id)}


def rows_of(blocks: list[dict[str, list[Any]]]) -> list[dict[str, Any]]:
    return [dict(zip(block, values, strict=True)) for block in blocks for values in zip(*block.values(), strict=True)]


def columns(client, plan_id, headers, **params):
    return client.get(f"/v1/plans/{plan_id}/obligations/columns", params={**WINDOW, **params}, headers=headers)


def listed(client, plan_id, headers, **params):
    url, params = f"/v1/plans/{plan_id}/obligations", {**WINDOW, **params, "limit": 5000}
    return client.get(url, params=params, headers=headers).json()["data"]


@pytest.mark.parametrize("pending", ["false", "true"])
def test_the_columns_are_the_obligation_lists_rows_in_its_order(reporting_client, auth, quzhou, pending):
    answer = columns(reporting_client, quzhou.plan_id, auth("service"), pending=pending)
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert (document["plan_id"], document["from"], document["to"]) == (quzhou.plan_id, *WINDOW.values())
    rows = listed(reporting_client, quzhou.plan_id, auth("service"), pending=pending)
    assert rows and rows_of(document["obligations"]) == rows


def test_a_unit_gets_only_the_columns_of_its_own_obligations(reporting_client, quzhou, lead):
    document = columns(reporting_client, quzhou.plan_id, lead["headers"]).json()
    assert {unit for block in document["obligations"] for unit in block["unit_id"]} == {lead["unit_id"]}


def test_the_same_columns_asked_with_their_etag_are_304_until_a_report_is_submitted(
    reporting_client, auth, quzhou, lead
):
    first = columns(reporting_client, quzhou.plan_id, auth("service"), pending="true")
    tag = first.headers["etag"]
    again = columns(reporting_client, quzhou.plan_id, auth("service", **{"If-None-Match": tag}), pending="true")
    assert (again.status_code, again.content) == (304, b"")
    file_summary(reporting_client, quzhou.item("T9"), lead, "2024-Q1", "2024-03-31")
    changed = columns(reporting_client, quzhou.plan_id, auth("service", **{"If-None-Match": tag}), pending="true")
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_the_columns_need_a_token_and_a_plan_that_exists(reporting_client, auth, quzhou):
    assert columns(reporting_client, quzhou.plan_id, {}).status_code == 401
    missing = columns(reporting_client, 999_999, auth("service"))
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_parts_of_columns_become_blocks_of_columns_in_their_order():
    rows = [{"id": n, "name": f"row {n}"} for n in range(2 * BLOCK_ROWS + 1)]
    parts = [
        {name: [row[name] for row in rows[at : at + 700]] for name in ("id", "name")} for at in range(0, len(rows), 700)
    ]
    blocks = joined_blocks(parts, ("id", "name"))
    assert [len(block["id"]) for block in blocks] == [BLOCK_ROWS, BLOCK_ROWS, 1]
    assert rows_of(blocks) == rows


def set_status(client, auth, item_id, status):
    office = auth("office")
    etag = client.get(f"/v1/items/{item_id}", headers=office).headers["ETag"]
    changed = client.patch(f"/v1/items/{item_id}", json={"status": status}, headers={**office, "If-Match": etag})
    assert changed.status_code == 200, changed.text


def test_a_cancelled_item_is_owed_by_nobody(reporting_client, quzhou_client, auth, quzhou):
    """The plan dropped it: no unit is reminded of its reports, which notify_api reads from these columns."""
    t9 = quzhou.item("T9")["id"]
    owed = {
        row["item_id"]
        for row in rows_of(columns(reporting_client, quzhou.plan_id, auth("service")).json()["obligations"])
    }
    set_status(quzhou_client, auth, t9, "cancelled")
    try:
        answer = columns(reporting_client, quzhou.plan_id, auth("service")).json()
        assert t9 in owed and {row["item_id"] for row in rows_of(answer["obligations"])} == owed - {t9}
    finally:
        set_status(quzhou_client, auth, t9, "open")
