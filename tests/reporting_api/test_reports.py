"""Progress reports: who files what, the review workflow, versions, lateness and refusals."""

from datetime import datetime

import pytest

from services.common import clock
from services.common.history import history_of
from services.reporting_api.db import change_log
from services.reporting_api.reports.repository import reports as reports_table

TRANSPORT = "市交通运输局"


@pytest.fixture
def t9(quzhou):
    """Task 9 (roads), led by 市交通运输局 with 市文旅局 co-operating."""
    return quzhou.item("T9")


# What every type of report must say before it is submitted (a summary's indicator values aside).
FULL_CONTENT = {"progress": "推进中", "achievements": "完成阶段目标", "problems": "无", "next_steps": "继续推进"}


def file_report(client, headers, item_id, period="2024-Q1", **content):
    response = client.post(
        "/v1/reports", json={"item_id": item_id, "period": period, **FULL_CONTENT, **content}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def indicator_ids(client, item):
    """The ids of the item's indicators (read from tasks_api, as the app's peer)."""
    return [i.id for i in client.portal.call(client.app.state.tasks.item_indicators, item["id"])]


def values_for(quzhou, key, as_of):
    """A value for every indicator of the item `key` (read through tasks_api): what a lead unit's summary carries."""
    rows = quzhou._client.get(f"/v1/items/{quzhou.item(key)['id']}/indicators", headers=quzhou._headers).json()
    return [{"indicator_id": i["id"], "value": 1, "as_of": as_of} for i in rows["data"]]


def submit(client, headers, report_id):
    response = client.post(f"/v1/reports/{report_id}/submit", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def etag_of(client, headers, report_id):
    response = client.get(f"/v1/reports/{report_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def review(client, auth, report_id, decision, comment=None):
    """The office reads the report and reviews the version it read."""
    office = auth("office")
    return client.post(
        f"/v1/reports/{report_id}/review",
        json={"decision": decision, "comment": comment},
        headers={**office, "If-Match": etag_of(client, office, report_id)},
    )


def test_a_unit_files_a_draft_for_an_item_it_is_responsible_for(reporting_client, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    assert (report["status"], report["unit_id"], report["role"]) == ("draft", transport["unit_id"], "lead")


def test_chinese_text_of_any_length_round_trips_exactly(reporting_client, t9, transport):
    text = "衢州市交通运输局：杭衢高铁建设顺利推进，𠮷野家“引号”《书名》\n第二段。" * 500
    report = file_report(reporting_client, transport["headers"], t9["id"], progress=text)
    read = reporting_client.get(f"/v1/reports/{report['id']}", headers=transport["headers"]).json()
    assert read["progress"] == text


def test_text_over_the_documented_limit_is_refused(reporting_client, t9, transport):
    response = reporting_client.post(
        "/v1/reports",
        json={"item_id": t9["id"], "period": "2024-Q1", "progress": "长" * 20_001},
        headers=transport["headers"],
    )
    assert response.status_code == 422


def test_unit_cannot_report_on_item_it_is_not_responsible_for(reporting_client, auth, quzhou, transport):
    response = reporting_client.post(
        "/v1/reports", json={"item_id": quzhou.item("T24")["id"], "period": "2024-Q1"}, headers=transport["headers"]
    )
    assert response.status_code == 403
    assert reporting_client.get("/v1/reports", headers=auth("office")).json()["data"] == []


def test_unit_cannot_report_for_another_unit(reporting_client, quzhou, t9, transport):
    response = reporting_client.post(
        "/v1/reports",
        json={"item_id": t9["id"], "period": "2024-Q1", "unit_id": quzhou.unit_id("市文旅局")},
        headers=transport["headers"],
    )
    assert response.status_code == 403


def test_one_open_report_per_item_unit_and_period(reporting_client, t9, transport):
    file_report(reporting_client, transport["headers"], t9["id"])
    again = reporting_client.post(
        "/v1/reports", json={"item_id": t9["id"], "period": "2024-Q1"}, headers=transport["headers"]
    )
    assert again.status_code == 409


def test_a_period_outside_the_plan_is_refused(reporting_client, t9, transport):
    response = reporting_client.post(
        "/v1/reports", json={"item_id": t9["id"], "period": "2030-Q1"}, headers=transport["headers"]
    )
    assert response.status_code == 422


def test_a_measurement_must_name_an_indicator_of_the_item(reporting_client, quzhou, t9, transport):
    good = quzhou.indicator_id("T9-expressway-km")
    ok = reporting_client.post(
        "/v1/reports",
        json={
            "item_id": t9["id"],
            "period": "2024-H1",
            "measurements": [{"indicator_id": good, "value": 120.5, "as_of": "2024-06-30"}],
        },
        headers=transport["headers"],
    )
    assert ok.status_code == 201, ok.text
    bad = reporting_client.post(
        "/v1/reports",
        json={
            "item_id": t9["id"],
            "period": "2024-Q3",
            "measurements": [{"indicator_id": 999999, "value": 1, "as_of": "2024-09-30"}],
        },
        headers=transport["headers"],
    )
    assert bad.status_code == 422


def test_the_office_returns_with_a_reason_and_accepts_the_resubmission(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    assert review(reporting_client, auth, report["id"], "return", "请补充里程数据").json()["status"] == "returned"
    edited = reporting_client.patch(
        f"/v1/reports/{report['id']}",
        json={"progress": "已补充：建成 120 公里"},
        headers={**transport["headers"], "If-Match": '"3"'},
    )
    assert edited.status_code == 200, edited.text
    resubmitted = submit(reporting_client, transport["headers"], report["id"])
    assert resubmitted["submissions"] == 2
    assert review(reporting_client, auth, report["id"], "accept").json()["status"] == "accepted"
    versions = reporting_client.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()["data"]
    assert [(v["number"], v["outcome"]) for v in versions] == [(1, "returned"), (2, "accepted")]
    assert versions[0]["content"]["progress"] == "推进中"
    assert versions[1]["content"]["progress"] == "已补充：建成 120 公里"


def test_every_transition_is_recorded(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    review(reporting_client, auth, report["id"], "return", "不完整")
    history = reporting_client.get(f"/v1/reports/{report['id']}/history", headers=auth("office")).json()["data"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "returned"),
    ]
    assert history[2]["comment"] == "不完整"
    assert history[2]["actor"] == "test-office-0"


def test_a_reports_history_and_versions_page_like_any_list(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    review(reporting_client, auth, report["id"], "return", "不完整")
    url = f"/v1/reports/{report['id']}/history"
    first = reporting_client.get(url, params={"limit": 2}, headers=auth("office"))
    rest = reporting_client.get(first.links["next"]["url"], headers=auth("office")).json()
    assert [h["to_status"] for h in first.json()["data"]] == ["draft", "submitted"]
    assert (rest["data"][0]["to_status"], rest["next_cursor"]) == ("returned", None)
    versions = reporting_client.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()
    assert ([v["number"] for v in versions["data"]], versions["next_cursor"]) == ([1], None)


def test_returning_without_a_reason_is_refused(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    assert review(reporting_client, auth, report["id"], "return", " ").status_code == 422


def test_submitted_and_accepted_reports_cannot_be_edited(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submitted = submit(reporting_client, transport["headers"], report["id"])
    edit = reporting_client.patch(
        f"/v1/reports/{report['id']}",
        json={"progress": "改"},
        headers={**transport["headers"], "If-Match": f'"{submitted["version"]}"'},
    )
    assert edit.status_code == 409


@pytest.mark.parametrize("role", ["unit", "viewer", "service"])
def test_only_the_office_reviews(reporting_client, auth, t9, transport, role):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    response = reporting_client.post(
        f"/v1/reports/{report['id']}/review",
        json={"decision": "accept"},
        headers=auth(role, unit_id=transport["unit_id"]),
    )
    assert response.status_code == 403


def test_a_report_submitted_after_its_due_date_is_late_by_working_days(reporting_client, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"], period="2024-Q1")
    with clock.frozen(datetime(2024, 4, 12, 10, 0, tzinfo=clock.SHANGHAI)):  # the Friday after a Wednesday due date
        submitted = submit(reporting_client, transport["headers"], report["id"])
    assert submitted["late"] is True
    assert submitted["due_on"] == "2024-04-10"
    assert submitted["days_late"] == 2


def test_a_report_submitted_before_an_extended_due_date_is_on_time(reporting_client, auth, quzhou, t9, transport):
    reporting_client.put(
        f"/v1/plans/{quzhou.plan_id}/periods/2025/due-date", json={"due_on": "2099-01-10"}, headers=auth("office")
    )
    values = [{"indicator_id": i, "value": 1, "as_of": "2025-12-31"} for i in indicator_ids(reporting_client, t9)]
    report = file_report(reporting_client, transport["headers"], t9["id"], period="2025", measurements=values)
    submitted = submit(reporting_client, transport["headers"], report["id"])
    assert (submitted["late"], submitted["days_late"]) == (False, 0)


def test_a_unit_does_not_see_another_units_report(reporting_client, auth, quzhou, t9, transport):
    report = file_report(reporting_client, transport["headers"], quzhou.item("KW7")["id"], period="2019")
    culture = auth("unit", unit_id=quzhou.unit_id("市文旅局"))
    assert reporting_client.get(f"/v1/reports/{report['id']}", headers=culture).status_code == 404
    assert reporting_client.get("/v1/reports", headers=culture).json()["data"] == []


def test_the_lead_unit_reads_the_contributions_of_its_co_operating_units(reporting_client, auth, quzhou, t9, transport):
    culture = auth("unit", unit_id=quzhou.unit_id("市文旅局"))
    contribution = file_report(reporting_client, culture, t9["id"])
    assert contribution["role"] == "co"
    assert reporting_client.get(f"/v1/reports/{contribution['id']}", headers=transport["headers"]).status_code == 200
    edit = reporting_client.patch(
        f"/v1/reports/{contribution['id']}",
        json={"progress": "改"},
        headers={**transport["headers"], "If-Match": '"1"'},
    )
    assert edit.status_code == 403


def test_reports_are_filtered_by_plan_period_status_and_lateness(reporting_client, auth, quzhou, t9, transport):
    first = file_report(reporting_client, transport["headers"], t9["id"], period="2024-Q1")
    file_report(reporting_client, transport["headers"], t9["id"], period="2024-H1")
    submit(reporting_client, transport["headers"], first["id"])
    listed = reporting_client.get(
        "/v1/reports",
        params={"plan_id": quzhou.plan_id, "period": "2024-Q1", "status": "submitted", "late": True},
        headers=auth("office"),
    )
    assert [r["id"] for r in listed.json()["data"]] == [first["id"]]


def submitted_report(client, headers, item_id, period="2024-Q1"):
    report = file_report(client, headers, item_id, period=period)
    return submit(client, headers, report["id"])


def office_step(client, auth, report_id, step, etag=None, **body):
    headers = {**auth("office"), **({"If-Match": etag} if etag else {})}
    return client.post(f"/v1/reports/{report_id}/{step}", json=body or None, headers=headers)


def history(client, auth, report_id):
    rows = client.get(f"/v1/reports/{report_id}/history", headers=auth("office")).json()["data"]
    return [(h["from_status"], h["to_status"], h["comment"]) for h in rows]


def test_a_review_without_if_match_is_refused_with_428(reporting_client, auth, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    response = office_step(reporting_client, auth, report["id"], "review", decision="accept")
    assert response.status_code == 428
    assert reporting_client.get(f"/v1/reports/{report['id']}", headers=auth("office")).json()["status"] == "submitted"


def test_a_review_on_a_stale_etag_is_refused_with_412_and_writes_nothing(reporting_client, auth, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    seen = f'"{report["version"]}"'
    assert office_step(reporting_client, auth, report["id"], "review", seen, decision="accept").status_code == 200
    second = office_step(reporting_client, auth, report["id"], "review", seen, decision="return", comment="不完整")
    assert second.status_code == 412
    versions = reporting_client.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()["data"]
    assert [v["outcome"] for v in versions] == ["accepted"]
    assert history(reporting_client, auth, report["id"])[-1] == ("submitted", "accepted", None)


def test_an_edit_on_the_etag_read_before_a_submit_is_refused(reporting_client, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    edit = reporting_client.patch(
        f"/v1/reports/{report['id']}",
        json={"progress": "改"},
        headers={**transport["headers"], "If-Match": f'"{report["version"]}"'},
    )
    assert edit.status_code == 412


def test_a_submit_on_a_stale_etag_is_refused_and_the_next_submit_holds_the_edit(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    before_edit = f'"{report["version"]}"'
    edited = reporting_client.patch(
        f"/v1/reports/{report['id']}",
        json={"progress": "已建成 120 公里"},
        headers={**transport["headers"], "If-Match": before_edit},
    )
    assert edited.status_code == 200, edited.text
    stale = reporting_client.post(
        f"/v1/reports/{report['id']}/submit", headers={**transport["headers"], "If-Match": before_edit}
    )
    assert stale.status_code == 412
    submit(reporting_client, transport["headers"], report["id"])
    [version] = reporting_client.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()["data"]
    assert version["content"]["progress"] == "已建成 120 公里"


def test_a_unit_withdraws_a_submission_not_yet_reviewed(reporting_client, auth, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    response = reporting_client.post(
        f"/v1/reports/{report['id']}/withdraw",
        json={"comment": "数据有误"},
        headers={**transport["headers"], "If-Match": f'"{report["version"]}"'},
    )
    assert response.status_code == 200, response.text
    withdrawn = response.json()
    assert (withdrawn["status"], withdrawn["first_submitted_at"], withdrawn["late"]) == ("draft", None, False)
    versions = reporting_client.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()["data"]
    assert [(v["number"], v["outcome"]) for v in versions] == [(1, "withdrawn")]
    assert history(reporting_client, auth, report["id"])[-1] == ("submitted", "draft", "数据有误")
    assert submit(reporting_client, transport["headers"], report["id"])["submissions"] == 2


def test_a_reviewed_report_cannot_be_withdrawn(reporting_client, auth, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    review(reporting_client, auth, report["id"], "accept")
    response = reporting_client.post(f"/v1/reports/{report['id']}/withdraw", headers=transport["headers"])
    assert response.status_code == 409


def test_a_unit_cannot_withdraw_another_units_report(reporting_client, auth, quzhou, t9, transport):
    culture = auth("unit", unit_id=quzhou.unit_id("市文旅局"))
    contribution = submitted_report(reporting_client, culture, t9["id"])
    lead = reporting_client.post(f"/v1/reports/{contribution['id']}/withdraw", headers=transport["headers"])
    assert lead.status_code == 403
    stranger = auth("unit", unit_id=quzhou.unit_id("市财政局"))
    assert reporting_client.post(f"/v1/reports/{contribution['id']}/withdraw", headers=stranger).status_code == 404


def test_the_office_reopens_an_accepted_report_with_a_reason(reporting_client, auth, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    accepted = review(reporting_client, auth, report["id"], "accept").json()
    response = office_step(
        reporting_client, auth, report["id"], "reopen", f'"{accepted["version"]}"', reason="里程数据需更正"
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "draft"
    assert history(reporting_client, auth, report["id"])[-1] == ("accepted", "draft", "里程数据需更正")
    versions = reporting_client.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()["data"]
    assert [v["outcome"] for v in versions] == ["accepted"]


def test_reopening_needs_a_reason(reporting_client, auth, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    review(reporting_client, auth, report["id"], "accept")
    assert office_step(reporting_client, auth, report["id"], "reopen", reason=" ").status_code == 422


def test_only_a_reviewed_report_is_reopened(reporting_client, auth, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    assert office_step(reporting_client, auth, report["id"], "reopen", reason="更正").status_code == 409


def test_a_unit_cannot_reopen_its_report(reporting_client, auth, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    review(reporting_client, auth, report["id"], "accept")
    response = reporting_client.post(
        f"/v1/reports/{report['id']}/reopen", json={"reason": "更正"}, headers=transport["headers"]
    )
    assert response.status_code == 403


def test_a_unit_deletes_its_draft_that_was_never_submitted_and_its_history_stays(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    deleted = reporting_client.delete(
        f"/v1/reports/{report['id']}", headers={**transport["headers"], "If-Match": f'"{report["version"]}"'}
    )
    assert deleted.status_code == 204
    assert reporting_client.get(f"/v1/reports/{report['id']}", headers=auth("office")).status_code == 404
    assert [entry["action"] for entry in change_log_of(reporting_client, report["id"])] == ["create", "delete"]


def change_log_of(client, report_id):
    """The change log's entries on the report (reporting_api keeps them; it has no route that reads them)."""

    async def read():
        async with client.app.state.database.read() as conn:
            return await history_of(conn, change_log, entity="report", entity_id=report_id, after_id=None, limit=50)

    return client.portal.call(read)


def test_deleting_a_draft_needs_if_match(reporting_client, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    assert reporting_client.delete(f"/v1/reports/{report['id']}", headers=transport["headers"]).status_code == 428


def test_a_report_that_was_ever_submitted_cannot_be_deleted(reporting_client, t9, transport):
    report = submitted_report(reporting_client, transport["headers"], t9["id"])
    withdrawn = reporting_client.post(f"/v1/reports/{report['id']}/withdraw", headers=transport["headers"]).json()
    response = reporting_client.delete(
        f"/v1/reports/{report['id']}", headers={**transport["headers"], "If-Match": f'"{withdrawn["version"]}"'}
    )
    assert response.status_code == 409


def test_a_unit_cannot_delete_another_units_draft(reporting_client, auth, quzhou, t9, transport):
    contribution = file_report(reporting_client, auth("unit", unit_id=quzhou.unit_id("市文旅局")), t9["id"])
    response = reporting_client.delete(
        f"/v1/reports/{contribution['id']}", headers={**transport["headers"], "If-Match": '"1"'}
    )
    assert response.status_code == 403


OUT_OF_Q3 = [{"value": 120.5, "as_of": "2030-09-30"}]


def dated(quzhou, measurements):
    return [{"indicator_id": quzhou.indicator_id("T9-expressway-km"), **m} for m in measurements]


def test_a_measurement_dated_outside_the_period_is_refused_on_filing(reporting_client, quzhou, t9, transport):
    response = reporting_client.post(
        "/v1/reports",
        json={"item_id": t9["id"], "period": "2025-Q3", "measurements": dated(quzhou, OUT_OF_Q3)},
        headers=transport["headers"],
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "measurements", 0, "as_of"]


def test_a_measurement_dated_outside_the_period_is_refused_on_editing(reporting_client, quzhou, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"], period="2025-Q3")
    response = reporting_client.patch(
        f"/v1/reports/{report['id']}",
        json={"measurements": dated(quzhou, OUT_OF_Q3)},
        headers={**transport["headers"], "If-Match": f'"{report["version"]}"'},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "measurements", 0, "as_of"]


def test_a_measurement_on_the_periods_first_and_last_day_is_accepted(reporting_client, quzhou, t9, transport):
    inside = dated(quzhou, [{"value": 1, "as_of": "2025-07-01"}, {"value": 2, "as_of": "2025-09-30"}])
    file_report(reporting_client, transport["headers"], t9["id"], period="2025-Q3", measurements=inside)


def test_a_draft_holding_a_measurement_outside_its_period_is_not_submitted(reporting_client, quzhou, t9, transport):
    """A draft written before the rule (or by an import) is checked again when it is submitted."""
    report = file_report(reporting_client, transport["headers"], t9["id"], period="2025-Q3")
    database = reporting_client.app.state.database

    async def date_it_in_2030():
        async with database.transaction() as conn:
            await conn.execute(
                reports_table.update()
                .where(reports_table.c.id == report["id"])
                .values(measurements=dated(quzhou, OUT_OF_Q3))
            )

    reporting_client.portal.call(date_it_in_2030)
    response = reporting_client.post(f"/v1/reports/{report['id']}/submit", headers=transport["headers"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["report", "measurements", 0, "as_of"]


def test_reports_filter_by_the_number_of_their_item_within_a_plan(reporting_client, auth, quzhou, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    query = {"plan_id": quzhou.plan_id, "item_number": t9["number"], "limit": 500}
    numbered = reporting_client.get("/v1/reports", params=query, headers=auth("office")).json()["data"]
    assert report["id"] in [r["id"] for r in numbered]
    other = {**query, "item_number": "第九十九"}
    assert reporting_client.get("/v1/reports", params=other, headers=auth("office")).json()["data"] == []


def test_an_item_number_without_its_plan_is_refused_naming_the_parameter(reporting_client, auth):
    response = reporting_client.get("/v1/reports", params={"item_number": "9"}, headers=auth("office"))
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/query/item_number"]
