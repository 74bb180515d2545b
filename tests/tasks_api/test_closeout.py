"""Close-out (办结销号): the lead unit asks with a summary of results, the office approves or refuses with a reason,
and may reopen; a parent closes with its last open child. Every step is guarded, in the history and an event."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from functools import partial

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services.common.auth import Principal, Role
from services.common.clock import frozen
from services.common.db import Database, make_engine
from services.common.migrations import upgrade
from services.common.problems import Conflict, PreconditionFailed
from services.tasks_api.closeout import service
from services.tasks_api.closeout.schemas import CloseoutDecision
from tests.problems import assert_problem
from tests.tasks_api.factories import history
from tests.tasks_api.test_breakdown_workbook import bytes_of, download, row_of, set_cell, upload, workbook_of
from tests.tasks_api.test_outbox import assert_as_declared, events

# A section with two tasks (and a third under another section), so a parent can close with its children.
TREE_PLAN = {
    "plan": {"key": "closeout-plan", "title": "销号测试计划", "starts_on": "2020-01-01", "ends_on": "2022-12-31"},
    "units": [
        {"name": "市交通运输局", "kind": "department"},
        {"name": "市发改委", "kind": "department"},
        {"name": "市水利局", "kind": "department"},
    ],
    "items": [
        {
            "key": "S1",
            "kind": "section",
            "number": "一",
            "title": "交通板块",
            "children": [
                {
                    "key": "T1",
                    "kind": "task",
                    "number": "1",
                    "title": "建设快速路",
                    "due_on": "2020-12-31",
                    "units": ["市交通运输局", "市发改委"],
                    "milestones": [{"title": "完成方案", "due_on": "2020-06-30"}],
                },
                {
                    "key": "T2",
                    "kind": "task",
                    "number": "2",
                    "title": "建设枢纽",
                    "due_on": "2021-06-30",
                    "units": ["市交通运输局"],
                },
            ],
        },
        {
            "key": "T3",
            "kind": "task",
            "number": "3",
            "title": "治理河道",
            "due_on": "2020-12-31",
            "units": ["市水利局"],
        },
    ],
}
LATE_EVENING_UTC = datetime(2020, 11, 30, 17, 30, tzinfo=UTC)  # 1 December 2020, 01:30 in Beijing


@pytest.fixture
def plan(tasks_client, auth):
    imported = tasks_client.post("/v1/plans/import", json=TREE_PLAN, headers=auth("office"))
    assert imported.status_code == 200, imported.text
    rows = tasks_client.get(f"/v1/plans/{imported.json()['plan_id']}/items", headers=auth("office")).json()["data"]
    units = {
        u["name"]: u["id"]
        for u in tasks_client.get("/v1/units", params={"limit": 500}, headers=auth("office")).json()["data"]
    }
    return {"items": {r["key"]: r["id"] for r in rows}, "units": units, "plan_id": imported.json()["plan_id"]}


def lead_of(plan, auth, key):
    lead = {"T1": "市交通运输局", "T2": "市交通运输局", "T3": "市水利局"}[key]
    return auth("unit", unit_id=plan["units"][lead])


def item(client, auth, item_id):
    response = client.get(f"/v1/items/{item_id}", headers=auth("viewer"))
    assert response.status_code == 200, response.text
    return response.json()


def ask(client, headers, item_id, etag=None, summary="快速路全线建成通车"):
    etag = etag or client.get(f"/v1/items/{item_id}", headers=headers).headers["ETag"]
    return client.post(
        f"/v1/items/{item_id}/closeout", json={"summary": summary}, headers={**headers, "If-Match": etag}
    )


def decide(client, auth, request, approve, reason=None, etag=None):
    body = {"approve": approve, **({"reason": reason} if reason else {})}
    return client.post(
        f"/v1/closeouts/{request['id']}/decision",
        json=body,
        headers=auth("office", **{"If-Match": etag or f'"{request["version"]}"'}),
    )


def reopen(client, auth, item_id, reason="复核发现尚有收尾工程", etag=None):
    etag = etag or client.get(f"/v1/items/{item_id}", headers=auth("office")).headers["ETag"]
    return client.post(
        f"/v1/items/{item_id}/reopen", json={"reason": reason}, headers=auth("office", **{"If-Match": etag})
    )


def close(client, auth, plan, key):
    request = ask(client, lead_of(plan, auth, key), plan["items"][key]).json()
    approved = decide(client, auth, request, True)
    assert approved.status_code == 200, approved.text
    return approved.json()


def event_types(url, item_id):
    return [e["type"] for e in events(url) if e["data"].get("item_id") == item_id and e["type"] != "item.assigned"]


# -- request → approve ------------------------------------------------------------------------------


def test_the_lead_unit_requests_close_out_and_the_item_shows_it_pending(tasks_client, auth, plan):
    asked = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"])
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert asked.headers["Location"] == f"/v1/closeouts/{request['id']}"
    assert asked.headers["ETag"] == '"1"'
    assert (request["status"], request["unit_id"], request["summary"]) == (
        "pending",
        plan["units"]["市水利局"],
        "快速路全线建成通车",
    )
    shown = item(tasks_client, auth, plan["items"]["T3"])
    assert (shown["status"], shown["closeout_request_id"], shown["closed_on"]) == ("open", request["id"], None)


def test_approval_closes_the_item_on_the_beijing_business_day(tasks_client, auth, plan):
    request = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]).json()
    with frozen(LATE_EVENING_UTC):
        approved = decide(tasks_client, auth, request, True, reason="同意销号")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["closed_on"], approved.json()["decided_by"]) == (
        "approved",
        "2020-12-01",
        "test-office-0",
    )
    closed = item(tasks_client, auth, plan["items"]["T3"])
    assert (closed["status"], closed["closed_on"], closed["closeout_request_id"]) == ("closed", "2020-12-01", None)


def test_every_step_of_request_and_approval_is_in_the_history_and_the_outbox(tasks_client, tasks_database, auth, plan):
    item_id = plan["items"]["T3"]
    request = close(tasks_client, auth, plan, "T3")
    assert [c["action"] for c in history(tasks_client, auth, "closeout", request["id"])] == ["create", "update"]
    assert history(tasks_client, auth, "closeout", request["id"])[-1]["changes"]["status"] == ["pending", "approved"]
    assert history(tasks_client, auth, "item", item_id)[-1]["changes"]["status"] == ["open", "closed"]
    assert event_types(tasks_database, item_id) == ["item.closeout_requested", "item.closed"]
    closed = events(tasks_database, type_="item.closed")[-1]["data"]
    assert closed | {"closed_on": None} == {
        "plan_id": plan["plan_id"],
        "item_id": item_id,
        "item_key": "T3",
        "item_number": "3",
        "item_title": "治理河道",
        "item_due_on": "2020-12-31",
        "item_status": "closed",
        "closeout_id": request["id"],
        "unit_id": plan["units"]["市水利局"],
        "unit_name": "市水利局",
        "closed_on": None,
        "reason": None,
        "actor": "test-office-0",
    }


def test_every_close_out_event_is_what_its_catalogue_model_declares(tasks_client, tasks_database, auth, plan):
    refused = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]).json()
    decide(tasks_client, auth, refused, False, reason="验收材料不全")
    close(tasks_client, auth, plan, "T3")
    reopen(tasks_client, auth, plan["items"]["T3"])
    found = events(tasks_database)
    assert {e["type"] for e in found} >= {"item.closeout_requested", "item.closeout_refused", "item.closed"}
    assert_as_declared(found)


def test_a_closed_item_is_no_longer_a_deadline(tasks_client, auth, plan):
    window = {"from": "2020-01-01", "to": "2020-12-31", "plan_id": plan["plan_id"], "limit": 500}

    def due_keys():
        rows = tasks_client.get("/v1/deadlines", params=window, headers=auth("viewer")).json()["data"]
        return {(r["kind"], r["item_key"]) for r in rows}

    assert ("item", "T3") in due_keys()
    close(tasks_client, auth, plan, "T1")
    close(tasks_client, auth, plan, "T3")
    assert due_keys() == set(), "neither the items nor T1's milestone are owed once closed"


# -- refusal --------------------------------------------------------------------------------------


def test_a_refusal_needs_a_reason(tasks_client, auth, plan):
    request = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]).json()
    assert_problem(decide(tasks_client, auth, request, False), 422)


def test_a_refused_request_ends_with_its_reason_and_the_unit_may_ask_again(tasks_client, tasks_database, auth, plan):
    item_id = plan["items"]["T3"]
    request = ask(tasks_client, lead_of(plan, auth, "T3"), item_id).json()
    refused = decide(tasks_client, auth, request, False, reason="缺少验收材料")
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["decision_reason"]) == ("refused", "缺少验收材料")
    shown = item(tasks_client, auth, item_id)
    assert (shown["status"], shown["closeout_request_id"]) == ("open", None)
    assert events(tasks_database, type_="item.closeout_refused")[-1]["data"]["reason"] == "缺少验收材料"
    assert history(tasks_client, auth, "closeout", request["id"])[-1]["changes"]["decision_reason"] == [
        None,
        "缺少验收材料",
    ]
    assert ask(tasks_client, lead_of(plan, auth, "T3"), item_id).status_code == 201


def test_a_decided_request_cannot_be_decided_again(tasks_client, auth, plan):
    request = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]).json()
    decided = decide(tasks_client, auth, request, False, reason="缺少验收材料").json()
    assert_problem(decide(tasks_client, auth, decided, True), 409)


# -- who may and the guards -----------------------------------------------------------------------


def test_a_co_operating_unit_may_not_request_close_out(tasks_client, auth, plan):
    co = auth("unit", unit_id=plan["units"]["市发改委"])
    assert_problem(ask(tasks_client, co, plan["items"]["T1"]), 403)


def test_another_unit_may_not_request_close_out(tasks_client, auth, plan):
    other = auth("unit", unit_id=plan["units"]["市水利局"])
    assert_problem(ask(tasks_client, other, plan["items"]["T1"]), 403)


def test_another_units_close_out_request_is_404_to_a_unit_as_if_it_did_not_exist(tasks_client, auth, plan):
    request = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]).json()
    other = auth("unit", unit_id=plan["units"]["市发改委"])  # no duty on T3
    assert_problem(tasks_client.get(f"/v1/closeouts/{request['id']}", headers=other), 404)


def test_only_the_office_decides(tasks_client, auth, plan):
    request = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]).json()
    response = tasks_client.post(
        f"/v1/closeouts/{request['id']}/decision",
        json={"approve": True},
        headers={**lead_of(plan, auth, "T3"), "If-Match": '"1"'},
    )
    assert_problem(response, 403)


def test_a_request_on_a_stale_item_etag_is_412_and_writes_nothing(tasks_client, tasks_database, auth, plan):
    item_id = plan["items"]["T3"]
    before = events(tasks_database)
    assert_problem(ask(tasks_client, lead_of(plan, auth, "T3"), item_id, etag='"99"'), 412)
    assert events(tasks_database) == before
    assert item(tasks_client, auth, item_id)["closeout_request_id"] is None


def test_a_decision_on_a_stale_request_etag_is_412(tasks_client, auth, plan):
    request = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]).json()
    assert_problem(decide(tasks_client, auth, request, True, etag='"2"'), 412)
    assert item(tasks_client, auth, plan["items"]["T3"])["status"] == "open"


def test_each_step_needs_if_match(tasks_client, auth, plan):
    item_id = plan["items"]["T3"]
    response = tasks_client.post(
        f"/v1/items/{item_id}/closeout", json={"summary": "完成"}, headers=lead_of(plan, auth, "T3")
    )
    assert_problem(response, 428)


def test_a_second_request_while_one_is_pending_is_409(tasks_client, auth, plan):
    ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"])
    assert_problem(ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]), 409)


def test_the_office_may_not_request_close_out_on_a_units_behalf(tasks_client, auth, plan):
    assert_problem(ask(tasks_client, auth("office"), plan["items"]["T3"]), 403)


def test_a_parent_is_not_closed_out_by_request_but_with_its_children(tasks_client, auth, plan):
    transport = plan["units"]["市交通运输局"]
    assigned = tasks_client.post(
        f"/v1/items/{plan['items']['S1']}/responsibilities",
        json={"unit_id": transport, "role": "lead"},
        headers=auth("office"),
    )
    assert assigned.status_code == 201, assigned.text
    assert_problem(ask(tasks_client, auth("unit", unit_id=transport), plan["items"]["S1"]), 409)


def test_the_office_may_not_close_an_item_by_patch(tasks_client, auth, plan):
    item_id = plan["items"]["T3"]
    response = tasks_client.patch(
        f"/v1/items/{item_id}", json={"status": "closed"}, headers=auth("office", **{"If-Match": '"1"'})
    )
    assert_problem(response, 422)


def test_a_closed_item_cannot_be_cancelled_by_patch(tasks_client, auth, plan):
    item_id = plan["items"]["T3"]
    close(tasks_client, auth, plan, "T3")
    etag = tasks_client.get(f"/v1/items/{item_id}", headers=auth("office")).headers["ETag"]
    response = tasks_client.patch(
        f"/v1/items/{item_id}", json={"status": "cancelled"}, headers=auth("office", **{"If-Match": etag})
    )
    assert_problem(response, 409)


# -- reopening ------------------------------------------------------------------------------------


def test_the_office_reopens_a_closed_item_with_a_reason(tasks_client, tasks_database, auth, plan):
    item_id = plan["items"]["T3"]
    close(tasks_client, auth, plan, "T3")
    reopened = reopen(tasks_client, auth, item_id)
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["closed_on"], reopened.json()["reopen_reason"]) == (
        "open",
        None,
        "复核发现尚有收尾工程",
    )
    assert history(tasks_client, auth, "item", item_id)[-1]["changes"]["status"] == ["closed", "open"]
    assert event_types(tasks_database, item_id)[-1] == "item.reopened"
    assert events(tasks_database, type_="item.reopened")[-1]["data"]["reason"] == "复核发现尚有收尾工程"


def test_reopening_an_open_item_is_409_and_a_stale_etag_412(tasks_client, auth, plan):
    item_id = plan["items"]["T3"]
    assert_problem(reopen(tasks_client, auth, item_id), 409)
    close(tasks_client, auth, plan, "T3")
    assert_problem(reopen(tasks_client, auth, item_id, etag='"1"'), 412)


def test_a_reopened_item_may_be_closed_out_again(tasks_client, auth, plan):
    close(tasks_client, auth, plan, "T3")
    reopen(tasks_client, auth, plan["items"]["T3"])
    assert close(tasks_client, auth, plan, "T3")["status"] == "approved"


# -- the tree ---------------------------------------------------------------------------------------


def test_a_parent_closes_in_the_same_step_as_its_last_open_child(tasks_client, tasks_database, auth, plan):
    close(tasks_client, auth, plan, "T1")
    assert item(tasks_client, auth, plan["items"]["S1"])["status"] == "open"
    with frozen(LATE_EVENING_UTC):
        close(tasks_client, auth, plan, "T2")
    parent = item(tasks_client, auth, plan["items"]["S1"])
    assert (parent["status"], parent["closed_on"]) == ("closed", "2020-12-01")
    assert event_types(tasks_database, plan["items"]["S1"]) == ["item.closed"]
    assert events(tasks_database, type_="item.closed")[-1]["data"]["closeout_id"] is None


def test_reopening_a_child_reopens_its_closed_parent(tasks_client, tasks_database, auth, plan):
    close(tasks_client, auth, plan, "T1")
    close(tasks_client, auth, plan, "T2")
    reopen(tasks_client, auth, plan["items"]["T2"])
    parent = item(tasks_client, auth, plan["items"]["S1"])
    assert (parent["status"], parent["closed_on"]) == ("open", None)
    assert parent["reopen_reason"].startswith("子事项 T2 重新打开")
    assert event_types(tasks_database, plan["items"]["S1"]) == ["item.closed", "item.reopened"]
    assert item(tasks_client, auth, plan["items"]["T1"])["status"] == "closed", "the sibling stays closed"


def test_a_plan_import_never_changes_a_closed_item(tasks_client, auth, plan):
    close(tasks_client, auth, plan, "T3")
    again = tasks_client.post("/v1/plans/import", json=TREE_PLAN, headers=auth("office"))
    assert again.status_code == 200, again.text
    assert item(tasks_client, auth, plan["items"]["T3"])["status"] == "closed"


def test_a_plan_file_with_the_statuses_typed_in_before_still_loads_and_sets_nothing(tasks_client, auth, plan):
    legacy = {**TREE_PLAN, "items": [{**TREE_PLAN["items"][1], "status": "completed"}, TREE_PLAN["items"][0]]}
    again = tasks_client.post("/v1/plans/import", json=legacy, headers=auth("office"))
    assert again.status_code == 200, again.text
    assert item(tasks_client, auth, plan["items"]["T3"])["status"] == "open"


# -- real concurrency: two connections released together ------------------------------------------------


def race(url, *steps):
    """Run the service calls at the same moment on their own connections; each one's result or its exception."""

    async def run():
        db = Database(make_engine(url))
        try:
            return await asyncio.gather(*(step(db) for step in steps), return_exceptions=True)
        finally:
            await db.dispose()

    return asyncio.run(run())


OFFICE = Principal(subject="test-office-0", role=Role.OFFICE)


def test_an_approval_and_a_refusal_at_the_same_moment_one_wins_and_nothing_of_the_other_is_written(
    tasks_client, tasks_database, auth, plan
):
    for _ in range(3):
        request = ask(tasks_client, lead_of(plan, auth, "T3"), plan["items"]["T3"]).json()
        approve = CloseoutDecision(approve=True)
        refuse = CloseoutDecision(approve=False, reason="材料不全")
        outcomes = race(
            tasks_database,
            *(
                partial(
                    service.decide_closeout,
                    closeout_id=request["id"],
                    data=data,
                    version=request["version"],
                    actor=OFFICE,
                )
                for data in (approve, refuse)
            ),
        )
        won = [o for o in outcomes if isinstance(o, dict)]
        assert len(won) == 1 and all(
            isinstance(o, (PreconditionFailed, Conflict)) for o in outcomes if not isinstance(o, dict)
        ), outcomes
        shown = item(tasks_client, auth, plan["items"]["T3"])
        assert shown["status"] == ("closed" if won[0]["status"] == "approved" else "open")
        assert len(history(tasks_client, auth, "closeout", request["id"])) == 2
        if shown["status"] == "closed":
            reopen(tasks_client, auth, plan["items"]["T3"])


def test_the_last_two_children_approved_at_the_same_moment_close_their_parent_once(
    tasks_client, tasks_database, auth, plan
):
    requests = [ask(tasks_client, lead_of(plan, auth, key), plan["items"][key]).json() for key in ("T1", "T2")]
    outcomes = race(
        tasks_database,
        *(
            partial(
                service.decide_closeout,
                closeout_id=r["id"],
                data=CloseoutDecision(approve=True),
                version=r["version"],
                actor=OFFICE,
            )
            for r in requests
        ),
    )
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert item(tasks_client, auth, plan["items"]["S1"])["status"] == "closed"
    assert event_types(tasks_database, plan["items"]["S1"]) == ["item.closed"]


# -- the migration -----------------------------------------------------------------------------------


def reflect(sync_conn):
    metadata = MetaData()
    metadata.reflect(sync_conn, only=["plans", "items"])
    return metadata


def test_the_migration_turns_typed_in_statuses_into_open_and_closed(databases):
    url = databases.create("closeout_migration")
    upgrade("tasks_api", url, "de309c85faa5")  # the head before close-out
    changed_at = datetime(2024, 3, 31, 17, 0, tzinfo=UTC)  # 1 April 2024 in Beijing
    plan = {
        "version": 1,
        "created_at": changed_at,
        "updated_at": changed_at,
        "document_number": "",
        "title": "p",
        "key": "p",
        "issuers": [],
        "starts_on": date(2020, 1, 1),
        "ends_on": date(2025, 12, 31),
        "status": "active",
        "summary": "",
        "id": 1,
    }
    rows = [
        {
            "version": 1,
            "created_at": changed_at,
            "updated_at": changed_at,
            "kind": "task",
            "number": str(n),
            "title": "t",
            "text": "",
            "status": status,
            "id": n,
            "plan_id": 1,
            "key": f"T{n}",
            "position": n,
        }
        for n, status in enumerate(["not_started", "in_progress", "delayed", "completed", "cancelled"], 1)
    ]

    async def run(query=None):
        """Insert the rows into the tables as they are in the database, or run one query."""
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.begin() as conn:
            if query is not None:
                found = (await conn.execute(query)).all()
            else:
                tables = (await conn.run_sync(reflect)).tables
                await conn.execute(tables["plans"].insert().values(plan))
                await conn.execute(tables["items"].insert().values(rows))
                found = []
        await engine.dispose()
        return found

    asyncio.run(run())
    upgrade("tasks_api", url)
    found = asyncio.run(run(text("SELECT key, status, closed_on FROM items ORDER BY id")))
    assert [(key, status, str(day) if day else None) for key, status, day in found] == [
        ("T1", "open", None),
        ("T2", "open", None),
        ("T3", "open", None),
        ("T4", "closed", "2024-04-01"),
        ("T5", "cancelled", None),
    ]


def test_an_edited_status_cell_is_neither_written_nor_listed_as_a_change(tasks_client, auth, plan):
    """An upload never changes an item's status, and its diff lists only what it writes: a 状态 cell edited to reopen
    or close an item by spreadsheet is not offered as a change (nor a dry run's)."""
    close(tasks_client, auth, plan, "T3")
    book = workbook_of(download(tasks_client, auth, plan["plan_id"]).content)
    sheet = book["事项"]
    set_cell(sheet, row_of(sheet, "编号", "T3"), "状态", "进行中")
    set_cell(sheet, row_of(sheet, "编号", "T1"), "状态", "已办结")
    applied = upload(tasks_client, auth, plan["plan_id"], bytes_of(book))
    assert applied.status_code == 200, applied.text
    assert applied.json()["diff"]["items"]["changed"] == []
    statuses = [item(tasks_client, auth, plan["items"][key])["status"] for key in ("T3", "T1")]
    assert statuses == ["closed", "open"]


# -- the tree: a closed parent has no open child, and closes once none is left open -----------------------


def office_patch(client, auth, item_id, body):
    etag = client.get(f"/v1/items/{item_id}", headers=auth("office")).headers["ETag"]
    return client.patch(f"/v1/items/{item_id}", json=body, headers=auth("office", **{"If-Match": etag}))


def closed_section(client, auth, plan):
    close(client, auth, plan, "T1")
    close(client, auth, plan, "T2")
    assert item(client, auth, plan["items"]["S1"])["status"] == "closed"


def test_a_closed_parent_takes_no_new_open_child(tasks_client, auth, plan):
    closed_section(tasks_client, auth, plan)
    body = {"key": "T9", "kind": "task", "number": "9", "title": "新增任务", "parent_id": plan["items"]["S1"]}
    created = tasks_client.post(f"/v1/plans/{plan['plan_id']}/items", json=body, headers=auth("office"))
    assert_problem(created, 409)


def test_an_open_item_is_not_moved_under_a_closed_parent(tasks_client, auth, plan):
    closed_section(tasks_client, auth, plan)
    assert_problem(office_patch(tasks_client, auth, plan["items"]["T3"], {"parent_id": plan["items"]["S1"]}), 409)
    assert item(tasks_client, auth, plan["items"]["T3"])["parent_id"] != plan["items"]["S1"]


def test_a_cancelled_child_of_a_closed_parent_is_restored_only_once_the_parent_is_reopened(tasks_client, auth, plan):
    assert office_patch(tasks_client, auth, plan["items"]["T2"], {"status": "cancelled"}).status_code == 200
    close(tasks_client, auth, plan, "T1")
    assert item(tasks_client, auth, plan["items"]["S1"])["status"] == "closed"  # T2 cancelled counts as done
    assert_problem(office_patch(tasks_client, auth, plan["items"]["T2"], {"status": "open"}), 409)


@pytest.mark.parametrize("change", ["cancel", "delete", "move"])
def test_a_parent_closes_once_its_last_open_child_is_cancelled_deleted_or_moved_away(tasks_client, auth, plan, change):
    close(tasks_client, auth, plan, "T1")
    t2 = plan["items"]["T2"]
    if change == "delete":
        etag = tasks_client.get(f"/v1/items/{t2}", headers=auth("office")).headers["ETag"]
        assert tasks_client.delete(f"/v1/items/{t2}", headers=auth("office", **{"If-Match": etag})).status_code == 204
    else:
        body = {"status": "cancelled"} if change == "cancel" else {"parent_id": plan["items"]["T3"]}
        assert office_patch(tasks_client, auth, t2, body).status_code == 200
    section = item(tasks_client, auth, plan["items"]["S1"])
    assert (section["status"], section["closed_on"] is not None) == ("closed", True)
