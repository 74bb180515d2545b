"""The deadline calendar (GET /v1/deadlines) that notify_api reads to send reminders."""

from datetime import date

import pytest

from services.common.pagination import encode_cursor
from tests.problems import assert_problem
from tests.tasks_api.factories import import_small_plan

DECEMBER_2019 = {"from": "2019-12-01", "to": "2019-12-31"}
YEAR_2025 = {"from": "2025-01-01", "to": "2025-12-31"}


def walk(client, headers, limit=500, **params):
    """Every row of the window, page by page."""
    rows, cursor = [], None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/deadlines", params=query, headers=headers)
        assert response.status_code == 200, response.text
        rows += response.json()["data"]
        if (cursor := response.json()["next_cursor"]) is None:
            return rows


def sort_key(row):
    return row["due_on"], row["kind"], row["id"]


@pytest.fixture(scope="module")
def key_work_7(quzhou_client, auth, quzhou_plan_id):
    items = quzhou_client.get(
        f"/v1/plans/{quzhou_plan_id}/items", params={"kind": "key_work", "limit": 500}, headers=auth("viewer")
    ).json()["data"]
    item_id = next(i["id"] for i in items if i["key"] == "KW7")
    return quzhou_client.get(f"/v1/items/{item_id}", headers=auth("viewer")).json()


@pytest.fixture(scope="module")
def transport_bureau(key_work_7):
    """The unit id of 市交通运输局, the lead unit of key work 7."""
    return next(r["unit_id"] for r in key_work_7["responsibilities"] if r["unit_name"] == "市交通运输局")


# -- on the Quzhou plan (read only) -----------------------------------------------------------------


def test_december_2019_includes_key_work_7_due_at_the_end_of_the_year(
    quzhou_client, auth, key_work_7, transport_bureau
):
    rows = walk(quzhou_client, auth("viewer"), **DECEMBER_2019)
    row = next(r for r in rows if r["kind"] == "item" and r["id"] == key_work_7["id"])
    assert row == {
        "kind": "item",
        "id": key_work_7["id"],
        "item_id": key_work_7["id"],
        "plan_id": key_work_7["plan_id"],
        "item_key": "KW7",
        "item_number": "7",
        "item_title": "深化收费公路制度改革",
        "title": "深化收费公路制度改革",
        "due_on": "2019-12-31",
        "original_due_on": "2019-12-31",
        "units": [{"unit_id": transport_bureau, "unit_name": "市交通运输局", "role": "lead"}],
    }


def test_december_2019_includes_the_indicators_of_key_work_7s_first_sentence(quzhou_client, auth, key_work_7):
    rows = walk(quzhou_client, auth("viewer"), **DECEMBER_2019)
    indicators = [r for r in rows if r["kind"] == "indicator" and r["item_id"] == key_work_7["id"]]
    assert {r["title"] for r in indicators} == {"新发展ETC用户", "在籍汽车ETC安装率"}
    assert {(r["due_on"], r["original_due_on"], r["item_key"]) for r in indicators} == {("2019-12-31", None, "KW7")}


def test_deadlines_stay_within_the_window(quzhou_client, auth):
    rows = walk(quzhou_client, auth("viewer"), **DECEMBER_2019)
    assert rows and all("2019-12-01" <= r["due_on"] <= "2019-12-31" for r in rows)


def test_filtering_by_unit_returns_only_items_the_unit_is_responsible_for(quzhou_client, auth, transport_bureau):
    everything = walk(quzhou_client, auth("viewer"), **YEAR_2025)
    filtered = walk(quzhou_client, auth("viewer"), unit_id=transport_bureau, **YEAR_2025)
    its_own = [r for r in everything if transport_bureau in {u["unit_id"] for u in r["units"]}]
    assert filtered == its_own
    assert 0 < len(filtered) < len(everything)


def test_a_unit_token_sees_only_its_own_deadlines(quzhou_client, auth, transport_bureau):
    as_unit = walk(quzhou_client, auth("unit", unit_id=transport_bureau), **YEAR_2025)
    assert as_unit == walk(quzhou_client, auth("office"), unit_id=transport_bureau, **YEAR_2025)


def test_a_unit_token_asking_for_another_units_deadlines_is_forbidden(quzhou_client, auth, transport_bureau):
    response = quzhou_client.get(
        "/v1/deadlines",
        params={**YEAR_2025, "unit_id": transport_bureau + 1},
        headers=auth("unit", unit_id=transport_bureau),
    )
    assert_problem(response, 403)


def test_walking_2025_page_by_page_returns_every_row_once_in_order(quzhou_client, auth):
    paged = walk(quzhou_client, auth("viewer"), limit=7, **YEAR_2025)
    whole = walk(quzhou_client, auth("viewer"), **YEAR_2025)
    assert len(paged) > 7
    assert paged == whole
    assert paged == sorted(paged, key=sort_key)
    assert len({(r["kind"], r["id"]) for r in paged}) == len(paged)


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_pages_cut_between_kinds_due_the_same_day_lose_and_repeat_nothing(quzhou_client, auth, limit):
    # 2025-12-31 holds items, milestones and indicators: small pages end inside and between the kinds of a day.
    paged = walk(quzhou_client, auth("viewer"), limit=limit, **{"from": "2025-12-31", "to": "2025-12-31"})
    assert len({r["kind"] for r in paged}) > 1
    assert paged == walk(quzhou_client, auth("viewer"), **{"from": "2025-12-31", "to": "2025-12-31"})


def test_the_calendar_is_a_bulk_list_read_in_pages_of_up_to_5000(quzhou_client, auth):
    # notify_api reads a province's calendar whole: a tenth of the round trips of the 500 other lists allow.
    whole = quzhou_client.get("/v1/deadlines", params={**YEAR_2025, "limit": 5000}, headers=auth("viewer"))
    assert whole.status_code == 200 and whole.json()["next_cursor"] is None
    assert whole.json()["data"] == walk(quzhou_client, auth("viewer"), **YEAR_2025)
    beyond = quzhou_client.get("/v1/deadlines", params={**YEAR_2025, "limit": 5001}, headers=auth("viewer"))
    assert_problem(beyond, 422)


def test_a_page_links_to_the_next(quzhou_client, auth):
    response = quzhou_client.get("/v1/deadlines", params={**YEAR_2025, "limit": 7}, headers=auth("viewer"))
    assert 'rel="next"' in response.headers["Link"]


@pytest.mark.parametrize("kind", ["item", "indicator", "milestone"])
def test_deadlines_filter_by_kind(quzhou_client, auth, kind):
    rows = walk(quzhou_client, auth("viewer"), kind=kind, **YEAR_2025)
    assert {r["kind"] for r in rows} <= {kind}
    assert rows == [r for r in walk(quzhou_client, auth("viewer"), **YEAR_2025) if r["kind"] == kind]


def test_deadlines_filter_by_plan(quzhou_client, auth, quzhou_plan_id):
    assert walk(quzhou_client, auth("viewer"), plan_id=quzhou_plan_id, **DECEMBER_2019)
    assert walk(quzhou_client, auth("viewer"), plan_id=999999, **DECEMBER_2019) == []


def test_a_window_of_400_days_is_allowed(quzhou_client, auth):
    response = quzhou_client.get(
        "/v1/deadlines", params={"from": "2025-01-01", "to": "2026-02-05"}, headers=auth("viewer")
    )
    assert (date(2026, 2, 5) - date(2025, 1, 1)).days == 400
    assert response.status_code == 200


@pytest.mark.parametrize(
    "window",
    [
        {"from": "2025-01-01", "to": "2026-02-06"},
        {"from": "2025-02-01", "to": "2025-01-31"},
        {"from": "2025-01-01"},
        {"to": "2025-01-01"},
        {"from": "soon", "to": "2025-01-01"},
    ],
)
def test_a_bad_window_is_unprocessable(quzhou_client, auth, window):
    assert_problem(quzhou_client.get("/v1/deadlines", params=window, headers=auth("viewer")), 422)


@pytest.mark.parametrize(
    "cursor",
    [
        "!!",
        encode_cursor(["2025-01-01", "goal", 1]),
        encode_cursor(["x", "item", 1]),
        encode_cursor(["2025-01-01", "item"]),
        encode_cursor(5),
    ],
)
def test_a_cursor_the_api_did_not_issue_is_refused(quzhou_client, auth, cursor):
    response = quzhou_client.get("/v1/deadlines", params={**YEAR_2025, "cursor": cursor}, headers=auth("viewer"))
    assert_problem(response, 400)


def test_unknown_query_fields_are_refused(quzhou_client, auth):
    response = quzhou_client.get("/v1/deadlines", params={**YEAR_2025, "until": "2025-02-01"}, headers=auth("viewer"))
    assert_problem(response, 400)


def test_deadlines_need_a_token(quzhou_client):
    assert_problem(quzhou_client.get("/v1/deadlines", params=YEAR_2025), 401)


# -- on a small plan that the tests change ----------------------------------------------------------

SMALL_WINDOW = {"from": "2020-06-01", "to": "2021-06-30"}


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def kinds_and_titles(client, auth):
    return [(r["kind"], r["title"]) for r in walk(client, auth("viewer"), **SMALL_WINDOW)]


def test_the_small_plans_deadlines_in_order(tasks_client, auth, plan):
    assert kinds_and_titles(tasks_client, auth) == [
        ("milestone", "完成方案"),
        ("indicator", "建成里程"),
        ("item", "建设快速路"),
        ("milestone", "完成清淤"),
        ("item", "治理河道"),
    ]


def test_a_done_milestone_is_no_longer_a_deadline(tasks_client, auth, plan):
    tasks_client.patch(
        f"/v1/milestones/{plan.milestones['完成方案']}",
        json={"done": True},
        headers=auth("office", **{"If-Match": '"1"'}),
    )
    assert ("milestone", "完成方案") not in kinds_and_titles(tasks_client, auth)


def test_a_cancelled_item_and_its_milestones_are_no_longer_deadlines(tasks_client, auth, plan):
    changed = tasks_client.patch(
        f"/v1/items/{plan.items['T2']}", json={"status": "cancelled"}, headers=auth("office", **{"If-Match": '"1"'})
    )
    assert changed.status_code == 200, changed.text
    assert {("item", "治理河道"), ("milestone", "完成清淤")}.isdisjoint(kinds_and_titles(tasks_client, auth))


def test_a_moved_milestone_shows_its_current_and_original_due_dates(tasks_client, auth, plan):
    request = tasks_client.post(
        f"/v1/items/{plan.items['T1']}/extensions",
        headers=auth("office"),
        json={"milestone_id": plan.milestones["完成方案"], "requested_due_on": "2021-01-15", "reason": "设计变更"},
    ).json()
    tasks_client.post(f"/v1/extensions/{request['id']}/decision", json={"approve": True}, headers=auth("office"))
    row = next(
        r
        for r in walk(tasks_client, auth("viewer"), kind="milestone", **SMALL_WINDOW)
        if r["id"] == plan.milestones["完成方案"]
    )
    assert (row["due_on"], row["original_due_on"]) == ("2021-01-15", "2020-06-30")


def test_a_units_deadlines_are_those_of_its_items(tasks_client, auth, plan):
    rows = walk(tasks_client, auth("unit", unit_id=plan.units["市水利局"]), **SMALL_WINDOW)
    assert [(r["kind"], r["item_key"]) for r in rows] == [("milestone", "T2"), ("item", "T2")]


# -- conditional reads (a dispatch a minute after the last one) --------------------------------------------


def test_each_page_answers_304_to_its_etag_until_a_deadline_on_it_changes(tasks_client, auth, plan):
    query = {**SMALL_WINDOW, "limit": 2}
    first = [tasks_client.get("/v1/deadlines", params=query, headers=auth("service"))]
    while cursor := first[-1].json()["next_cursor"]:
        first.append(tasks_client.get("/v1/deadlines", params={**query, "cursor": cursor}, headers=auth("service")))
    tags = [page.headers["etag"] for page in first]
    assert len(tags) == 3 and len(set(tags)) == 3
    again = tasks_client.get("/v1/deadlines", params=query, headers=auth("service", **{"If-None-Match": tags[0]}))
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tags[0])
    assert again.headers["link"] == first[0].headers["link"]  # the next page is where it was
    tasks_client.patch(
        f"/v1/milestones/{plan.milestones['完成方案']}",
        json={"done": True},
        headers=auth("office", **{"If-Match": '"1"'}),
    )
    changed = tasks_client.get("/v1/deadlines", params=query, headers=auth("service", **{"If-None-Match": tags[0]}))
    assert changed.status_code == 200 and changed.headers["etag"] != tags[0]
    assert ("milestone", "完成方案") not in [(r["kind"], r["title"]) for r in changed.json()["data"]]


@pytest.mark.parametrize("if_none_match", ['"other"', "*"])
def test_another_tag_gets_the_page_and_a_star_gets_304(tasks_client, auth, plan, if_none_match):
    response = tasks_client.get(
        "/v1/deadlines", params=SMALL_WINDOW, headers=auth("viewer", **{"If-None-Match": if_none_match})
    )
    assert response.status_code == (304 if if_none_match == "*" else 200)


def test_an_overlong_if_none_match_is_refused(tasks_client, auth, plan):
    response = tasks_client.get(
        "/v1/deadlines", params=SMALL_WINDOW, headers=auth("viewer", **{"If-None-Match": "x" * 201})
    )
    assert_problem(response, 422)
