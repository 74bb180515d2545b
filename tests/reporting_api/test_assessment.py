"""Closing a period freezes what it said; the annual assessment is computed from closed periods only, ranks like
with like, and carries the office's bonus and penalty points (考核加减分)."""

import asyncio
import re
from datetime import date
from decimal import Decimal

import pytest

from services.common.auth import Principal, Role
from services.common.contracts.tasks import Unit
from services.common.db import Database, make_engine
from services.common.problems import ProblemError
from services.reporting_api.assessment import service
from services.reporting_api.assessment.schemas import AdjustmentPublic, Metric
from services.reporting_api.assessment.scores import (
    Tally,
    UnitTallies,
    assessment_lists,
    assessment_row,
    rank_list,
    score,
    unit_tallies,
)
from services.reporting_api.periods.models import DEFAULT_ASSESSMENT_GROUPS, DEFAULT_WEIGHTS, AssessmentGroup
from tests.reporting_api.test_reports import FULL_CONTENT, indicator_ids
from tests.reporting_api.test_reports import review as review_as_read

TRANSPORT, CULTURE = "市交通运输局", "市文旅局"
QUJIANG, JIANGSHAN = "衢江区", "江山市"
TWO_PLACES = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture
def units(quzhou, auth):
    return {
        name: {"id": quzhou.unit_id(name), "headers": auth("unit", unit_id=quzhou.unit_id(name))}
        for name in (TRANSPORT, CULTURE, QUJIANG, JIANGSHAN)
    }


def file_and_submit(client, headers, item_id, period, **content):
    report = client.post(
        "/v1/reports", json={"item_id": item_id, "period": period, **FULL_CONTENT, **content}, headers=headers
    )
    assert report.status_code == 201, report.text
    assert client.post(f"/v1/reports/{report.json()['id']}/submit", headers=headers).status_code == 200
    return report.json()["id"]


def review(client, auth, report_id, decision, comment=None):
    assert review_as_read(client, auth, report_id, decision, comment).status_code == 200


def values_of(client, quzhou, key, as_of="2024-12-31"):
    """A value for every indicator of the item: what a lead unit's summary must carry."""
    return [{"indicator_id": i, "value": 1, "as_of": as_of} for i in indicator_ids(client, quzhou.item(key))]


def close(client, auth, plan_id, period, as_of="2025-03-01"):
    return client.post(f"/v1/plans/{plan_id}/periods/{period}/close", params={"as_of": as_of}, headers=auth("office"))


def assessment(client, headers, plan_id, year=2024):
    response = client.get(f"/v1/plans/{plan_id}/assessment", params={"year": year}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def rows_by_name(found):
    return {row["unit_name"]: row for listed in found["lists"] for row in listed["rows"]}


def part(row, metric):
    return next(p for p in row["parts"] if p["metric"] == metric)


def nothing_due_yet(client, auth, plan_id, period="2024-Q3"):
    """The period's reports fall due far ahead: closing it judges lights and indicators, not lateness."""
    response = client.put(
        f"/v1/plans/{plan_id}/periods/{period}/due-date", json={"due_on": "2099-01-10"}, headers=auth("office")
    )
    assert response.status_code == 204, response.text


def adjust(client, auth, plan_id, body, year=2024, **headers):
    return client.post(
        f"/v1/plans/{plan_id}/assessment/adjustments",
        params={"year": year},
        json=body,
        headers=auth("office", **headers),
    )


# -- closing periods ----------------------------------------------------------------------------------------


def test_closing_a_period_freezes_its_compliance_and_locks_its_reports(reporting_client, auth, quzhou, units):
    headers = units[TRANSPORT]["headers"]
    report_id = file_and_submit(
        reporting_client,
        headers,
        quzhou.item("T9")["id"],
        "2024",
        measurements=values_of(reporting_client, quzhou, "T9"),
    )
    closed = close(reporting_client, auth, quzhou.plan_id, "2024")
    assert closed.status_code == 201, closed.text
    summary = closed.json()["snapshot"]["compliance"]["summary"]
    assert summary["submitted"] == 1
    locked = review_as_read(reporting_client, auth, report_id, "accept")
    assert locked.status_code == 409
    snapshot = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/periods/2024/snapshot", headers=auth("office"))
    assert snapshot.json()["snapshot"]["compliance"]["summary"] == summary


def test_closing_the_second_quarter_locks_the_half_year_summary_that_answers_it(reporting_client, auth, quzhou, units):
    """A summary answers for the quarter it closes: the snapshot of 2024-Q2 froze the 2024-H1 summary, which can no
    longer be reviewed."""
    headers = units[TRANSPORT]["headers"]
    t9 = quzhou.item("T9")["id"]
    values = values_of(reporting_client, quzhou, "T9", as_of="2024-06-30")
    report_id = file_and_submit(reporting_client, headers, t9, "2024-H1", measurements=values)
    closed = close(reporting_client, auth, quzhou.plan_id, "2024-Q2")
    assert closed.status_code == 201, closed.text
    frozen = [r["state"] for r in closed.json()["snapshot"]["compliance"]["data"] if r["report_id"] == report_id]
    assert frozen == ["submitted"]
    assert review_as_read(reporting_client, auth, report_id, "accept").status_code == 409


def test_a_never_submitted_draft_of_a_closed_period_is_not_deleted(reporting_client, auth, quzhou, units):
    """The closed snapshot names the draft (a step of the workflow, as editing it is): deleting it is refused too."""
    headers = units[TRANSPORT]["headers"]
    draft = reporting_client.post(
        "/v1/reports", json={"item_id": quzhou.item("T9")["id"], "period": "2024-Q3"}, headers=headers
    )
    report_id = draft.json()["id"]
    assert close(reporting_client, auth, quzhou.plan_id, "2024-Q3").status_code == 201
    deleted = reporting_client.delete(f"/v1/reports/{report_id}", headers={**headers, "If-Match": '"1"'})
    assert deleted.status_code == 409, deleted.text
    assert reporting_client.get(f"/v1/reports/{report_id}", headers=headers).status_code == 200


def test_a_closed_period_cannot_be_closed_again(reporting_client, auth, quzhou):
    assert close(reporting_client, auth, quzhou.plan_id, "2024-Q3").status_code == 201
    assert close(reporting_client, auth, quzhou.plan_id, "2024-Q3").status_code == 409


def test_two_closes_of_one_period_at_once_close_it_once(reporting_client, quzhou):
    app, office = reporting_client.app, Principal(subject="test-office-0", role=Role.OFFICE)

    async def close_once() -> str:
        try:
            await service.close_period(
                app.state.database,
                app.state.tasks,
                plan_id=quzhou.plan_id,
                period="2024-Q3",
                today=date(2025, 3, 1),
                principal=office,
            )
            return "closed"
        except ProblemError as exc:
            return str(exc.status)

    async def both() -> list[str]:
        return sorted(await asyncio.gather(close_once(), close_once()))

    assert reporting_client.portal.call(both) == ["409", "closed"]


def test_only_the_office_closes_a_period(reporting_client, auth, quzhou, units):
    response = reporting_client.post(
        f"/v1/plans/{quzhou.plan_id}/periods/2024-Q3/close", headers=units[TRANSPORT]["headers"]
    )
    assert response.status_code == 403


def test_the_snapshot_of_an_open_period_is_404(reporting_client, auth, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/periods/2024-Q2/snapshot", headers=auth("office"))
    assert response.status_code == 404


def test_the_assessment_needs_a_closed_period_of_the_year(reporting_client, auth, quzhou):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/assessment", params={"year": 2024}, headers=auth("office")
    )
    assert response.status_code == 422


# -- scores, lists and ranks ----------------------------------------------------------------------------------


def test_the_assessment_scores_units_from_closed_periods_with_their_breakdown(reporting_client, auth, quzhou, units):
    plan_id = quzhou.plan_id
    nothing_due_yet(reporting_client, auth, plan_id)
    first = file_and_submit(
        reporting_client, units[TRANSPORT]["headers"], quzhou.item("T9")["id"], "2024-Q3", self_status="on_track"
    )
    review(reporting_client, auth, first, "accept")
    returned = file_and_submit(reporting_client, units[CULTURE]["headers"], quzhou.item("T9")["id"], "2024-Q3")
    review(reporting_client, auth, returned, "return", "请补充")
    assert close(reporting_client, auth, plan_id, "2024-Q3", as_of="2024-12-31").status_code == 201
    found = assessment(reporting_client, auth("office"), plan_id)
    assert found["periods"] == ["2024-Q3"]
    rows = rows_by_name(found)
    transport = part(rows[TRANSPORT], "first_time_accepted")
    assert (transport["share"], transport["achieved"], transport["out_of"]) == ("1.0000", "1.0000", "1.0000")
    assert part(rows[CULTURE], "first_time_accepted")["share"] == "0.0000"
    assert Decimal(rows[TRANSPORT]["total"]) > Decimal(rows[CULTURE]["total"])
    assert rows[TRANSPORT]["rank"] < rows[CULTURE]["rank"]


def first_time(client, auth, plan_id, unit=TRANSPORT):
    found = assessment(client, auth("office"), plan_id)
    first = part(rows_by_name(found)[unit], "first_time_accepted")
    return first["achieved"], first["out_of"]


def withdraw(client, headers, report_id):
    assert client.post(f"/v1/reports/{report_id}/withdraw", headers=headers).status_code == 200


def test_a_submission_withdrawn_before_any_review_does_not_count_against_first_time_acceptance(
    reporting_client, auth, quzhou, units
):
    """A withdrawn submission counts as never made: the report accepted at the first review it had was accepted
    first time."""
    headers = units[TRANSPORT]["headers"]
    values = values_of(reporting_client, quzhou, "T9")
    report_id = file_and_submit(reporting_client, headers, quzhou.item("T9")["id"], "2024", measurements=values)
    withdraw(reporting_client, headers, report_id)
    assert reporting_client.post(f"/v1/reports/{report_id}/submit", headers=headers).status_code == 200
    review(reporting_client, auth, report_id, "accept")
    assert close(reporting_client, auth, quzhou.plan_id, "2024").status_code == 201
    assert first_time(reporting_client, auth, quzhou.plan_id) == ("1.0000", "1.0000")


def test_a_report_never_reviewed_is_not_among_the_reviewed_ones(reporting_client, auth, quzhou, units):
    headers = units[TRANSPORT]["headers"]
    values = values_of(reporting_client, quzhou, "T9")
    report_id = file_and_submit(reporting_client, headers, quzhou.item("T9")["id"], "2024", measurements=values)
    withdraw(reporting_client, headers, report_id)
    assert close(reporting_client, auth, quzhou.plan_id, "2024").status_code == 201
    assert first_time(reporting_client, auth, quzhou.plan_id)[1] == "0.0000"


def test_closing_the_fourth_quarter_keeps_the_outcomes_of_the_annual_summaries_that_answer_it(
    reporting_client, auth, quzhou, units
):
    """2024-Q4 is answered by the annual summaries: its snapshot keeps their review outcomes, as closing 2024 would."""
    headers = units[TRANSPORT]["headers"]
    values = values_of(reporting_client, quzhou, "T9")
    report_id = file_and_submit(reporting_client, headers, quzhou.item("T9")["id"], "2024", measurements=values)
    review(reporting_client, auth, report_id, "accept")
    closed = close(reporting_client, auth, quzhou.plan_id, "2024-Q4")
    assert closed.status_code == 201, closed.text
    assert [r["report_id"] for r in closed.json()["snapshot"]["reports"]] == [report_id]
    assert first_time(reporting_client, auth, quzhou.plan_id) == ("1.0000", "1.0000")


def test_units_are_ranked_within_their_kind_in_lists_of_their_own(reporting_client, auth, quzhou):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    lists = {listed["key"]: listed for listed in assessment(reporting_client, auth("office"), quzhou.plan_id)["lists"]}
    assert list(lists) == [group["key"] for group in DEFAULT_ASSESSMENT_GROUPS]
    assert {row["unit_kind"] for row in lists["counties"]["rows"]} == {"county"}
    assert {row["unit_kind"] for row in lists["departments"]["rows"]} == {"department"}
    assert lists["counties"]["ranked"] and lists["counties"]["rows"][0]["rank"] == 1
    assert {row["unit_name"] for row in lists["zones"]["rows"]} >= {"绿色产业集聚区", "市西区管委会"}
    assert {row["rank"] for row in lists["zones"]["rows"]} == {None}
    assert {row["rank"] for row in lists["universities"]["rows"]} == {None}


def test_the_plan_may_rank_several_kinds_in_one_list_each_also_ranked_within_its_kind(reporting_client, auth, quzhou):
    groups = [{"key": "local", "title": "县市区和功能区", "kinds": ["county", "zone"], "ranked": True}]
    changed = reporting_client.patch(
        f"/v1/plans/{quzhou.plan_id}/rules",
        json={"assessment_groups": groups},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert changed.status_code == 200, changed.text
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    found = assessment(reporting_client, auth("office"), quzhou.plan_id)
    assert [listed["key"] for listed in found["lists"]] == ["local"]
    rows = found["lists"][0]["rows"]
    assert {row["unit_kind"] for row in rows} == {"county", "zone"}
    for kind in ("county", "zone"):
        own = sorted(row["rank_in_kind"] for row in rows if row["unit_kind"] == kind)
        assert own[0] == 1


def test_counties_that_co_operate_get_real_scores_instead_of_tying_at_0(reporting_client, auth, quzhou, units):
    # Nothing is due yet, so what tells counties apart is how the items they work on go. 衢江区 co-operates on
    # T12, whose lead reports it delayed (red); 江山市's items are all on track. Counties counted only through
    # reports used to tie at 0 here, while every department that leads an item scored.
    plan_id = quzhou.plan_id
    nothing_due_yet(reporting_client, auth, plan_id)
    t12 = quzhou._client.get(f"/v1/items/{quzhou.item('T12')['id']}", headers=auth("viewer")).json()
    lead = next(r["unit_id"] for r in t12["responsibilities"] if r["role"] == "lead")
    assert QUJIANG in {r["unit_name"] for r in t12["responsibilities"] if r["role"] == "co"}
    file_and_submit(reporting_client, auth("unit", unit_id=lead), t12["id"], "2024-Q3", self_status="delayed")
    assert close(reporting_client, auth, plan_id, "2024-Q3", as_of="2024-12-31").status_code == 201
    rows = rows_by_name(assessment(reporting_client, auth("office"), plan_id))
    quijang, jiangshan = rows[QUJIANG], rows[JIANGSHAN]
    assert Decimal(jiangshan["total"]) > Decimal(quijang["total"]) > 0
    assert part(quijang, "green_or_done")["out_of"] == "1.5000"  # three co-operated items at 0.5 each
    assert part(quijang, "green_or_done")["achieved"] == "1.0000"
    assert jiangshan["rank"] < quijang["rank"]


def test_scores_are_fixed_point_decimals_written_as_strings(reporting_client, auth, quzhou, units):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    rows = rows_by_name(assessment(reporting_client, auth("office"), quzhou.plan_id))
    scored = [row for row in rows.values() if row["total"] is not None]
    assert scored
    for row in scored:
        assert TWO_PLACES.match(row["total"]) and TWO_PLACES.match(row["score"])
        assert all(TWO_PLACES.match(p["points"]) for p in row["parts"])
        assert Decimal(row["score"]) == sum(Decimal(p["points"]) for p in row["parts"])


def test_a_part_without_data_spreads_its_weight_over_the_others():
    tallies = UnitTallies()
    tallies.parts[Metric.ON_TIME] = Tally(Decimal(1), Decimal(2))
    tallies.parts[Metric.FIRST_TIME_ACCEPTED] = Tally(Decimal(1), Decimal(1))
    parts, total = score(tallies, DEFAULT_WEIGHTS)
    applied = {p.metric: p.applied_weight for p in parts}
    assert applied == {
        Metric.ON_TIME: Decimal("0.6000"),
        Metric.FIRST_TIME_ACCEPTED: Decimal("0.4000"),
        Metric.GREEN_OR_DONE: 0,
        Metric.INDICATOR_ATTAINMENT: 0,
    }
    assert total == Decimal("70.00")


def test_points_round_half_up_to_two_places_and_the_score_is_their_sum():
    tallies = UnitTallies()
    tallies.parts[Metric.ON_TIME] = Tally(Decimal(1), Decimal(8))  # 0.125 × 30 = 3.75
    tallies.parts[Metric.GREEN_OR_DONE] = Tally(Decimal(1), Decimal(3))  # 0.3333… × 30 = 9.999…
    tallies.parts[Metric.INDICATOR_ATTAINMENT] = Tally(Decimal("0.375"), Decimal(1))
    weights = {"on_time": 0.3, "first_time_accepted": 0.4, "green_or_done": 0.3, "indicator_attainment": 0.2}
    parts, total = score(tallies, weights)
    points = {p.metric: p.points for p in parts}
    # the weights of the parts with data (0.8) spread to 1: 3.75/0.8 = 4.6875 → 4.69; 0.375 × 25 = 9.375 → 9.38
    assert points[Metric.ON_TIME] == Decimal("4.69")
    assert points[Metric.INDICATOR_ATTAINMENT] == Decimal("9.38")
    assert points[Metric.GREEN_OR_DONE] == Decimal("12.50")
    assert total == Decimal("26.57")


def _row(unit_id, name, total, kind="county"):
    row = assessment_row(Unit(id=unit_id, name=name, kind=kind), UnitTallies(), [], DEFAULT_WEIGHTS)
    return row.model_copy(update={"total": None if total is None else Decimal(total)})


def test_equal_totals_share_a_rank_and_the_note_names_whom_they_tie_with():
    rows = rank_list(
        [
            _row(1, "甲", "90.00"),
            _row(2, "乙", "87.50"),
            _row(3, "丙", "87.50"),
            _row(4, "丁", "80.00"),
            _row(5, "戊", None),
        ],
        ranked=True,
    )
    assert [(r.unit_name, r.rank) for r in rows] == [("甲", 1), ("丙", 2), ("乙", 2), ("丁", 4), ("戊", None)]
    assert rows[1].tied_with == ["乙"] and rows[1].note.startswith("tied with 乙 at 87.50")
    assert rows[0].note is None and rows[4].note.startswith("not ranked")


# -- what is never assessed, and who sees what ----------------------------------------------------------------


def test_collective_phrases_and_units_unknown_to_tasks_api_are_never_assessed():
    units = {
        1: Unit(id=1, name="柯城区", kind="county"),
        2: Unit(id=2, name="市级有关部门", kind="collective"),
        3: Unit(id=3, name="市级有关部门", kind="placeholder"),
    }
    tallies = {unit_id: UnitTallies() for unit_id in (1, 2, 3, 4)}
    groups = [AssessmentGroup.model_validate(group) for group in DEFAULT_ASSESSMENT_GROUPS]
    lists = assessment_lists(tallies, units, [], groups, DEFAULT_WEIGHTS)
    assert [row.unit_name for listed in lists for row in listed.rows] == ["柯城区"]


def test_a_placeholder_responsibility_without_a_unit_is_never_assessed():
    lights = [{"item_id": 1, "lead_unit_id": None, "light": "red"}, {"item_id": 2, "lead_unit_id": 7, "light": "green"}]
    duties = [
        {"item_id": 1, "unit_id": None, "role": "lead"},
        {"item_id": 1, "unit_id": 7, "role": "co"},
        {"item_id": 2, "unit_id": 7, "role": "lead"},
    ]
    snapshot = {
        "due_on": "2025-01-10",
        "compliance": {"data": []},
        "reports": [],
        "indicators": [],
        "traffic_lights": {"data": lights},
        "responsibilities": duties,
    }
    groups = [AssessmentGroup.model_validate(group) for group in DEFAULT_ASSESSMENT_GROUPS]
    lists = assessment_lists(
        unit_tallies([snapshot]), {7: Unit(id=7, name="柯城区", kind="county")}, [], groups, DEFAULT_WEIGHTS
    )
    rows = [row for listed in lists for row in listed.rows]
    assert [(row.unit_name, row.parts[2].achieved, row.parts[2].out_of) for row in rows] == [
        ("柯城区", Decimal("1.0000"), Decimal("1.5000"))
    ]


def test_a_plan_cannot_put_a_collective_placeholder_into_its_assessment(reporting_client, auth, quzhou):
    groups = [{"key": "all", "title": "全部", "kinds": ["department", "collective"], "ranked": True}]
    response = reporting_client.patch(
        f"/v1/plans/{quzhou.plan_id}/rules",
        json={"assessment_groups": groups},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert response.status_code == 422


def test_a_kind_named_in_no_list_is_left_out(reporting_client, auth, quzhou):
    groups = [{"key": "counties", "title": "县（市、区）", "kinds": ["county"], "ranked": True}]
    reporting_client.patch(
        f"/v1/plans/{quzhou.plan_id}/rules",
        json={"assessment_groups": groups},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    rows = rows_by_name(assessment(reporting_client, auth("office"), quzhou.plan_id))
    assert {row["unit_kind"] for row in rows.values()} == {"county"}


def test_a_unit_sees_only_its_own_row(reporting_client, auth, quzhou, units):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    found = assessment(reporting_client, units[TRANSPORT]["headers"], quzhou.plan_id)
    assert [row["unit_id"] for listed in found["lists"] for row in listed["rows"]] == [units[TRANSPORT]["id"]]


def test_a_unit_tied_with_others_is_not_told_who_they_are(reporting_client, auth, quzhou, units):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")  # nobody reported: many departments tie
    office_view = rows_by_name(assessment(reporting_client, auth("office"), quzhou.plan_id))[TRANSPORT]
    assert office_view["tied_with"]
    own = rows_by_name(assessment(reporting_client, units[TRANSPORT]["headers"], quzhou.plan_id))[TRANSPORT]
    assert own["tied_with"] == [] and own["rank"] == office_view["rank"]
    assert not any(name in own["note"] for name in office_view["tied_with"])


# -- 考核加减分 -----------------------------------------------------------------------------------------------


def test_adjustments_add_and_subtract_points_with_their_reasons(reporting_client, auth, quzhou, units):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    before = rows_by_name(assessment(reporting_client, auth("office"), quzhou.plan_id))[QUJIANG]
    unit_id = units[QUJIANG]["id"]
    bonus = adjust(
        reporting_client, auth, quzhou.plan_id, {"unit_id": unit_id, "points": 2.5, "reason": "获评省级示范项目"}
    )
    assert bonus.status_code == 201, bonus.text
    assert bonus.json()["points"] == "2.50" and bonus.headers["Location"].endswith(f"/{bonus.json()['id']}")
    assert (
        adjust(
            reporting_client, auth, quzhou.plan_id, {"unit_id": unit_id, "points": "-1.25", "reason": "季度报送被通报"}
        ).status_code
        == 201
    )
    after = rows_by_name(assessment(reporting_client, auth("office"), quzhou.plan_id))[QUJIANG]
    assert [(a["points"], a["reason"]) for a in after["adjustments"]] == [
        ("2.50", "获评省级示范项目"),
        ("-1.25", "季度报送被通报"),
    ]
    assert after["adjustment_points"] == "1.25"
    assert Decimal(after["total"]) == Decimal(before["total"]) + Decimal("1.25")
    assert after["score"] == before["score"]


def test_adjustments_are_listed_by_year_and_can_be_withdrawn_with_the_etag(reporting_client, auth, quzhou, units):
    created = adjust(
        reporting_client, auth, quzhou.plan_id, {"unit_id": units[QUJIANG]["id"], "points": 3, "reason": "专项督查表扬"}
    ).json()
    url = f"/v1/plans/{quzhou.plan_id}/assessment/adjustments"
    listed = reporting_client.get(url, params={"year": 2024}, headers=auth("office")).json()["data"]
    assert [a["id"] for a in listed] == [created["id"]]
    assert reporting_client.get(url, params={"year": 2025}, headers=auth("office")).json()["data"] == []
    one = reporting_client.get(f"{url}/{created['id']}", headers=auth("office"))
    assert reporting_client.delete(f"{url}/{created['id']}", headers=auth("office")).status_code == 428
    withdrawn = reporting_client.delete(
        f"{url}/{created['id']}", headers=auth("office", **{"If-Match": one.headers["ETag"]})
    )
    assert withdrawn.status_code == 204
    assert reporting_client.get(url, params={"year": 2024}, headers=auth("office")).json()["data"] == []


def test_adjustments_are_in_the_change_history(reporting_client, auth, quzhou, units):
    created = adjust(
        reporting_client, auth, quzhou.plan_id, {"unit_id": units[QUJIANG]["id"], "points": -2, "reason": "未按期整改"}
    ).json()
    url = f"/v1/plans/{quzhou.plan_id}/assessment/adjustments/{created['id']}"
    reporting_client.delete(url, headers=auth("office", **{"If-Match": '"1"'}))
    history = reporting_client.get(f"/v1/history/assessment_adjustment/{created['id']}", headers=auth("office"))
    assert history.status_code == 200, history.text
    changes = history.json()["data"]
    assert [c["action"] for c in changes] == ["create", "delete"]
    assert changes[0]["changes"]["points"] == [None, "-2.00"]
    assert changes[0]["changes"]["reason"] == [None, "未按期整改"]
    assert changes[1]["actor"] == "test-office-0"


def test_a_retried_adjustment_with_the_same_idempotency_key_is_given_once(reporting_client, auth, quzhou, units):
    body = {"unit_id": units[QUJIANG]["id"], "points": 1, "reason": "重复提交"}
    first = adjust(reporting_client, auth, quzhou.plan_id, body, **{"Idempotency-Key": "adj-1"})
    again = adjust(reporting_client, auth, quzhou.plan_id, body, **{"Idempotency-Key": "adj-1"})
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    listed = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/assessment/adjustments", params={"year": 2024}, headers=auth("office")
    ).json()["data"]
    assert len(listed) == 1


def test_only_the_office_adjusts_or_reads_adjustments(reporting_client, auth, quzhou, units):
    created = adjust(
        reporting_client, auth, quzhou.plan_id, {"unit_id": units[QUJIANG]["id"], "points": 1, "reason": "表扬"}
    ).json()
    unit = units[QUJIANG]["headers"]
    url = f"/v1/plans/{quzhou.plan_id}/assessment/adjustments"
    assert (
        reporting_client.post(
            url,
            params={"year": 2024},
            headers=unit,
            json={"unit_id": units[QUJIANG]["id"], "points": 5, "reason": "自己加分"},
        ).status_code
        == 403
    )
    assert reporting_client.get(url, params={"year": 2024}, headers=unit).status_code == 403
    assert reporting_client.delete(f"{url}/{created['id']}", headers={**unit, "If-Match": '"1"'}).status_code == 403
    assert reporting_client.get(f"/v1/history/assessment_adjustment/{created['id']}", headers=unit).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"points": 0, "reason": "无"},
        {"points": 20.01, "reason": "超出上限"},
        {"points": -25, "reason": "超出下限"},
        {"points": 1.234, "reason": "三位小数"},
        {"points": 1},
        {"points": 1, "reason": "  "},
        {"points": 1, "reason": "理由", "extra": True},
    ],
    ids=["zero", "above-20", "below-20", "three-places", "no-reason", "blank-reason", "unknown-field"],
)
def test_bad_adjustments_are_refused(reporting_client, auth, quzhou, units, body):
    response = adjust(reporting_client, auth, quzhou.plan_id, {"unit_id": units[QUJIANG]["id"], **body})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_an_adjustment_needs_a_real_unit_and_a_year_of_the_plan(reporting_client, auth, quzhou, units):
    body = {"unit_id": units[QUJIANG]["id"], "points": 1, "reason": "表扬"}
    assert adjust(reporting_client, auth, quzhou.plan_id, {**body, "unit_id": 999999}).status_code == 422
    assert adjust(reporting_client, auth, quzhou.plan_id, body, year=2031).status_code == 422
    assert adjust(reporting_client, auth, 999999, body).status_code == 404


def test_an_adjustment_of_another_plan_is_404(reporting_client, auth, quzhou, units):
    created = adjust(
        reporting_client, auth, quzhou.plan_id, {"unit_id": units[QUJIANG]["id"], "points": 1, "reason": "表扬"}
    ).json()
    response = reporting_client.get(f"/v1/plans/999999/assessment/adjustments/{created['id']}", headers=auth("office"))
    assert response.status_code == 404


def test_adjustments_of_an_unscored_unit_are_shown_but_give_no_total():
    adjustment = AdjustmentPublic(
        id=1,
        plan_id=1,
        year=2024,
        unit_id=1,
        points=Decimal("2.00"),
        reason="表扬",
        created_by="office",
        created_at="2024-12-31T00:00:00Z",
        version=1,
    )
    row = assessment_row(Unit(id=1, name="柯城区", kind="county"), UnitTallies(), [adjustment], DEFAULT_WEIGHTS)
    assert row.adjustment_points == Decimal("2.00") and row.total is None


def test_a_stale_etag_cannot_withdraw_an_adjustment(reporting_client, auth, quzhou, units):
    created = adjust(
        reporting_client, auth, quzhou.plan_id, {"unit_id": units[QUJIANG]["id"], "points": 1, "reason": "表扬"}
    ).json()
    url = f"/v1/plans/{quzhou.plan_id}/assessment/adjustments/{created['id']}"
    assert reporting_client.delete(url, headers=auth("office", **{"If-Match": '"7"'})).status_code == 412
    assert reporting_client.get(url, headers=auth("office")).status_code == 200


def test_two_withdrawals_of_one_adjustment_at_once_withdraw_it_once(
    reporting_client, reporting_database, auth, quzhou, units
):
    office = Principal(subject="test-office-0", role=Role.OFFICE)
    ids = [
        adjust(
            reporting_client, auth, quzhou.plan_id, {"unit_id": units[QUJIANG]["id"], "points": 1, "reason": "表扬"}
        ).json()["id"]
        for _ in range(5)
    ]

    async def withdraw(database: Database, adjustment_id: int) -> str:
        try:
            await service.delete_adjustment(
                database, plan_id=quzhou.plan_id, adjustment_id=adjustment_id, version=1, actor=office
            )
            return "withdrawn"
        except ProblemError as exc:
            return str(exc.status)

    async def races() -> list[list[str]]:
        database = Database(make_engine(reporting_database))
        try:  # each round: two connections, released together
            return [sorted(await asyncio.gather(withdraw(database, one), withdraw(database, one))) for one in ids]
        finally:
            await database.dispose()

    assert asyncio.run(races()) == [["404", "withdrawn"]] * len(ids)
    for adjustment_id in ids:
        history = reporting_client.get(
            f"/v1/history/assessment_adjustment/{adjustment_id}", headers=auth("office")
        ).json()["data"]
        assert [change["action"] for change in history] == ["create", "delete"]
