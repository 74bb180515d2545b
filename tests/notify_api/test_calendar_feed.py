"""Calendar feeds: a unit's deadlines as RFC 5545, opened only by the unit's revocable feed token."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

from services.common.secrets import token_hash
from services.notify_api.calendars.models import FeedToken
from services.notify_api.db import change_log
from tests.notify_api.test_events import rows
from tests.tasks_api.factories import assert_problem

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


def test_a_unit_gets_its_feed_url_and_token_once(notify_client, transport):
    created = new_token(notify_client, transport["unit_id"], transport["headers"])
    assert created["unit_id"] == transport["unit_id"] and created["revoked_at"] is None
    url = urlsplit(created["feed_url"])
    assert url.path == f"/v1/calendars/units/{transport['unit_id']}.ics"
    assert url.query == f"token={created['token']}"
    listed = notify_client.get(f"/v1/units/{transport['unit_id']}/feed-tokens", headers=transport["headers"])
    assert [t["id"] for t in listed.json()["data"]] == [created["id"]]
    read = notify_client.get(f"/v1/units/{transport['unit_id']}/feed-tokens/{created['id']}",
                             headers=transport["headers"]).json()
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


def test_every_event_reminds_seven_days_and_one_day_before(notify_client, transport):
    token = new_token(notify_client, transport["unit_id"], transport["headers"])["token"]
    calendar = Calendar.from_ical(feed(notify_client, transport["unit_id"], token).content)
    found = list(calendar.walk("VEVENT"))
    assert found
    for event in found:
        alarms = event.walk("VALARM")
        assert sorted(a.decoded("TRIGGER") for a in alarms) == [timedelta(days=-7), timedelta(days=-1)]
        assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}


def test_the_feed_holds_only_the_units_own_deadlines(notify_client, quzhou, auth):
    other = quzhou.unit_id("市文旅局")
    token = new_token(notify_client, other, auth("office"))["token"]
    found = events_of(Calendar.from_ical(feed(notify_client, other, token).content))
    assert found and f"item-{quzhou.item('KW7')['id']}@duban" not in found
    assert all("本单位职责" in str(e["DESCRIPTION"]) for e in found.values())


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
    response = notify_client.get(f"/v1/calendars/units/{transport['unit_id']}.ics", params=WINDOW,
                                 headers=auth("office"))
    assert_problem(response, 422)
    response = notify_client.get(f"/v1/calendars/units/{transport['unit_id']}.ics",
                                 params={**WINDOW, "token": "x"}, headers=auth("office"))
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


@pytest.mark.parametrize("params", [{"from": "2020-01-01", "to": "2019-01-01"},
                                    {"from": "2019-01-01", "to": "2023-01-01"}, {"from": "soon"}])
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
