"""tasks_api answers instants in UTC with Z (tests/rfc3339.py), dates as plain ISO dates."""

from tests.rfc3339 import assert_one_form, ok
from tests.tasks_api.factories import import_small_plan
from tests.tasks_api.test_extensions import ask, decide, unit


def test_an_extension_and_its_decision_carry_instants_with_z(tasks_client, auth):
    plan = import_small_plan(tasks_client, auth)
    asked = ok(ask(tasks_client, unit(auth, plan, "市发改委"), plan.items["T1"], requested_due_on="2021-03-31"))
    assert_one_form(asked, "requested_at")
    assert_one_form(ok(decide(tasks_client, auth, asked["id"], True, comment="同意")), "requested_at", "decided_at")


def test_responsibilities_and_the_history_carry_instants_with_z(tasks_client, auth):
    plan = import_small_plan(tasks_client, auth)
    duty = plan.responsibilities["T1", "市发改委"]
    acknowledged = tasks_client.post(
        f"/v1/responsibilities/{duty}/acknowledgement", headers=unit(auth, plan, "市发改委")
    )
    assert_one_form(ok(acknowledged), "assigned_at", "acknowledged_at")
    listed = ok(tasks_client.get(f"/v1/items/{plan.items['T1']}/responsibilities", headers=auth("office")))
    assert_one_form(listed, "assigned_at", "acknowledged_at")
    changes = ok(tasks_client.get(f"/v1/history/responsibility/{duty}", headers=auth("office")))
    assert_one_form(changes, "at")
