"""Roll-ups count only the reports of items that owe the period, as compliance does: a report an item filed before
its cadence changed stays listed in compliance with `owed: false` (not counted in `expected`), and covers none of the
owed pairs of a roll-up's group (oversight/filed_counts.py)."""

import json
from datetime import date

from services.reporting_api.oversight.inputs import load_plan_oversight
from services.reporting_api.oversight.service import oversight_of
from tests.reporting_api.test_cadence import set_cadence
from tests.reporting_api.test_reports import file_report, submit
from tests.reporting_api.test_rollups import TRANSPORT, group_keyed, group_named, rollups

AFTER_Q1_DUE = "2024-05-06"  # 2024-Q1 is due 2024-04-10


def compliance_summary(client, auth, plan_id, **params):
    query = {"period": "2024-Q1", "limit": 500, "as_of": AFTER_Q1_DUE, **params}
    response = client.get(f"/v1/plans/{plan_id}/compliance", params=query, headers=auth("office"))
    assert response.status_code == 200, response.text
    return response.json()["summary"]


def file_then_stop_owing(client, auth, quzhou, transport):
    """T9's unit submits its 2024-Q1 report, then T9 turns half-yearly: it no longer owes 2024-Q1, the report
    stays."""
    t9 = quzhou.item("T9")
    submit(client, transport["headers"], file_report(client, transport["headers"], t9["id"], period="2024-Q1")["id"])
    set_cadence(client, auth, t9["id"], "half_yearly")
    return t9


def test_by_unit_a_report_of_an_item_no_longer_owing_the_period_covers_none_of_the_units_owed_reports(
    reporting_client, auth, quzhou, transport
):
    file_then_stop_owing(reporting_client, auth, quzhou, transport)
    summary = compliance_summary(reporting_client, auth, quzhou.plan_id, unit_id=transport["unit_id"])
    row = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of=AFTER_Q1_DUE), TRANSPORT)
    # compliance: every owed pair of the unit is missing and overdue, and the roll-up says the same
    assert summary["overdue"] == summary["expected"] == row["expected"] > 0
    assert (row["missing"], row["overdue"]) == (summary["overdue"], summary["overdue"])
    assert (row["submitted"], row["awaiting_review"], row["late"], row["on_time"]) == (0, 0, 0, 0)


def test_by_kind_a_report_of_an_item_no_longer_owing_the_period_is_not_counted(
    reporting_client, auth, quzhou, transport
):
    kind = file_then_stop_owing(reporting_client, auth, quzhou, transport)["kind"]
    row = group_keyed(rollups(reporting_client, auth, quzhou.plan_id, "kind", as_of=AFTER_Q1_DUE), kind)
    assert (row["submitted"], row["awaiting_review"]) == (0, 0)
    assert row["missing"] == row["overdue"] == row["expected"] > 0


def test_a_roll_up_asked_before_and_after_the_cadence_change_counts_the_report_only_while_it_is_owed(
    reporting_client, auth, quzhou, transport
):
    t9 = quzhou.item("T9")
    submit(
        reporting_client,
        transport["headers"],
        file_report(reporting_client, transport["headers"], t9["id"], period="2024-Q1")["id"],
    )
    before = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of=AFTER_Q1_DUE), TRANSPORT)
    set_cadence(reporting_client, auth, t9["id"], "half_yearly")  # the reports read the same: only the owing changed
    after = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of=AFTER_Q1_DUE), TRANSPORT)
    assert (before["submitted"], before["missing"]) == (1, before["expected"] - 1)
    assert (after["submitted"], after["missing"]) == (0, after["expected"])


def test_a_closed_periods_snapshot_rolls_up_only_the_reports_of_items_owing_the_period(
    reporting_client, auth, quzhou, transport
):
    file_then_stop_owing(reporting_client, auth, quzhou, transport)
    app = reporting_client.app

    async def compute():
        plan = await load_plan_oversight(app.state.tasks, quzhou.plan_id)
        async with app.state.database.read() as conn:
            return await oversight_of(conn, plan, "2024-Q1", date.fromisoformat(AFTER_Q1_DUE))

    found = json.loads(json.dumps(reporting_client.portal.call(compute)))
    summary = found["compliance"]["summary"]  # nothing owed was filed: every expected pair is missing
    assert summary["missing"] == summary["expected"] > 0
    for by in ("unit", "kind"):
        rows = found["rollups"][by]
        assert sum(row["expected"] for row in rows) == sum(row["missing"] for row in rows) == summary["expected"], by
        assert sum(row["submitted"] for row in rows) == 0, by
