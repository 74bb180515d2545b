"""The planner: which notice of the ladder is due as of a moment, for whom, written to the outbox once.

The ladder itself is tested as pure functions of dates first; then the planner runs against the real
tasks_api (the Quzhou plan) and the real reporting_api.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.notify_api.deliveries.jobs import deliver_all_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from services.notify_api.reminders import rows
from services.notify_api.reminders.service import find_due, write_due
from services.notify_api.reminders.steps import due_step, in_quiet_hours, release_time
from services.notify_api.rules.rule import DEFAULT_RULE, Rule
from tests.notify_api.conftest import add_contact, outbox, run_planner
from tests.reporting_api.test_reports import file_report, submit, values_for

TRANSPORT, TOURISM, ECOLOGY = "市交通运输局", "市文旅局", "市生态环境局"
SLOW_ESCALATION = Rule(escalate_after_days=30)


def shanghai(day: str, hour: int = 10) -> datetime:
    """A moment on a day at an hour of Beijing time, as UTC."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour - 8)


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def step_on(due_on: str, today: str, rule: Rule = DEFAULT_RULE) -> tuple[str, str] | None:
    step = due_step(date.fromisoformat(due_on), rule, date.fromisoformat(today))
    return (step.name, step.level.value) if step else None


# -- the ladder, as pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today, expected",
    [
        ("2019-12-23", None),
        ("2019-12-24", ("before-7", "blue")),
        ("2019-12-26", ("before-7", "blue")),
        ("2019-12-28", ("before-3", "blue")),
        ("2019-12-29", ("before-3", "blue")),
        ("2019-12-30", ("before-1", "blue")),
        ("2019-12-31", ("due-today", "blue")),
    ],
)
def test_before_the_due_date_the_latest_blue_step_is_due(today, expected):
    assert step_on("2019-12-31", today) == expected


def test_a_rule_without_a_day_itself_step_keeps_its_last_step_until_the_due_date():
    assert step_on("2019-12-31", "2019-12-31", Rule(steps_before=(5, 2))) == ("before-2", "blue")
    assert step_on("2019-12-31", "2019-12-25", Rule(steps_before=())) is None


@pytest.mark.parametrize(
    "today, expected",
    [
        ("2024-02-09", ("overdue-1", "yellow")),  # the first working day after the due date
        ("2024-02-12", ("overdue-1", "yellow")),  # Spring Festival: no working days until Sunday 18 Feb
        ("2024-02-19", ("overdue-1", "yellow")),  # 18 and 19 Feb are the 2nd and 3rd working days after the 9th
        ("2024-02-20", ("overdue-4", "yellow")),  # three working days on: 18 (make-up Sunday), 19, 20 Feb
        ("2024-02-22", ("overdue-4", "yellow")),
        ("2024-02-23", ("overdue-7", "yellow")),
    ],
)
def test_yellow_repeats_every_three_working_days_across_the_2024_spring_festival(today, expected):
    assert step_on("2024-02-08", today, SLOW_ESCALATION) == expected


def test_a_make_up_sunday_is_a_working_day_for_the_ladder():
    assert step_on("2024-02-02", "2024-02-03", SLOW_ESCALATION) is None  # Saturday: no notice yet
    assert step_on("2024-02-02", "2024-02-04", SLOW_ESCALATION) == ("overdue-1", "yellow")  # Sunday 4 Feb works


@pytest.mark.parametrize(
    "today, expected",
    [
        ("2019-11-28", ("overdue-1", "yellow")),
        ("2019-12-01", ("overdue-1", "yellow")),
        ("2019-12-03", ("overdue-4", "yellow")),
        ("2019-12-04", ("escalated-5", "red")),  # 5 working days overdue: red, though no repeat falls then
        ("2019-12-05", ("escalated-5", "red")),
        ("2019-12-06", ("escalated-7", "red")),
    ],
)  # repeats after the escalation stay red
def test_red_after_five_working_days_overdue(today, expected):
    assert step_on("2019-11-27", today) == expected


def test_the_spring_festival_does_not_count_towards_the_escalation():
    # working days after 8 Feb 2024: 9 Feb, then the make-up Sunday 18 Feb, 19, 20 and 21 Feb
    assert step_on("2024-02-08", "2024-02-20") == ("overdue-4", "yellow")
    assert step_on("2024-02-08", "2024-02-21") == ("escalated-5", "red")


def test_without_repeats_only_the_first_overdue_notice_and_the_escalation_go_out():
    rule = Rule(repeat_every_workdays=0)
    assert step_on("2019-11-27", "2019-11-29", rule) == ("overdue-1", "yellow")
    assert step_on("2019-11-27", "2019-12-20", rule) == ("escalated-5", "red")


@pytest.mark.parametrize(
    "hour, minute, released",
    [
        (23, 0, "2019-12-29T08:00"),
        (7, 30, "2019-12-28T08:00"),
        (22, 0, "2019-12-29T08:00"),
        (8, 0, None),
        (21, 59, None),
        (12, 0, None),
    ],
)
def test_quiet_hours_hold_a_notice_until_eight_in_the_morning(hour, minute, released):
    moment = shanghai("2019-12-28", hour) + timedelta(minutes=minute)
    expected = moment if released is None else shanghai(released[:10], int(released[11:13]))
    assert release_time(moment, "22:00", "08:00") == expected


def test_quiet_hours_may_lie_within_a_day_or_be_switched_off():
    assert release_time(shanghai("2019-12-28", 13), "12:00", "14:00") == shanghai("2019-12-28", 14)
    assert not in_quiet_hours(shanghai("2019-12-28", 23), "00:00", "00:00")


# -- the planner against the real peers ---------------------------------------------------------------------


@pytest.fixture
def units(quzhou):
    return {name: quzhou.unit_id(name) for name in (TRANSPORT, TOURISM, ECOLOGY)}


@pytest.fixture
def transport_hook(notify_client, auth, units):
    return add_contact(notify_client, auth("office"), "unit", units[TRANSPORT])


def rows_of(client, item_id, kind="item", **where):
    return outbox(client, item_id=item_id, deadline_kind=kind, **where)


def test_a_few_days_before_key_work_7_its_unit_gets_the_blue_notice(notify_client, transport_hook, quzhou, units):
    as_of = shanghai("2019-12-28")
    assert run_planner(notify_client, as_of) > 0
    kw7 = quzhou.item("KW7")["id"]
    [row] = rows_of(notify_client, kw7)
    assert (row["step"], row["level"], row["purpose"], row["status"]) == ("before-3", "blue", "reminder", "pending")
    assert (row["recipient_kind"], row["recipient_id"], row["unit_id"]) == ("unit", units[TRANSPORT], units[TRANSPORT])
    assert (row["contact_id"], row["channel"], row["due_on"]) == (transport_hook["id"], "webhook", date(2019, 12, 31))
    assert utc(row["next_attempt_at"]) == as_of and row["webhook_id"].startswith("msg_")
    payload = row["payload"]
    assert payload["subject"] == "【提醒】7 深化收费公路制度改革：事项完成时限还剩3天（2个工作日）"
    assert "衢州市战略融入长三角区域一体化发展行动计划" in payload["text"]
    assert "市交通运输局（牵头）" in payload["text"] and "2019年12月31日" in payload["text"]
    link = f"https://duban.example.cn/plans/{quzhou.plan_id}/items/{kw7}"
    assert link in payload["text"] and f"[查看详情]({link})" in payload["markdown"]
    assert {
        k: payload["data"][k]
        for k in ("item_number", "item_title", "deadline_kind", "due_on", "days_left", "role", "level", "link")
    } == {
        "item_number": "7",
        "item_title": "深化收费公路制度改革",
        "deadline_kind": "item",
        "due_on": "2019-12-31",
        "days_left": 3,
        "role": "lead",
        "level": "blue",
        "link": link,
    }
    indicators = rows_of(notify_client, kw7, "indicator")
    assert len(indicators) == 2 and {r["step"] for r in indicators} == {"before-3"}
    assert "指标“新发展ETC用户”目标" in " ".join(r["payload"]["subject"] for r in indicators)


def test_running_the_planner_twice_creates_nothing_new(notify_client, transport_hook):
    created = run_planner(notify_client, shanghai("2019-12-28"))
    assert created == len(outbox(notify_client)) > 0
    assert run_planner(notify_client, shanghai("2019-12-28", 15), dispatch_id=2) == 0
    assert len(outbox(notify_client)) == created


def test_a_second_dispatch_of_the_day_revalidates_the_peers_pages_and_finds_the_same(notify_client, transport_hook):
    state = notify_client.app.state
    pages = state.tasks.http.revalidated, state.reporting.http.revalidated

    def found(hour: int) -> list[Any]:
        async def due() -> list[Any]:
            moment = shanghai("2019-12-28", hour)
            return (
                await find_due(state.database, state.tasks, state.reporting, state.settings, as_of=moment)
            ).addressed

        return notify_client.portal.call(due)

    first = found(9)
    before = [kept.not_modified for kept in pages]
    assert found(15) == first and first
    assert [kept.not_modified > was for kept, was in zip(pages, before, strict=True)] == [True, True]


def test_a_dispatchs_webhook_ids_are_unique_and_sort_in_the_order_its_rows_were_written(notify_client, transport_hook):
    run_planner(notify_client, shanghai("2019-12-28"))
    run_planner(notify_client, shanghai("2019-12-30"), dispatch_id=2)
    rows = sorted(outbox(notify_client), key=lambda r: (r["dispatch_id"], r["dedupe_key"]))
    ids = [r["webhook_id"] for r in rows]
    assert len(rows) > 2 and len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # the second dispatch's ids come after the first's, each in key order


def test_two_planners_at_once_never_create_a_second_notification(notify_client, transport_hook):
    state = notify_client.app.state

    async def one(dispatch_id: int) -> int:
        found = await find_due(
            state.database, state.tasks, state.reporting, state.settings, as_of=shanghai("2019-12-28")
        )
        async with state.database.transaction() as conn:
            return await write_due(conn, found, dispatch_id=dispatch_id)

    async def both() -> list[int]:
        return await asyncio.gather(one(1), one(2))

    created = notify_client.portal.call(both)
    rows = outbox(notify_client)
    assert sum(created) == len(rows) > 0 and min(created) == 0
    assert len({r["dedupe_key"] for r in rows}) == len(rows)


def test_a_first_dispatch_the_day_before_sends_the_one_day_notice_only(notify_client, transport_hook, quzhou):
    run_planner(notify_client, shanghai("2019-12-30"))
    assert [r["step"] for r in rows_of(notify_client, quzhou.item("KW7")["id"])] == ["before-1"]


def test_each_step_goes_out_once_as_the_days_pass(notify_client, transport_hook, quzhou):
    for day in ("2019-12-24", "2019-12-25", "2019-12-28", "2019-12-29", "2019-12-30", "2019-12-31"):
        run_planner(notify_client, shanghai(day))
    assert [r["step"] for r in rows_of(notify_client, quzhou.item("KW7")["id"])] == [
        "before-7",
        "before-3",
        "before-1",
        "due-today",
    ]


def test_overdue_yellow_notices_repeat_every_three_working_days(notify_client, auth, transport_hook, quzhou):
    response = notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/item",
        json={"escalate_after_days": 30},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert response.status_code == 200
    for day in ("2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"):  # 1 Jan is New Year's Day
        run_planner(notify_client, shanghai(day))
    rows = rows_of(notify_client, quzhou.item("KW7")["id"])
    assert [(r["step"], r["level"]) for r in rows] == [("overdue-1", "yellow"), ("overdue-4", "yellow")]
    assert "已逾期4个工作日" in rows[1]["payload"]["subject"] and "【催办】" in rows[1]["payload"]["subject"]
    assert rows[1]["payload"]["data"]["days_overdue"] == 7


@pytest.fixture
def sa5(quzhou, quzhou_client, auth):
    """Special action 5, due 2025-12-31, led by a city leader (王良春) with three units."""
    return quzhou_client.get(f"/v1/items/{quzhou.item('SA5')['id']}", headers=auth("viewer")).json()


def test_red_after_five_working_days_goes_to_the_lead_leaders_and_the_office(notify_client, auth, sa5, units):
    [leader] = sa5["lead_leaders"]
    office = add_contact(notify_client, auth("office"), "office", 0, channel="email")
    leader_mail = add_contact(
        notify_client, auth("office"), "leader", leader["id"], channel="email", target="leader@example.cn"
    )
    unit_hook = add_contact(notify_client, auth("office"), "unit", units[ECOLOGY])
    run_planner(notify_client, shanghai("2026-01-04"))  # a make-up Sunday: the first working day overdue
    yellow = rows_of(notify_client, sa5["id"])
    assert [(r["recipient_kind"], r["level"], r["step"]) for r in yellow] == [("unit", "yellow", "overdue-1")]
    run_planner(notify_client, shanghai("2026-01-08"))  # the 5th working day after the due date
    red = {r["recipient_kind"]: r for r in rows_of(notify_client, sa5["id"], level="red")}
    assert set(red) == {"unit", "leader", "office"}
    assert (red["leader"]["contact_id"], red["leader"]["recipient_id"]) == (leader_mail["id"], leader["id"])
    assert (red["office"]["contact_id"], red["unit"]["contact_id"]) == (office["id"], unit_hook["id"])
    assert {r["step"] for r in red.values()} == {"escalated-5"}
    assert red["leader"]["payload"]["data"]["role"] is None
    assert "市生态环境局（牵头）、市资源规划局（配合）、开化县（配合）" in red["office"]["payload"]["text"]
    assert "抄送牵头市领导和领导小组办公室" in red["unit"]["payload"]["text"]


def test_a_co_operating_unit_is_told_its_role(notify_client, auth, quzhou, units):
    add_contact(notify_client, auth("office"), "unit", units[TOURISM])
    run_planner(notify_client, shanghai("2025-12-30"))
    [row] = rows_of(notify_client, quzhou.item("T9")["id"])
    assert (row["unit_id"], row["payload"]["data"]["role"]) == (units[TOURISM], "co")
    assert "市文旅局（配合）" in row["payload"]["text"]


def test_a_dispatch_in_quiet_hours_is_held_until_eight(notify_client, transport_hook, quzhou):
    run_planner(notify_client, shanghai("2019-12-28", 23))
    [row] = rows_of(notify_client, quzhou.item("KW7")["id"])
    assert (row["step"], utc(row["next_attempt_at"])) == ("before-3", shanghai("2019-12-29", 8))


def test_a_rules_own_quiet_hours_apply(notify_client, auth, transport_hook, quzhou):
    notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/*",
        json={"quiet_start": "09:00", "quiet_end": "11:30"},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    run_planner(notify_client, shanghai("2019-12-28", 10))
    [row] = rows_of(notify_client, quzhou.item("KW7")["id"])
    assert utc(row["next_attempt_at"]) == shanghai("2019-12-28", 11) + timedelta(minutes=30)


def test_digest_mode_sends_a_recipient_one_message_for_the_day(notify_client, auth, transport_hook, quzhou):
    notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/*",
        json={"digest": True},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert run_planner(notify_client, shanghai("2019-12-28")) == 1
    [digest] = outbox(notify_client, contact_id=transport_hook["id"])
    assert (digest["purpose"], digest["step"], digest["dedupe_key"]) == (
        "digest",
        "digest",
        f"digest:{transport_hook['id']}:2019-12-28",
    )
    listed = digest["payload"]["data"]["reminders"]
    kw7 = quzhou.item("KW7")["id"]
    assert {(r["deadline_kind"], r["item_id"]) for r in listed} >= {("item", kw7), ("indicator", kw7)}
    assert digest["payload"]["data"]["count"] == len(listed) >= 3
    assert digest["payload"]["subject"].startswith(f"【督办日报】2019年12月28日：共{len(listed)}项")
    assert "7 深化收费公路制度改革" in digest["payload"]["text"]
    assert run_planner(notify_client, shanghai("2019-12-28", 16)) == 0


def test_a_digest_lists_no_step_an_earlier_digest_of_the_contact_listed(notify_client, auth, transport_hook, quzhou):
    """KW7 is due 2019-12-31: its before-3 steps fall on 12-28, nothing new on 12-29 (before-1 is on 12-30). Sent one
    by one, 12-29 sends nothing; in a digest, 12-29's lists none of 12-28's steps again, and 12-30's the new ones."""
    notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/*",
        json={"digest": True},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    kw7 = quzhou.item("KW7")["id"]
    for day, dispatch_id in (("2019-12-28", 1), ("2019-12-29", 2), ("2019-12-30", 3)):
        run_planner(notify_client, shanghai(day), dispatch_id=dispatch_id)
    steps = {
        row["dedupe_key"].split(":")[2]: {r["step"] for r in row["payload"]["data"]["reminders"] if r["item_id"] == kw7}
        for row in outbox(notify_client, contact_id=transport_hook["id"])
    }
    assert (steps["2019-12-28"], steps.get("2019-12-29", set()), steps["2019-12-30"]) == (
        {"before-3"},
        set(),
        {"before-1"},
    )


def test_a_digest_over_the_size_cap_is_split_into_parts(notify_client, auth, transport_hook, quzhou, monkeypatch):
    monkeypatch.setattr(rows, "DIGEST_MAX_NOTICES", 2)
    notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/*",
        json={"digest": True},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert run_planner(notify_client, shanghai("2019-12-28")) >= 2
    parts = sorted(outbox(notify_client, contact_id=transport_hook["id"]), key=lambda row: row["dedupe_key"])
    day = f"digest:{transport_hook['id']}:2019-12-28"
    assert [row["dedupe_key"] for row in parts][:2] == [day, f"{day}:2"]
    assert all(row["payload"]["data"]["count"] <= 2 for row in parts)
    assert sum(row["payload"]["data"]["count"] for row in parts) >= 3


def test_a_contact_made_after_the_newest_was_deleted_gets_its_own_reminders(
    notify_client, auth, transport_hook, quzhou, units
):
    run_planner(notify_client, shanghai("2019-12-28"))
    assert outbox(notify_client, contact_id=transport_hook["id"])
    deleted = notify_client.delete(
        f"/v1/contacts/{transport_hook['id']}", headers=auth("office", **{"If-Match": '"1"'})
    )
    assert deleted.status_code == 204
    replacement = add_contact(notify_client, auth("office"), "unit", units[TRANSPORT])
    assert replacement["id"] > transport_hook["id"]  # not the deleted contact's id, whose reminders were sent
    assert run_planner(notify_client, shanghai("2019-12-28", 10)) > 0
    assert outbox(notify_client, contact_id=replacement["id"])


def pause(client, auth, **body):
    response = client.post("/v1/pauses", json=body, headers=auth("office"))
    assert response.status_code == 201, response.text


def test_a_paused_item_gets_no_reminders(notify_client, auth, transport_hook, quzhou):
    kw7 = quzhou.item("KW7")["id"]
    pause(notify_client, auth, plan_id=quzhou.plan_id, item_id=kw7)
    run_planner(notify_client, shanghai("2019-12-28"))
    assert outbox(notify_client, item_id=kw7) == []


def test_a_paused_unit_gets_no_reminders(notify_client, auth, transport_hook, quzhou, units):
    pause(notify_client, auth, plan_id=quzhou.plan_id, unit_id=units[TRANSPORT], until="2019-12-31")
    run_planner(notify_client, shanghai("2019-12-28"))
    assert outbox(notify_client, recipient_kind="unit", recipient_id=units[TRANSPORT]) == []


def test_a_paused_plan_gets_no_reminders(notify_client, auth, transport_hook, quzhou):
    pause(notify_client, auth, plan_id=quzhou.plan_id)
    assert run_planner(notify_client, shanghai("2019-12-28")) == 0


def test_a_pause_that_ended_holds_nothing(notify_client, auth, transport_hook, quzhou):
    pause(notify_client, auth, plan_id=quzhou.plan_id, until="2019-12-27")
    assert run_planner(notify_client, shanghai("2019-12-28")) > 0


def test_a_reminder_planned_before_a_pause_is_not_sent_during_it(notify_client, auth, transport_hook, quzhou):
    """Planned at 23:00 and held for the quiet hours; the office pauses the item at 07:00: at 08:30 the deliverer
    cancels the notice, saying why, instead of sending it."""
    kw7 = quzhou.item("KW7")["id"]
    run_planner(notify_client, shanghai("2019-12-28", 23))
    assert [row["status"] for row in outbox(notify_client, item_id=kw7)] and all(
        row["status"] == "pending" for row in outbox(notify_client, item_id=kw7)
    )
    pause(notify_client, auth, plan_id=quzhou.plan_id, item_id=kw7, until="2020-01-31")
    state = notify_client.app.state
    notify_client.portal.call(
        lambda: deliver_all_due(state.database, state.settings, sources=TARGET_SOURCES, now=shanghai("2019-12-29", 9))
    )
    held = outbox(notify_client, item_id=kw7)
    assert {row["status"] for row in held} == {"cancelled"}
    assert all("pause" in row["last_error"] for row in held)


def test_a_disabled_contact_gets_nothing(notify_client, auth, units):
    add_contact(notify_client, auth("office"), "unit", units[TRANSPORT], enabled=False)
    assert run_planner(notify_client, shanghai("2019-12-28")) == 0


def report_rows(client, unit_id):
    return outbox(client, deadline_kind="report", recipient_kind="unit", recipient_id=unit_id)


def test_a_unit_gets_one_report_notice_per_due_date_listing_its_items(
    notify_client, auth, transport_hook, quzhou, units
):
    run_planner(notify_client, shanghai("2020-01-09"))
    [row] = report_rows(notify_client, units[TRANSPORT])  # not one per item, nor one per period kind
    data = row["payload"]["data"]
    listed = {(i["item_number"], i["period"], i["report_type"]) for i in data["items"]}
    assert ("7", "2019", "annual") in listed and len(listed) == len(data["items"]) > 1
    assert {i["period"] for i in data["items"]} == {"2019"}  # 2019-Q4 and 2019-H2 are answered by 2019
    assert (row["step"], data["due_on"], data["deadline_id"]) == ("before-1", "2020-01-10", units[TRANSPORT])
    assert row["payload"]["subject"].startswith(
        f"【提醒】{TRANSPORT}（牵头）：2019年度年度汇总（{len(listed)}项）还剩1天"
    )
    assert "深化收费公路制度改革" in row["payload"]["text"]


def test_reports_are_reminded_only_to_units_that_have_not_submitted(
    notify_client, reporting_http, auth, transport_hook, quzhou, units
):
    kw7 = quzhou.item("KW7")["id"]
    headers = auth("unit", unit_id=units[TRANSPORT])
    report = file_report(
        reporting_http, headers, kw7, period="2019", measurements=values_for(quzhou, "KW7", "2019-12-31")
    )
    submit(reporting_http, headers, report["id"])
    run_planner(notify_client, shanghai("2020-01-09"))
    [row] = report_rows(notify_client, units[TRANSPORT])
    assert kw7 not in {i["item_id"] for i in row["payload"]["data"]["items"]}
