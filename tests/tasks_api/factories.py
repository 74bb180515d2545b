"""A small plan imported through the API, with the ids the tests need to refer to its parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.common.problems import Unprocessable

SMALL_PLAN: dict[str, Any] = {
    "plan": {"key": "test-plan", "title": "测试行动计划", "starts_on": "2020-01-01", "ends_on": "2022-12-31"},
    "units": [
        {"name": "市交通运输局", "kind": "department"},
        {"name": "市发改委", "kind": "department"},
        {"name": "市水利局", "kind": "department"},
    ],
    "leaders": [{"name": "张三", "title": "副市长"}, {"name": "李四", "title": "副市长"}],
    "items": [
        {
            "key": "T1",
            "kind": "task",
            "number": "1",
            "title": "建设快速路",
            "due_on": "2020-12-31",
            "units": ["市交通运输局", "市发改委"],
            "lead_leaders": ["张三"],
            "milestones": [{"title": "完成方案", "due_on": "2020-06-30"}],
            "indicators": [
                {"key": "T1-km", "name": "建成里程", "measure": "km", "target": 10, "target_date": "2020-12-31"}
            ],
        },
        {
            "key": "T2",
            "kind": "task",
            "number": "2",
            "title": "治理河道",
            "due_on": "2021-06-30",
            "units": ["市水利局"],
            "lead_leaders": ["李四"],
            "milestones": [{"title": "完成清淤", "due_on": "2021-03-31"}],
        },
        {"key": "T3", "kind": "task", "number": "3", "title": "研究政策", "units": ["市发改委"]},
    ],
}


@dataclass
class SmallPlan:
    """Ids of the imported plan's parts, by the names the plan file gives them."""

    plan_id: int
    items: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    leaders: dict[str, int] = field(default_factory=dict)
    milestones: dict[str, int] = field(default_factory=dict)
    responsibilities: dict[tuple[str, str], int] = field(default_factory=dict)


def import_small_plan(client, auth) -> SmallPlan:
    """Import SMALL_PLAN as the office and look up the ids of everything in it."""
    office = auth("office")
    imported = client.post("/v1/plans/import", json=SMALL_PLAN, headers=office)
    assert imported.status_code == 200, imported.text
    plan = SmallPlan(plan_id=imported.json()["plan_id"])
    for item in client.get(f"/v1/plans/{plan.plan_id}/items", headers=office).json()["data"]:
        plan.items[item["key"]] = item["id"]
        detail = client.get(f"/v1/items/{item['id']}", headers=office).json()
        plan.leaders.update({leader["name"]: leader["id"] for leader in detail["lead_leaders"]})
        for duty in client.get(f"/v1/items/{item['id']}/responsibilities", headers=office).json()["data"]:
            plan.units[duty["unit_name"]] = duty["unit_id"]
            plan.responsibilities[item["key"], duty["unit_name"]] = duty["id"]
        for milestone in client.get(f"/v1/items/{item['id']}/milestones", headers=office).json()["data"]:
            plan.milestones[milestone["title"]] = milestone["id"]
    return plan


def history(client, auth, entity: str, entity_id: int) -> list[dict[str, Any]]:
    """The change history of one record, oldest first."""
    response = client.get(f"/v1/history/{entity}/{entity_id}", params={"limit": 500}, headers=auth("office"))
    assert response.status_code == 200, response.text
    return response.json()["data"]


def assert_one_moved_and_one_refused(outcomes, parents):
    """Two records moved under each other at once: exactly one move happened, the other was refused as a cycle (422),
    and the tree is what the one move made of it."""
    moved = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(moved) == 1, outcomes
    assert [type(o) for o in outcomes if isinstance(o, BaseException)] == [Unprocessable]
    assert parents == {moved[0]["id"]: moved[0]["parent_id"], moved[0]["parent_id"]: None}
