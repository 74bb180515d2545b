"""Calendar feeds: a unit's duties as RFC 5545, opened only by the unit's revocable feed token."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

from services.common import clock
from services.common.secrets import token_hash
from services.notify_api.calendars.models import FeedToken
from services.notify_api.db import change_log
from tests.notify_api.test_events import rows
from tests.problems import assert_problem
from tests.reporting_api.test_reports import file_report, submit, values_for

TRANSPORT = "市交通运输局"
WINDOW = {"from": "2019-01-01", "to": "2020-12-31"}  # wider than tasks_api answers at once: asked in two windows


@pytest.fixture
def transport(quzhou, auth):
    unit_id = quzhou.unit_id(TRANSPORT)
    return {"unit_id": unit_id, "headers": auth("unit", unit_id=unit_id)}


def new_token(client, unit_id, headers):
    response = client.post(f"/v1/units/{unit_id}/feed-tokens", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def feed(client, unit_id, token, **params):
    return client.get(f"/v1/calendars/units/{unit_id}.ics", params={"token": token, **WINDOW, **params})


def events_of(calendar):
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def fetch(client, unit_id, token, **params):
    """The feed's events by UID; `params` replace the test window (none: the default window)."""
    response = client.get(f"/v1/calendars/units/{unit_id}.ics", params={"token": token, **params})
    assert response.status_code == 200, response.text
    return events_of(Calendar.from_ical(response.content))


def report_events(events):
    return [e for uid, e in events.items() if uid.startswith("report-")]


@pytest.fixture
def add_milestone(quzhou_client, quzhou, auth):
    """add_milestone(item_key, due_on, title) → a milestone of the Quzhou plan, deleted after the test (the plan
    has none, and tasks_api's database is shared by the whole session)."""
    office, added = auth("office"), []

    def add(item_key: str, due_on: date, title: str) -> dict:
        response = quzhou_client.post(
            f"/v1/items/{quzhou.item(item_key)['id']}/milestones",
            headers=office,
            json={"title": title, "due_on": due_on.isoformat()},
        )
        assert response.status_code == 201, response.text
        added.append(response.json()["id"])
        return response.json()

    yield add
    for milestone_id in added:
        etag = quzhou_client.get(f"/v1/milestones/{milestone_id}", headers=office).headers["etag"]
        assert (
            quzhou_client.delete(f"/v1/milestones/{milestone_id}", headers={**office, "If-Match": etag}).status_code
            == 204
        )


def test_a_unit_gets_its_feed_url_and_token_once(notify_client, transport):
    created = new_token(notify_client, transport["unit_id"], transport["headers"])
    assert created["unit_id"] == transport["unit_id"] and created["revoked_at"] is None
    url = urlsplit(created["feed_url"])
    assert url.path == f"/v1/calendars/units/{transport['unit_id']}.ics"
    assert url.query == f"token={created['token']}"
    listed = notify_client.get(f"/v1/units/{transport['unit_id']}/feed-tokens", headers=transport["headers"])
    assert [t["id"] for t in listed.json()["data"]] == [created["id"]]
    read = notify_client.get(
        f"/v1/units/{transport['unit_id']}/feed-tokens/{created['id']}", headers=transport["headers"]
    ).json()
    for shown in (*listed.json()["data"], read):
        assert "token" not in shown and "token_hash" not in shown and "feed_url" not in shown


def test_the_feed_is_a_valid_calendar_of_the_units_deadlines(notify_client, quzhou, transport):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    response = feed(notify_client, transport["unit_id"], token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert (str(calendar["VERSION"]), str(calendar["X-WR-TIMEZONE"])) == ("2.0", "Asia/Shanghai")
    assert TRANSPORT in str(calendar["X-WR-CALNAME"]) and str(calendar["PRODID"])
    kw7 = quzhou.item("KW7")
    event = events_of(calendar)[f"item-{kw7['id']}@duban"]
    assert event.decoded("DTSTART") == date(2019, 12, 31)
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert "DTSTAMP" in event
    summary = str(event["SUMMARY"])
    assert "牵头" in summary and "深化收费公路制度改革" in summary and kw7["number"] in summary
    link = f"{notify_client.app.state.settings.public_base_url}/plans/{quzhou.plan_id}/items/{kw7['id']}"
    assert link in str(event["DESCRIPTION"])


def test_every_event_reminds_at_nine_seven_days_before_the_day_before_and_on_the_day(notify_client, transport):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    found = fetch(notify_client, transport["unit_id"], token, **WINDOW)
    assert report_events(found) and len(found) > len(report_events(found))
    for event in found.values():
        alarms = event.walk("VALARM")
        # All-day events start at midnight: 09:00 is midnight plus nine hours.
        assert sorted(a.decoded("TRIGGER") for a in alarms) == [
            timedelta(days=-7, hours=9),
            timedelta(days=-1, hours=9),
            timedelta(hours=9),
        ]
        assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}
        assert all(str(event["SUMMARY"]) in str(a["DESCRIPTION"]) for a in alarms)


def test_the_feed_holds_only_the_units_own_deadlines(notify_client, quzhou, auth):
    other = quzhou.unit_id("市文旅局")
    token = new_token(notify_client, other, auth("office"))["token"]
    found = events_of(Calendar.from_ical(feed(notify_client, other, token).content))
    assert found and f"item-{quzhou.item('KW7')['id']}@duban" not in found
    reports = report_events(found)
    assert reports and all(str(e["UID"]).startswith(f"report-{other}-") for e in reports)
    assert all("本单位职责" in str(e["DESCRIPTION"]) for e in found.values() if e not in reports)


def test_a_co_operating_unit_sees_its_role(notify_client, quzhou, auth):
    co = quzhou.unit_id("市文旅局")
    token = new_token(notify_client, co, auth("office"))["token"]
    response = feed(notify_client, co, token, **{"from": "2025-06-01", "to": "2025-12-31"})
    t9 = events_of(Calendar.from_ical(response.content))[f"item-{quzhou.item('T9')['id']}@duban"]
    assert str(t9["SUMMARY"]).startswith("【配合】9 完善便捷通达公路网络建设")


def test_another_units_token_opens_nothing(notify_client, quzhou, transport, auth):
    token = new_token(notify_client, quzhou.unit_id("市文旅局"), auth("office"))["token"]
    assert_problem(feed(notify_client, transport["unit_id"], token), 404)


def test_an_unknown_token_is_404(notify_client, transport):
    assert_problem(feed(notify_client, transport["unit_id"], "not-a-token"), 404)


def test_a_revoked_token_is_404_at_once(notify_client, transport):
    created = new_token(notify_client, transport["unit_id"], transport["headers"])
    path = f"/v1/units/{transport['unit_id']}/feed-tokens/{created['id']}"
    assert notify_client.delete(path, headers=transport["headers"]).status_code == 204
    assert notify_client.delete(path, headers=transport["headers"]).status_code == 204
    assert_problem(feed(notify_client, transport["unit_id"], created["token"]), 404)
    listed = notify_client.get(f"/v1/units/{transport['unit_id']}/feed-tokens", headers=transport["headers"])
    assert listed.json()["data"][0]["revoked_at"] is not None


def test_a_bearer_token_alone_does_not_open_the_feed(notify_client, transport, auth):
    response = notify_client.get(
        f"/v1/calendars/units/{transport['unit_id']}.ics", params=WINDOW, headers=auth("office")
    )
    assert_problem(response, 422)
    response = notify_client.get(
        f"/v1/calendars/units/{transport['unit_id']}.ics", params={**WINDOW, "token": "x"}, headers=auth("office")
    )
    assert_problem(response, 404)


def test_a_feed_token_is_not_a_bearer_token(notify_client, transport):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert_problem(notify_client.get(f"/v1/units/{transport['unit_id']}/feed-tokens", headers=bearer), 401)
    assert_problem(notify_client.post(f"/v1/units/{transport['unit_id']}/feed-tokens", headers=bearer), 401)


def test_feed_tokens_are_stored_only_as_hashes(notify_client, notify_db, transport):
    created = new_token(notify_client, transport["unit_id"], transport["headers"])
    [stored] = rows(notify_db, FeedToken.__table__)
    assert stored["token_hash"] == token_hash(created["token"])
    assert created["token"] not in json.dumps(stored, default=str)
    assert created["token"] not in json.dumps([r["changes"] for r in rows(notify_db, change_log)], default=str)


def test_a_unit_manages_only_its_own_feed_tokens(notify_client, quzhou, transport):
    other = quzhou.unit_id("市文旅局")
    assert_problem(notify_client.post(f"/v1/units/{other}/feed-tokens", headers=transport["headers"]), 403)
    assert_problem(notify_client.get(f"/v1/units/{other}/feed-tokens", headers=transport["headers"]), 403)


@pytest.mark.parametrize("method", ["get", "delete"])
def test_another_units_feed_token_is_404_to_a_unit_as_if_it_did_not_exist(
    notify_client, quzhou, transport, auth, method
):
    other = quzhou.unit_id("市文旅局")
    created = new_token(notify_client, other, auth("office"))
    path = f"/v1/units/{other}/feed-tokens/{created['id']}"
    assert_problem(notify_client.request(method.upper(), path, headers=transport["headers"]), 404)
    assert notify_client.get(path, headers=auth("office")).json()["revoked_at"] is None


@pytest.mark.parametrize("role", ["viewer", "service"])
def test_other_roles_reading_a_units_feed_token_are_403(notify_client, transport, auth, role):
    created = new_token(notify_client, transport["unit_id"], transport["headers"])
    path = f"/v1/units/{transport['unit_id']}/feed-tokens/{created['id']}"
    assert_problem(notify_client.get(path, headers=auth(role)), 403)


def test_the_office_manages_any_units_feed_tokens(notify_client, transport, auth):
    created = new_token(notify_client, transport["unit_id"], auth("office"))
    assert created["created_by"] == "test-office-0"
    path = f"/v1/units/{transport['unit_id']}/feed-tokens/{created['id']}"
    assert notify_client.delete(path, headers=auth("office")).status_code == 204


@pytest.mark.parametrize("role", ["viewer", "service"])
def test_other_roles_cannot_create_feed_tokens(notify_client, transport, auth, role):
    assert_problem(notify_client.post(f"/v1/units/{transport['unit_id']}/feed-tokens", headers=auth(role)), 403)


def test_feed_tokens_need_a_bearer_token(notify_client, transport):
    assert_problem(notify_client.post(f"/v1/units/{transport['unit_id']}/feed-tokens"), 401)


def test_a_token_for_an_unknown_unit_is_404(notify_client, auth):
    assert_problem(notify_client.post("/v1/units/999999/feed-tokens", headers=auth("office")), 404)


def test_another_units_token_id_is_404(notify_client, quzhou, transport, auth):
    created = new_token(notify_client, quzhou.unit_id("市文旅局"), auth("office"))
    path = f"/v1/units/{transport['unit_id']}/feed-tokens/{created['id']}"
    assert_problem(notify_client.delete(path, headers=auth("office")), 404)


@pytest.mark.parametrize("params", [{"from": "2020-01-01", "to": "2019-01-01"}, {"from": "soon"}])
def test_a_bad_window_is_refused(notify_client, transport, params):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    assert_problem(feed(notify_client, transport["unit_id"], token, **params), 422)


def test_an_unknown_query_parameter_is_refused(notify_client, transport):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    assert_problem(feed(notify_client, transport["unit_id"], token, colour="red"), 400)


def test_the_default_window_serves_a_valid_calendar(notify_client, transport):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    response = notify_client.get(f"/v1/calendars/units/{transport['unit_id']}.ics", params={"token": token})
    assert response.status_code == 200, response.text
    assert Calendar.from_ical(response.content).name == "VCALENDAR"


def test_the_contract_documents_the_feed_token_and_no_bearer(notify_client):
    contract = notify_client.app.openapi()
    operation = contract["paths"]["/v1/calendars/units/{unit_id}.ics"]["get"]
    assert operation["security"] == [{"FeedToken": []}]
    scheme = contract["components"]["securitySchemes"]["FeedToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "query", "token")
    token = next(p for p in operation["parameters"] if p["name"] == "token")
    assert (token["in"], token["required"]) == ("query", True)
    assert "text/calendar" in operation["responses"]["200"]["content"]


# -- what the feed holds: reports due, item deadlines, milestones; the window ----------------------------------


def reports_due(client, headers, day):
    """The reports the unit owes on a day, one per item, as /v1/deadlines/upcoming lists them (one report deadline
    per unit and due date, listing its items)."""
    rows = client.get("/v1/deadlines/upcoming", params={"as_of": day, "days": 0, "limit": 500}, headers=headers).json()[
        "data"
    ]
    return [item for row in rows if row["kind"] == "report" for item in row["items"]]


def test_the_reports_due_on_one_day_are_one_event_listing_the_items(notify_client, transport):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    found = report_events(
        fetch(notify_client, transport["unit_id"], token, **{"from": "2020-01-01", "to": "2020-01-31"})
    )
    # Every report the unit owes on 2020-01-10 (for 2019, its second half and its fourth quarter): one event.
    [event] = found
    assert event.decoded("DTSTART") == date(2020, 1, 10)
    assert str(event["UID"]) == f"report-{transport['unit_id']}-20200110@duban"
    owed = {row["item_id"]: row for row in reports_due(notify_client, transport["headers"], "2020-01-10")}
    assert len(owed) > 1
    assert re.fullmatch(rf"报送：.+（{len(owed)}项）", str(event["SUMMARY"]))
    description = str(event["DESCRIPTION"])
    assert f"应报送事项（{len(owed)}项）" in description
    for row in owed.values():
        assert f"{row['item_number']} {row['item_title']}" in description


def test_a_filed_report_leaves_the_day_but_the_day_keeps_its_uid(notify_client, reporting_http, transport, quzhou):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    window = {"from": "2020-01-01", "to": "2020-01-31"}
    [before] = report_events(fetch(notify_client, transport["unit_id"], token, **window))
    t9 = quzhou.item("T9")
    periods = {
        row["period"]
        for row in reports_due(notify_client, transport["headers"], "2020-01-10")
        if row["item_id"] == t9["id"]
    }
    assert periods
    for period in sorted(periods):
        report = file_report(
            reporting_http,
            transport["headers"],
            t9["id"],
            period=period,
            measurements=values_for(quzhou, "T9", "2019-12-31"),
        )
        submit(reporting_http, transport["headers"], report["id"])
    [after] = report_events(fetch(notify_client, transport["unit_id"], token, **window))
    assert str(after["UID"]) == str(before["UID"])
    assert f"{t9['number']} {t9['title']}" in str(before["DESCRIPTION"])
    assert f"{t9['number']} {t9['title']}" not in str(after["DESCRIPTION"])


def test_item_deadlines_and_milestones_are_in_the_feed(notify_client, transport, quzhou, add_milestone):
    milestone = add_milestone("T9", date(2020, 6, 30), "完成衢州段方案")
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    found = fetch(notify_client, transport["unit_id"], token, **{"from": "2019-12-01", "to": "2020-12-31"})
    assert found[f"item-{quzhou.item('KW7')['id']}@duban"].decoded("DTSTART") == date(2019, 12, 31)
    event = found[f"milestone-{milestone['id']}@duban"]
    assert event.decoded("DTSTART") == date(2020, 6, 30)
    assert str(event["SUMMARY"]) == "【牵头】9 完成衢州段方案（节点）"


def test_the_default_window_runs_from_30_days_back_to_400_days_ahead(notify_client, transport, add_milestone):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    with clock.frozen(clock.now()):
        today = clock.business_today()
        offsets = (-40, -31, -30, -20, 300, 400, 401)
        ids = {add_milestone("T9", today + timedelta(days=n), f"节点{n:+d}")["id"]: n for n in offsets}
        found = fetch(notify_client, transport["unit_id"], token)
    shown = {n for milestone_id, n in ids.items() if f"milestone-{milestone_id}@duban" in found}
    assert shown == {-30, -20, 300, 400}


def test_a_wider_window_is_asked_for_with_from_and_to(notify_client, transport, quzhou):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    found = fetch(notify_client, transport["unit_id"], token, **{"from": "2019-01-01", "to": "2023-12-31"})
    assert f"item-{quzhou.item('KW7')['id']}@duban" in found
    assert f"report-{transport['unit_id']}-20231010@duban" in found


def test_a_window_of_five_years_is_served(notify_client, transport, quzhou):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    found = fetch(notify_client, transport["unit_id"], token, **{"from": "2019-01-01", "to": "2024-01-05"})
    assert f"item-{quzhou.item('KW7')['id']}@duban" in found
    assert f"report-{transport['unit_id']}-20231010@duban" in found


def test_a_window_wider_than_five_years_is_refused_not_cut(notify_client, transport):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    response = feed(notify_client, transport["unit_id"], token, **{"from": "2019-01-01", "to": "2024-01-06"})
    assert_problem(response, 422)
    assert "1830 days" in response.json()["detail"]


def test_uids_are_unique_and_stable_across_fetches(notify_client, quzhou_client, transport, auth, add_milestone):
    milestone = add_milestone("T9", date(2020, 6, 30), "完成方案")
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    response = feed(notify_client, transport["unit_id"], token)
    first = [str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")]
    path = f"/v1/milestones/{milestone['id']}"
    etag = quzhou_client.get(path, headers=auth("office")).headers["etag"]
    renamed = quzhou_client.patch(path, json={"title": "完成初步方案"}, headers={**auth("office"), "If-Match": etag})
    assert renamed.status_code == 200, renamed.text
    second = fetch(notify_client, transport["unit_id"], token, **WINDOW)
    assert len(set(first)) == len(first) and sorted(first) == sorted(second)
    assert "完成初步方案" in str(second[f"milestone-{milestone['id']}@duban"]["SUMMARY"])


def test_a_feed_url_is_built_from_the_configured_public_url_not_the_host_header(notify_client, transport):
    headers = {**transport["headers"], "Host": "evil.example.com", "X-Forwarded-Host": "evil.example.com"}
    created = new_token(notify_client, transport["unit_id"], headers)
    assert created["feed_url"].startswith("http://127.0.0.1:8003/v1/calendars/units/")
    assert "evil" not in created["feed_url"]
