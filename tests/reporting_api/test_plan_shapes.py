"""The plan shapes the oversight views keep (oversight/shape.py): one per structure ETag, bounded by the records they
order, never holding anything a report decides, and the items owing a period kept only under the rhythm they were
derived under."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import date

from fastapi.testclient import TestClient

from services.common.contracts.plan_rows import PlanAssignment, PlanItem
from services.common.contracts.tasks import Plan, PlanStructure
from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.models import metadata as reporting_metadata
from services.reporting_api.oversight.repository import by_pair
from services.reporting_api.oversight.shape import TRIM_AFTER_RECORDS, PlanShapes, derive
from services.reporting_api.periods.calendar import Cadence, schedule
from services.reporting_api.periods.obligations import CadenceBook, Rhythm, pair_key
from services.tasks_api.app import create_app as create_tasks_app
from tests.conftest import reporting_settings, serve_in_thread, tasks_settings
from tests.databases import empty_tables
from tests.reporting_api.test_reports import file_report, submit
from tests.tasks_api.factories import import_small_plan

PLAN = Plan(id=1, key="p", title="p", starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31), status="active")


def item(item_id: int, kind: str = "task") -> PlanItem:
    fields = {"plan_id": 1, "parent_id": None, "kind": kind, "title": "t", "due_on": None, "status": "open"}
    return PlanItem(id=item_id, key=f"T{item_id}", number=str(item_id), **fields)


def structure(items: int, duties_per_item: int = 1) -> PlanStructure:
    """A plan of `items` items (listed last first), each with `duties_per_item` responsibilities."""
    duties = [
        PlanAssignment(
            id=n * 10 + d, item_id=n, unit_id=100 + d, unit_name=f"unit {d}", role="lead" if d == 0 else "co"
        )
        for n in range(1, items + 1)
        for d in range(duties_per_item)
    ]
    return PlanStructure(plan=PLAN, items=[item(n) for n in range(items, 0, -1)], assignments=duties, indicators=[])


def rhythm(cadence: Cadence = Cadence.QUARTERLY) -> Rhythm:
    return Rhythm({s.period.id: s for s in schedule(PLAN.starts_on, PLAN.ends_on, 10, {})}, CadenceBook(cadence))


def test_a_shape_orders_the_plan_once_and_names_each_items_lead():
    shape = derive(structure(3, duties_per_item=2))
    assert [i.id for i in shape.items] == [1, 2, 3]
    assert [a.id for a in shape.duties] == [10, 11, 20, 21, 30, 31]
    assert [(item_id, lead.id, pair) for item_id, pair, _, _, lead in shape.lighted] == [
        (1, 10, pair_key(1, 100)),
        (2, 20, pair_key(2, 100)),
        (3, 30, pair_key(3, 100)),
    ]


def test_the_items_given_a_light_leave_out_those_cancelled_or_without_a_lead():
    plan = structure(3)
    cancelled = replace(plan.items[0], status="cancelled")  # item 3 (listed last first)
    no_lead = [a for a in plan.assignments if a.item_id != 2]
    shape = derive(PlanStructure(plan=PLAN, items=[cancelled, *plan.items[1:]], assignments=no_lead, indicators=[]))
    assert [item_id for item_id, *_ in shape.lighted] == [1]


def test_a_shape_is_kept_per_structure_etag_and_a_new_etag_derives_anew():
    shapes, plan = PlanShapes(rows=100), structure(2)
    first = shapes.of(1, '"a"', plan)
    assert shapes.of(1, '"a"', plan) is first
    changed = shapes.of(1, '"b"', structure(3))
    assert changed is not first and [i.id for i in changed.items] == [1, 2, 3]
    assert shapes.of(2, '"a"', plan) is not first  # another plan's key, whatever its tag


def test_a_structure_without_an_etag_is_never_kept():
    shapes, plan = PlanShapes(rows=100), structure(2)
    assert shapes.of(1, None, plan) is not shapes.of(1, None, plan)
    assert len(shapes.kept) == 0


def test_shapes_are_bounded_by_the_records_they_order_least_recently_used_first():
    shapes = PlanShapes(rows=10)  # each plan below orders 4 records: 2 items, 2 responsibilities
    plans = {n: structure(2) for n in (1, 2, 3)}  # held, as the peer cache holds them
    one, two = shapes.of(1, '"1"', plans[1]), shapes.of(2, '"2"', plans[2])
    assert shapes.of(1, '"1"', plans[1]) is one  # plan 1 used last: plan 2 goes first
    shapes.of(3, '"3"', plans[3])
    assert (1, '"1"') in shapes.kept and (2, '"2"') not in shapes.kept and (3, '"3"') in shapes.kept
    assert two is not shapes.of(2, '"2"', plans[2])
    large = structure(6)  # 12 records: more than the whole bound, never kept
    shapes.of(4, '"4"', large)
    assert (4, '"4"') not in shapes.kept


def test_a_shape_is_dropped_once_its_structure_is_gone():
    shapes, plan = PlanShapes(rows=100), structure(2)
    shapes.of(1, '"a"', plan)
    assert (1, '"a"') in shapes.kept
    del plan  # the peer cache dropped it, and no request holds it
    gc.collect()
    assert (1, '"a"') not in shapes.kept


def test_the_items_owing_a_period_are_kept_only_under_the_rhythm_they_were_derived_under():
    shape, quarterly = derive(structure(2)), rhythm()
    q1 = quarterly.owed_for("2024-Q1")
    owing = shape.owing(quarterly, q1)
    assert (owing.items, owing.not_owed) == ({1, 2}, set())
    assert shape.owing(rhythm(), q1) is owing  # an equal rhythm read again
    yearly = rhythm(Cadence.YEARLY)  # the plan's cadence changed: a quarter is owed by nobody
    assert (shape.owing(yearly, yearly.owed_for("2024-Q1")).items, shape.owing(yearly, q1).not_owed) == (
        frozenset(),
        {1, 2},
    )


def test_of_a_pairs_two_reports_the_latest_filed_answers():
    rows = [  # in id order, as the statement reads them
        {"id": 3, "item_id": 1, "unit_id": 5, "status": "submitted"},
        {"id": 4, "item_id": 2, "unit_id": 5, "status": "draft"},
        {"id": 9, "item_id": 1, "unit_id": 5, "status": "draft"},
    ]
    assert {pair: row["id"] for pair, row in by_pair(rows).items()} == {(1, 5): 9, (2, 5): 4}


def rollup_of(client: TestClient, auth, plan_id: int) -> dict[str, dict]:
    response = client.get(
        f"/v1/plans/{plan_id}/rollups", params={"period": "2020-Q1", "by": "unit"}, headers=auth("office")
    )
    assert response.status_code == 200, response.text
    return {row["group"]["name"]: row for row in response.json()["data"]}


def test_a_rollup_follows_the_plans_structure_and_its_reports_through_the_kept_shape(
    tasks_client, tasks_database, reporting_database, auth
):
    plan = import_small_plan(tasks_client, auth)
    water, reform = plan.units["市水利局"], plan.units["市发改委"]
    empty_tables(reporting_database, reporting_metadata)
    with serve_in_thread(create_tasks_app(tasks_settings(tasks_database))) as tasks_url:
        app = create_reporting_app(reporting_settings(reporting_database, tasks_url))  # the peer cache: 0 s fresh
        with TestClient(app, raise_server_exceptions=False) as reporting:
            shapes: PlanShapes = app.state.plan_shapes
            before = rollup_of(reporting, auth, plan.plan_id)
            assert before["市发改委"]["expected"] == 2 and before["市水利局"]["expected"] == 1
            filed = file_report(reporting, auth("unit", unit_id=reform), plan.items["T3"], period="2020-Q1")
            submit(reporting, auth("unit", unit_id=reform), filed["id"])
            hits = shapes.kept.stats.hits
            after_report = rollup_of(reporting, auth, plan.plan_id)  # the same structure: the kept shape
            assert shapes.kept.stats.hits == hits + 1 and len(shapes.kept) == 1
            assert (after_report["市发改委"]["submitted"], after_report["市发改委"]["missing"]) == (1, 1)
            assigned = tasks_client.post(
                f"/v1/items/{plan.items['T3']}/responsibilities",
                json={"unit_id": water, "role": "co"},
                headers=auth("office"),
            )
            assert assigned.status_code == 201, assigned.text
            misses = shapes.kept.stats.misses
            after_duty = rollup_of(reporting, auth, plan.plan_id)  # a new structure ETag: a new shape
            gc.collect()
            assert shapes.kept.stats.misses == misses + 1
            assert len(shapes.kept) == 1  # the old one went with the structure the peer cache replaced
            assert (after_duty["市水利局"]["expected"], after_duty["市发改委"]["submitted"]) == (2, 1)


def test_a_large_plans_shape_asks_for_the_memory_its_read_freed_to_be_handed_back():
    asked = []

    class Trim:
        def soon(self):
            asked.append(True)

    shapes = PlanShapes(rows=100, trim=Trim())
    shapes.of(1, '"small"', structure(2))
    assert asked == []
    shapes.of(2, '"large"', structure(TRIM_AFTER_RECORDS // 2))  # as many records again in responsibilities
    assert asked == [True]
