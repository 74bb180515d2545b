"""Reminder rules per plan and deadline kind (defaults until set), and pauses of plans, items and units."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest

from services.common.problems import Unprocessable
from services.notify_api.rules.schemas import PauseCreate
from services.notify_api.rules.service import check_pause_targets
from tests.problems import assert_problem

DEFAULTS = {
    "steps_before": [7, 3, 1, 0],
    "repeat_every_workdays": 3,
    "escalate_after_days": 5,
    "quiet_start": "22:00",
    "quiet_end": "08:00",
    "digest": False,
}
KINDS = ["*", "item", "milestone", "indicator", "report", "instruction"]


def rules(client, auth, plan_id):
    response = client.get(f"/v1/plans/{plan_id}/reminder-rules", headers=auth("viewer"))
    assert response.status_code == 200, response.text
    return {r["deadline_kind"]: r for r in response.json()["data"]}


def put(client, auth, plan_id, kind, body, etag='"0"', role="office"):
    return client.put(
        f"/v1/plans/{plan_id}/reminder-rules/{kind}",
        json=body,
        headers=auth(role, **({"If-Match": etag} if etag else {})),
    )


# -- rules -------------------------------------------------------------------------------------------------


def test_with_nothing_stored_every_kind_has_the_default_rule(notify_client, auth, quzhou):
    found = rules(notify_client, auth, quzhou.plan_id)
    assert list(found) == KINDS
    for kind in KINDS:
        assert found[kind] == {
            "plan_id": quzhou.plan_id,
            "deadline_kind": kind,
            **DEFAULTS,
            "source": "default",
            "version": 0,
        }


def test_a_rule_set_for_a_kind_applies_to_that_kind_only(notify_client, auth, quzhou):
    response = put(notify_client, auth, quzhou.plan_id, "report", {"steps_before": [1, 5], "digest": True})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    assert response.json()["steps_before"] == [5, 1]
    found = rules(notify_client, auth, quzhou.plan_id)
    assert (found["report"]["source"], found["report"]["digest"], found["report"]["version"]) == ("own", True, 1)
    assert found["item"] == {**found["item"], **DEFAULTS, "source": "default"}


def test_the_plans_star_rule_applies_to_every_kind_without_its_own(notify_client, auth, quzhou):
    put(notify_client, auth, quzhou.plan_id, "item", {"escalate_after_days": 10})
    assert put(notify_client, auth, quzhou.plan_id, "*", {"repeat_every_workdays": 2}).status_code == 200
    found = rules(notify_client, auth, quzhou.plan_id)
    assert (found["milestone"]["source"], found["milestone"]["repeat_every_workdays"]) == ("plan", 2)
    assert (found["milestone"]["version"], found["*"]["version"]) == (0, 1)
    assert (found["item"]["source"], found["item"]["escalate_after_days"], found["item"]["repeat_every_workdays"]) == (
        "own",
        10,
        3,
    )


def test_put_replaces_the_whole_rule(notify_client, auth, quzhou):
    put(notify_client, auth, quzhou.plan_id, "item", {"escalate_after_days": 10, "digest": True})
    response = put(notify_client, auth, quzhou.plan_id, "item", {"quiet_start": "21:00"}, etag='"1"')
    assert response.json() == {
        "plan_id": quzhou.plan_id,
        "deadline_kind": "item",
        **DEFAULTS,
        "quiet_start": "21:00",
        "source": "own",
        "version": 2,
    }


def test_setting_a_rule_needs_the_etag_of_the_kinds_own_rule(notify_client, auth, quzhou):
    assert_problem(put(notify_client, auth, quzhou.plan_id, "item", {}, etag=None), 428)
    assert_problem(put(notify_client, auth, quzhou.plan_id, "item", {}, etag='"3"'), 412)
    put(notify_client, auth, quzhou.plan_id, "item", {})
    assert_problem(put(notify_client, auth, quzhou.plan_id, "item", {}, etag='"0"'), 412)


@pytest.mark.parametrize(
    "body",
    [
        {"steps_before": [91]},
        {"steps_before": [-1]},
        {"steps_before": [3, 3]},
        {"steps_before": list(range(11))},
        {"quiet_start": "24:00"},
        {"quiet_end": "8:00"},
        {"quiet_end": "08:60"},
        {"repeat_every_workdays": -1},
        {"escalate_after_days": 0},
        {"colour": "red"},
    ],
)
def test_invalid_rules_are_refused(notify_client, auth, quzhou, body):
    assert_problem(put(notify_client, auth, quzhou.plan_id, "item", body), 422)


def test_an_unknown_deadline_kind_is_refused(notify_client, auth, quzhou):
    assert_problem(put(notify_client, auth, quzhou.plan_id, "meeting", {}), 422)


@pytest.mark.parametrize("role", ["unit", "viewer", "service"])
def test_only_the_office_sets_rules(notify_client, auth, quzhou, role):
    headers = auth(role, unit_id=3 if role == "unit" else None, **{"If-Match": '"0"'})
    response = notify_client.put(f"/v1/plans/{quzhou.plan_id}/reminder-rules/item", json={}, headers=headers)
    assert_problem(response, 403)


def test_rules_need_a_token(notify_client, quzhou):
    assert_problem(notify_client.get(f"/v1/plans/{quzhou.plan_id}/reminder-rules"), 401)


def test_rules_of_a_plan_tasks_api_does_not_know_are_404(notify_client, auth):
    assert_problem(notify_client.get("/v1/plans/999999/reminder-rules", headers=auth("office")), 404)
    assert_problem(put(notify_client, auth, 999999, "item", {}), 404)


# -- pauses ------------------------------------------------------------------------------------------------


def pause(client, auth, role="office", **body):
    return client.post("/v1/pauses", json=body, headers=auth(role))


def test_the_office_pauses_an_item_and_lifts_the_pause(notify_client, auth, quzhou):
    kw7 = quzhou.item("KW7")["id"]
    response = pause(notify_client, auth, plan_id=quzhou.plan_id, item_id=kw7, until="2020-01-31", reason="延期审批中")
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/pauses/{created['id']}"
    assert (created["item_id"], created["until"], created["reason"]) == (kw7, "2020-01-31", "延期审批中")
    assert notify_client.get(f"/v1/pauses/{created['id']}", headers=auth("viewer")).json() == created
    assert notify_client.delete(f"/v1/pauses/{created['id']}", headers=auth("office")).status_code == 204
    assert_problem(notify_client.get(f"/v1/pauses/{created['id']}", headers=auth("office")), 404)


def test_pauses_filter_by_plan_item_unit_and_the_day_they_hold(notify_client, auth, quzhou):
    unit = quzhou.unit_id("市交通运输局")
    whole = pause(notify_client, auth, plan_id=quzhou.plan_id).json()
    ended = pause(notify_client, auth, plan_id=quzhou.plan_id, unit_id=unit, until="2019-12-01").json()
    listed = notify_client.get("/v1/pauses", params={"plan_id": quzhou.plan_id}, headers=auth("viewer")).json()
    assert [p["id"] for p in listed["data"]] == [whole["id"], ended["id"]]
    by_unit = notify_client.get("/v1/pauses", params={"unit_id": unit}, headers=auth("viewer")).json()["data"]
    assert [p["id"] for p in by_unit] == [ended["id"]]
    active = notify_client.get("/v1/pauses", params={"active_on": "2019-12-02"}, headers=auth("viewer")).json()
    assert [p["id"] for p in active["data"]] == [whole["id"]]


@pytest.mark.parametrize(
    "body",
    [
        {"plan_id": 999999},
        {"item_id": 999999},
        {"unit_id": 999999},
        {"until": "someday"},
        {"reason": "长" * 501},
        {"colour": "red"},
    ],
)
def test_a_pause_must_name_what_exists(notify_client, auth, quzhou, body):
    assert_problem(pause(notify_client, auth, **{"plan_id": quzhou.plan_id, **body}), 422)


def test_a_paused_item_must_belong_to_the_plan(quzhou):
    class OnePlanTasks:  # tasks_api as the check sees it: the plan exists, its item belongs to plan 1
        async def plan(self, plan_id):
            return plan_id

        async def item(self, item_id):
            return SimpleNamespace(id=item_id, plan_id=1)

    data = PauseCreate(plan_id=2, item_id=quzhou.item("KW7")["id"])
    with pytest.raises(Unprocessable, match="is not an item of plan 2"):
        asyncio.run(check_pause_targets(OnePlanTasks(), data))


@pytest.mark.parametrize("role", ["unit", "viewer", "service"])
def test_only_the_office_pauses_and_lifts(notify_client, auth, quzhou, role):
    headers = auth(role, unit_id=3 if role == "unit" else None)
    assert_problem(notify_client.post("/v1/pauses", json={"plan_id": quzhou.plan_id}, headers=headers), 403)
    created = pause(notify_client, auth, plan_id=quzhou.plan_id).json()
    assert_problem(notify_client.delete(f"/v1/pauses/{created['id']}", headers=headers), 403)


def test_pauses_need_a_token(notify_client):
    assert_problem(notify_client.get("/v1/pauses"), 401)
    assert_problem(notify_client.post("/v1/pauses", json={}), 401)


def test_lifting_an_unknown_pause_is_404(notify_client, auth):
    assert_problem(notify_client.delete("/v1/pauses/999999", headers=auth("office")), 404)


def test_the_loser_of_two_concurrent_first_puts_of_a_rule_is_told_its_etag_is_stale(notify_client, auth, quzhou):
    """README (Concurrency): a change guarded by If-Match on a version that is no longer current is 412 (stale
    ETag); rules/router.py: `version` is 0 while the kind has no rule of its own: "send it as If-Match to PUT".
    Sequentially the second PUT with If-Match "0" is 412. Sent at the same moment, the loser's INSERT hits the
    unique (plan_id, deadline_kind) and answers 409 "A reminder rule with the same unique fields already exists"."""
    answers: list[int] = []
    start = threading.Barrier(4)

    def put(n: int) -> None:
        start.wait()
        response = notify_client.put(
            f"/v1/plans/{quzhou.plan_id}/reminder-rules/milestone",
            json={"escalate_after_days": 3 + n},
            headers=auth("office", **{"If-Match": '"0"'}),
        )
        answers.append(response.status_code)

    threads = [threading.Thread(target=put, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(200) == 1, answers
    assert sorted(a for a in answers if a != 200) == [412, 412, 412], answers
