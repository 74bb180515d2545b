"""Progress reports: who files what, the review workflow, versions, lateness and refusals."""

import pytest

TRANSPORT = "市交通运输局"


@pytest.fixture
def t9(quzhou):
    """Task 9 (roads), led by 市交通运输局 with 市文旅局 co-operating."""
    return quzhou.item("T9")


@pytest.fixture
def transport(quzhou, auth):
    unit_id = quzhou.unit_id(TRANSPORT)
    return {"unit_id": unit_id, "headers": auth("unit", unit_id=unit_id)}


# What every type of report must say before it is submitted (a summary's indicator values aside).
FULL_CONTENT = {"progress": "推进中", "achievements": "完成阶段目标", "problems": "无", "next_steps": "继续推进"}


def file_report(client, headers, item_id, period="2024-Q1", **content):
    response = client.post("/v1/reports", json={"item_id": item_id, "period": period, **FULL_CONTENT, **content},
                           headers=headers)
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


def review(client, auth, report_id, decision, comment=None):
    return client.post(f"/v1/reports/{report_id}/review", json={"decision": decision, "comment": comment},
                       headers=auth("office"))


def test_a_unit_files_a_draft_for_an_item_it_is_responsible_for(reporting_client, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    assert (report["status"], report["unit_id"], report["role"]) == ("draft", transport["unit_id"], "lead")


def test_chinese_text_of_any_length_round_trips_exactly(reporting_client, t9, transport):
    text = "衢州市交通运输局：杭衢高铁建设顺利推进，𠮷野家“引号”《书名》\n第二段。" * 500
    report = file_report(reporting_client, transport["headers"], t9["id"], progress=text)
    read = reporting_client.get(f"/v1/reports/{report['id']}", headers=transport["headers"]).json()
    assert read["progress"] == text


def test_text_over_the_documented_limit_is_refused(reporting_client, t9, transport):
    response = reporting_client.post("/v1/reports", json={"item_id": t9["id"], "period": "2024-Q1",
                                                          "progress": "长" * 20_001}, headers=transport["headers"])
    assert response.status_code == 422


def test_unit_cannot_report_on_item_it_is_not_responsible_for(reporting_client, auth, quzhou, transport):
    response = reporting_client.post("/v1/reports", json={"item_id": quzhou.item("T24")["id"], "period": "2024-Q1"},
                                     headers=transport["headers"])
    assert response.status_code == 403
    assert reporting_client.get("/v1/reports", headers=auth("office")).json()["data"] == []


def test_unit_cannot_report_for_another_unit(reporting_client, quzhou, t9, transport):
    response = reporting_client.post("/v1/reports", json={"item_id": t9["id"], "period": "2024-Q1",
                                                          "unit_id": quzhou.unit_id("市文旅局")},
                                     headers=transport["headers"])
    assert response.status_code == 403


def test_one_open_report_per_item_unit_and_period(reporting_client, t9, transport):
    file_report(reporting_client, transport["headers"], t9["id"])
    again = reporting_client.post("/v1/reports", json={"item_id": t9["id"], "period": "2024-Q1"},
                                  headers=transport["headers"])
    assert again.status_code == 409


def test_a_period_outside_the_plan_is_refused(reporting_client, t9, transport):
    response = reporting_client.post("/v1/reports", json={"item_id": t9["id"], "period": "2030-Q1"},
                                     headers=transport["headers"])
    assert response.status_code == 422


def test_a_measurement_must_name_an_indicator_of_the_item(reporting_client, quzhou, t9, transport):
    good = quzhou.indicator_id("T9-expressway-km")
    ok = reporting_client.post("/v1/reports", json={"item_id": t9["id"], "period": "2024-H1", "measurements": [
        {"indicator_id": good, "value": 120.5, "as_of": "2024-06-30"}]}, headers=transport["headers"])
    assert ok.status_code == 201, ok.text
    bad = reporting_client.post("/v1/reports", json={"item_id": t9["id"], "period": "2024-Q3", "measurements": [
        {"indicator_id": 999999, "value": 1, "as_of": "2024-09-30"}]}, headers=transport["headers"])
    assert bad.status_code == 422


def test_the_office_returns_with_a_reason_and_accepts_the_resubmission(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    assert review(reporting_client, auth, report["id"], "return", "请补充里程数据").json()["status"] == "returned"
    edited = reporting_client.patch(f"/v1/reports/{report['id']}", json={"progress": "已补充：建成 120 公里"},
                                    headers={**transport["headers"], "If-Match": '"3"'})
    assert edited.status_code == 200, edited.text
    resubmitted = submit(reporting_client, transport["headers"], report["id"])
    assert resubmitted["submissions"] == 2
    assert review(reporting_client, auth, report["id"], "accept").json()["status"] == "accepted"
    versions = reporting_client.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()
    assert [(v["number"], v["outcome"]) for v in versions] == [(1, "returned"), (2, "accepted")]
    assert versions[0]["content"]["progress"] == "推进中"
    assert versions[1]["content"]["progress"] == "已补充：建成 120 公里"


def test_every_transition_is_recorded(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    review(reporting_client, auth, report["id"], "return", "不完整")
    history = reporting_client.get(f"/v1/reports/{report['id']}/history", headers=auth("office")).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "returned")]
    assert history[2]["comment"] == "不完整"
    assert history[2]["actor"] == "test-office-0"


def test_returning_without_a_reason_is_refused(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    assert review(reporting_client, auth, report["id"], "return", " ").status_code == 422


def test_submitted_and_accepted_reports_cannot_be_edited(reporting_client, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submitted = submit(reporting_client, transport["headers"], report["id"])
    edit = reporting_client.patch(f"/v1/reports/{report['id']}", json={"progress": "改"},
                                  headers={**transport["headers"], "If-Match": f'"{submitted["version"]}"'})
    assert edit.status_code == 409


@pytest.mark.parametrize("role", ["unit", "viewer", "service"])
def test_only_the_office_reviews(reporting_client, auth, t9, transport, role):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    response = reporting_client.post(f"/v1/reports/{report['id']}/review", json={"decision": "accept"},
                                     headers=auth(role, unit_id=transport["unit_id"]))
    assert response.status_code == 403


def test_a_report_submitted_after_its_due_date_is_late_with_days_late(reporting_client, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"], period="2024-Q1")
    submitted = submit(reporting_client, transport["headers"], report["id"])
    assert submitted["late"] is True
    assert submitted["due_on"] == "2024-04-10"
    assert submitted["days_late"] > 900


def test_a_report_submitted_before_an_extended_due_date_is_on_time(reporting_client, auth, quzhou, t9, transport):
    reporting_client.put(f"/v1/plans/{quzhou.plan_id}/periods/2025/due-date", json={"due_on": "2099-01-10"},
                         headers=auth("office"))
    values = [{"indicator_id": i, "value": 1, "as_of": "2025-12-31"} for i in indicator_ids(reporting_client, t9)]
    report = file_report(reporting_client, transport["headers"], t9["id"], period="2025", measurements=values)
    submitted = submit(reporting_client, transport["headers"], report["id"])
    assert (submitted["late"], submitted["days_late"]) == (False, 0)


def test_a_unit_does_not_see_another_units_report(reporting_client, auth, quzhou, t9, transport):
    report = file_report(reporting_client, transport["headers"], quzhou.item("KW7")["id"], period="2019")
    culture = auth("unit", unit_id=quzhou.unit_id("市文旅局"))
    assert reporting_client.get(f"/v1/reports/{report['id']}", headers=culture).status_code == 404
    assert reporting_client.get("/v1/reports", headers=culture).json()["data"] == []


def test_the_lead_unit_reads_the_contributions_of_its_co_operating_units(reporting_client, auth, quzhou, t9,
                                                                         transport):
    culture = auth("unit", unit_id=quzhou.unit_id("市文旅局"))
    contribution = file_report(reporting_client, culture, t9["id"])
    assert contribution["role"] == "co"
    assert reporting_client.get(f"/v1/reports/{contribution['id']}", headers=transport["headers"]).status_code == 200
    edit = reporting_client.patch(f"/v1/reports/{contribution['id']}", json={"progress": "改"},
                                  headers={**transport["headers"], "If-Match": '"1"'})
    assert edit.status_code == 403


def test_reports_are_filtered_by_plan_period_status_and_lateness(reporting_client, auth, quzhou, t9, transport):
    first = file_report(reporting_client, transport["headers"], t9["id"], period="2024-Q1")
    file_report(reporting_client, transport["headers"], t9["id"], period="2024-H1")
    submit(reporting_client, transport["headers"], first["id"])
    listed = reporting_client.get("/v1/reports", params={"plan_id": quzhou.plan_id, "period": "2024-Q1",
                                                         "status": "submitted", "late": True}, headers=auth("office"))
    assert [r["id"] for r in listed.json()["data"]] == [first["id"]]
