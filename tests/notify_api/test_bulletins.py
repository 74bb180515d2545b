"""GET /v1/bulletins: the office's overdue bulletin (逾期通报) — the items whose notice on a day is red."""

from __future__ import annotations

from tests.notify_api.conftest import add_contact, outbox, run_planner
from tests.notify_api.test_planner import shanghai
from tests.problems import assert_problem


def bulletin(client, headers, plan_id, day):
    response = client.get("/v1/bulletins", params={"plan_id": plan_id, "date": day}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def entry(view, item_id):
    return next((e for e in view["items"] if e["item_id"] == item_id), None)


def item_due_date_listed(view, item_id) -> bool:
    """Whether the item's own due date is among its red deadlines (its reports may be red apart from it)."""
    found = entry(view, item_id)
    return found is not None and any(d["kind"] == "item" for d in found["deadlines"])


def test_an_item_five_working_days_overdue_is_in_the_bulletin_with_its_units_and_leaders(notify_client, auth, quzhou):
    sa5 = quzhou.item("SA5")["id"]
    view = bulletin(notify_client, auth("office"), quzhou.plan_id, "2026-01-08")
    assert (view["plan_id"], view["date"], view["count"]) == (quzhou.plan_id, "2026-01-08", len(view["items"]))
    assert view["plan_title"] == "衢州市战略融入长三角区域一体化发展行动计划（2019—2025年）"
    found = entry(view, sa5)
    assert (found["item_number"], found["item_title"]) == ("5", "生态环境联保联治专项行动")
    assert found["days_overdue"] == max(d["days_overdue"] for d in found["deadlines"])
    assert [leader["name"] for leader in found["lead_leaders"]] == ["王良春"]
    assert [(u["unit_name"], u["role"]) for u in found["units"]] == [
        ("市生态环境局", "lead"),
        ("市资源规划局", "co"),
        ("开化县", "co"),
    ]
    [item_deadline] = [d for d in found["deadlines"] if d["kind"] == "item"]
    # its unsubmitted reports of 2025 are in red too: the quarterly report 2025-Q3 was due on 10 October, 90 days
    # before (once per unit; 2025-Q2 never, the half-year summary answers for it)
    reports = [(d["kind"], d["period"], d["days_overdue"]) for d in found["deadlines"] if d["kind"] == "report"]
    assert ("report", "2025-Q3", 90) in reports and "2025-Q2" not in {period for _, period, _ in reports}
    assert (
        item_deadline["due_on"],
        item_deadline["days_overdue"],
        item_deadline["workdays_overdue"],
        item_deadline["step"],
    ) == ("2025-12-31", 8, 5, "escalated-5")


def test_each_unit_is_listed_with_its_own_role_on_each_item(notify_client, quzhou_client, auth, quzhou):
    """A unit that leads one red item and co-operates on another is lead (牵头) on the first only: on 2020-01-20 the
    2019 annual reports are red, and item 1's co-operating units lead items of their own."""
    view = bulletin(notify_client, auth("office"), quzhou.plan_id, "2020-01-20")
    item1 = next(e for e in view["items"] if e["item_number"] == "1")
    duties = quzhou_client.get(f"/v1/items/{item1['item_id']}/responsibilities", headers=auth("viewer")).json()
    roles = {duty["unit_id"]: duty["role"] for duty in duties["data"]}
    assert {u["unit_id"]: u["role"] for u in item1["units"]} == {
        u["unit_id"]: roles[u["unit_id"]] for u in item1["units"]
    }
    assert {u["role"] for u in item1["units"]} == {"lead", "co"}


def test_before_the_escalation_the_item_is_not_in_the_bulletin(notify_client, auth, quzhou):
    sa5 = quzhou.item("SA5")["id"]
    assert not item_due_date_listed(bulletin(notify_client, auth("office"), quzhou.plan_id, "2026-01-07"), sa5)
    assert item_due_date_listed(bulletin(notify_client, auth("office"), quzhou.plan_id, "2026-01-08"), sa5)


def test_the_bulletin_lists_the_items_the_red_notices_went_out_for(notify_client, auth, quzhou):
    add_contact(notify_client, auth("office"), "office", 0)
    run_planner(notify_client, shanghai("2026-01-08"))
    notified = {r["item_id"] for r in outbox(notify_client, recipient_kind="office", level="red")}
    listed = {e["item_id"] for e in bulletin(notify_client, auth("office"), quzhou.plan_id, "2026-01-08")["items"]}
    assert notified and listed == notified


def test_the_most_overdue_items_come_first(notify_client, auth, quzhou):
    days = [e["days_overdue"] for e in bulletin(notify_client, auth("office"), quzhou.plan_id, "2026-01-08")["items"]]
    assert days == sorted(days, reverse=True)


def test_a_paused_item_leaves_the_bulletin(notify_client, auth, quzhou):
    sa5 = quzhou.item("SA5")["id"]
    response = notify_client.post(
        "/v1/pauses", json={"plan_id": quzhou.plan_id, "item_id": sa5}, headers=auth("office")
    )
    assert response.status_code == 201
    assert entry(bulletin(notify_client, auth("office"), quzhou.plan_id, "2026-01-08"), sa5) is None


def test_a_later_escalation_threshold_keeps_the_item_out_longer(notify_client, auth, quzhou):
    notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/*",
        json={"escalate_after_days": 10},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    view = bulletin(notify_client, auth("office"), quzhou.plan_id, "2026-01-08")
    assert not item_due_date_listed(view, quzhou.item("SA5")["id"])


def test_a_unit_may_read_the_bulletin(notify_client, auth, quzhou):
    assert bulletin(notify_client, auth("unit", unit_id=3), quzhou.plan_id, "2026-01-08")["count"] > 0


def test_the_bulletin_of_an_unknown_plan_is_404(notify_client, auth):
    response = notify_client.get(
        "/v1/bulletins", params={"plan_id": 999999, "date": "2026-01-08"}, headers=auth("office")
    )
    assert_problem(response, 404)


def test_the_bulletin_needs_a_plan_and_a_token(notify_client, auth, quzhou):
    assert_problem(notify_client.get("/v1/bulletins", headers=auth("office")), 422)
    assert_problem(notify_client.get("/v1/bulletins", params={"plan_id": quzhou.plan_id}), 401)


def test_the_bulletin_of_the_first_supported_day_reads_no_day_before_it(notify_client, auth, quzhou):
    """1970-01-01 is a supported day; the 180 days it looks back over lie before the supported years, and are not
    asked of tasks_api (which refuses them: a 503 the caller would retry for ever)."""
    assert bulletin(notify_client, auth("office"), quzhou.plan_id, "1970-01-01")["count"] == 0
