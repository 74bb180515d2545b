"""GET /v1/deadlines/upcoming: what a unit has coming, from tasks_api and from reports it has not submitted."""

from __future__ import annotations

from datetime import date

import pytest

from services.notify_api.reminders.steps import countdown
from tests.problems import assert_problem
from tests.reporting_api.test_reports import file_report, submit, values_for

TRANSPORT = "市交通运输局"


@pytest.fixture
def transport(quzhou, auth):
    unit_id = quzhou.unit_id(TRANSPORT)
    return {"unit_id": unit_id, "headers": auth("unit", unit_id=unit_id)}


def upcoming(client, headers, **params):
    response = client.get("/v1/deadlines/upcoming", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def row(view, kind, deadline_id):
    return next(r for r in view["data"] if (r["kind"], r["id"]) == (kind, deadline_id))


def test_key_work_7_is_a_week_away_with_five_working_days_left(notify_client, transport, quzhou):
    view = upcoming(notify_client, transport["headers"], as_of="2019-12-24", days=14)
    kw7 = quzhou.item("KW7")
    found = row(view, "item", kw7["id"])
    assert found == {
        "kind": "item",
        "id": kw7["id"],
        "plan_id": quzhou.plan_id,
        "item_id": kw7["id"],
        "item_key": "KW7",
        "item_number": "7",
        "item_title": "深化收费公路制度改革",
        "title": "深化收费公路制度改革",
        "period": None,
        "due_on": "2019-12-31",
        "units": [{"unit_id": transport["unit_id"], "unit_name": TRANSPORT, "role": "lead"}],
        "days_left": 7,
        "workdays_left": 5,
        "official_calendar": True,
        "items": [],
    }
    indicators = [r for r in view["data"] if r["kind"] == "indicator" and r["item_id"] == kw7["id"]]
    assert {r["title"] for r in indicators} == {"新发展ETC用户", "在籍汽车ETC安装率"}  # the toll stations: 2020
    assert {r["item_title"] for r in indicators} == {"深化收费公路制度改革"}
    assert (view["as_of"], view["until"], view["unit_id"], view["official_calendar"]) == (
        "2019-12-24",
        "2020-01-07",
        transport["unit_id"],
        True,
    )


def report_deadlines(view, unit_id):
    return [r for r in view["data"] if r["kind"] == "report" and r["id"] == unit_id]


def test_the_reports_a_unit_has_not_submitted_are_one_upcoming_deadline_per_due_date(notify_client, transport, quzhou):
    view = upcoming(notify_client, transport["headers"], as_of="2020-01-02", days=14)
    [due] = report_deadlines(view, transport["unit_id"])
    assert (due["period"], due["due_on"], due["days_left"], due["workdays_left"]) == ("2019", "2020-01-10", 8, 6)
    kw7 = next(i for i in due["items"] if i["item_key"] == "KW7")
    assert (kw7["period"], kw7["report_type"], kw7["role"]) == ("2019", "annual", "lead")
    assert due["title"] == f"2019年度年度汇总（{len(due['items'])}项）"


def test_a_submitted_report_is_no_longer_due(notify_client, reporting_http, transport, quzhou):
    kw7 = quzhou.item("KW7")["id"]
    report = file_report(
        reporting_http, transport["headers"], kw7, period="2019", measurements=values_for(quzhou, "KW7", "2019-12-31")
    )
    submit(reporting_http, transport["headers"], report["id"])
    view = upcoming(notify_client, transport["headers"], as_of="2020-01-02", days=14)
    [due] = report_deadlines(view, transport["unit_id"])
    assert kw7 not in {i["item_id"] for i in due["items"]}


def test_a_draft_is_still_due(notify_client, reporting_http, transport, quzhou):
    kw7 = quzhou.item("KW7")["id"]
    file_report(reporting_http, transport["headers"], kw7, period="2019")
    view = upcoming(notify_client, transport["headers"], as_of="2020-01-02", days=14)
    [due] = report_deadlines(view, transport["unit_id"])
    assert kw7 in {i["item_id"] for i in due["items"]}


def test_the_window_runs_from_as_of_through_days_on(notify_client, auth, quzhou):
    view = upcoming(notify_client, auth("office"), as_of="2019-12-24", days=7)
    assert view["data"] and all("2019-12-24" <= r["due_on"] <= "2019-12-31" for r in view["data"])
    assert upcoming(notify_client, auth("office"), as_of="2019-12-24", days=6)["data"] == [
        r for r in view["data"] if r["due_on"] < "2019-12-31"
    ]


def test_the_default_window_is_30_days(notify_client, auth):
    assert upcoming(notify_client, auth("office"), as_of="2019-12-01")["until"] == "2019-12-31"


def test_a_window_beyond_the_official_calendar_says_so(notify_client, auth):
    view = upcoming(notify_client, auth("office"), as_of="2026-12-01", days=366)
    assert (view["until"], view["official_calendar"]) == ("2027-12-02", False)


def test_a_day_outside_the_official_calendar_skips_weekends_and_the_laws_holidays_and_says_so():
    left = countdown(date(2026, 12, 28), date(2027, 1, 4))  # 29, 30, 31 December and 4 January; 1 January is off
    assert (left.days, left.workdays, left.official_calendar) == (7, 4, False)


def test_working_days_left_skip_the_2024_spring_festival_and_count_its_make_up_sundays():
    left = countdown(date(2024, 2, 8), date(2024, 2, 19))  # holidays 10–17 Feb; Sunday 18 Feb is a working day
    assert (left.days, left.workdays, left.official_calendar) == (11, 3, True)
    assert countdown(date(2024, 2, 3), date(2024, 2, 5)).workdays == 2  # Sunday 4 Feb is a working day


def test_a_unit_token_sees_only_its_own_deadlines(notify_client, auth, transport):
    mine = upcoming(notify_client, transport["headers"], as_of="2020-12-20", days=14)
    assert (
        mine["data"]
        == upcoming(notify_client, auth("office"), as_of="2020-12-20", days=14, unit_id=transport["unit_id"])["data"]
    )
    assert all(transport["unit_id"] in {u["unit_id"] for u in r["units"]} for r in mine["data"])
    everything = upcoming(notify_client, auth("office"), as_of="2020-12-20", days=14)
    assert len(everything["data"]) > len(mine["data"])


def test_a_unit_asking_for_another_units_deadlines_is_forbidden(notify_client, transport):
    response = notify_client.get(
        "/v1/deadlines/upcoming", params={"unit_id": transport["unit_id"] + 1}, headers=transport["headers"]
    )
    assert_problem(response, 403)


def test_deadlines_filter_by_plan(notify_client, auth, quzhou):
    assert upcoming(notify_client, auth("viewer"), as_of="2019-12-24", plan_id=quzhou.plan_id)["data"]
    assert_problem(
        notify_client.get(
            "/v1/deadlines/upcoming", params={"plan_id": 999999, "as_of": "2019-12-24"}, headers=auth("viewer")
        ),
        404,
    )


def test_walking_page_by_page_returns_every_row_once_in_order(notify_client, auth):
    whole = upcoming(notify_client, auth("office"), as_of="2020-12-20", days=20)["data"]
    paged, cursor = [], None
    while True:
        page = upcoming(
            notify_client,
            auth("office"),
            as_of="2020-12-20",
            days=20,
            limit=7,
            **({"cursor": cursor} if cursor else {}),
        )
        paged += page["data"]
        if (cursor := page["next_cursor"]) is None:
            break
    assert len(whole) > 7 and paged == whole
    assert paged == sorted(paged, key=lambda r: (r["due_on"], r["kind"], r["period"] or "", r["id"]))


@pytest.mark.parametrize("params", [{"days": 367}, {"days": -1}, {"as_of": "someday"}, {"colour": "red"}])
def test_bad_parameters_are_refused(notify_client, auth, params):
    response = notify_client.get("/v1/deadlines/upcoming", params=params, headers=auth("office"))
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_cursor_we_did_not_issue_is_refused(notify_client, auth):
    response = notify_client.get("/v1/deadlines/upcoming", params={"cursor": "bm9wZQ"}, headers=auth("office"))
    assert_problem(response, 400)


def test_upcoming_deadlines_need_a_token(notify_client):
    assert_problem(notify_client.get("/v1/deadlines/upcoming"), 401)


def test_upcoming_deadlines_filter_by_item_number(notify_client, transport, quzhou):
    everything = upcoming(notify_client, transport["headers"], as_of="2019-12-24", days=14)["data"]
    sevens = upcoming(notify_client, transport["headers"], as_of="2019-12-24", days=14, item_number="7")["data"]
    assert sevens and all("7" in {r["item_number"], *(i["item_number"] for i in r.get("items") or [])} for r in sevens)
    assert [r for r in everything if r in sevens] == sevens
    window = {"as_of": "2019-12-24", "days": 14}
    assert upcoming(notify_client, transport["headers"], **window, item_number="第九十九")["data"] == []


def test_a_window_running_past_the_supported_years_is_cut_at_their_edge(notify_client, auth):
    """2200-12-31 is a supported day; a year ahead of it is not, and is not asked of the peers (which refuse it: a 503
    the caller would retry for ever)."""
    view = upcoming(notify_client, auth("office"), as_of="2200-12-31", days=366)
    assert view["data"] == []
