"""Bulk review (批量审核): the office decides on many submitted reports in one request; each report is reviewed as
the single review does it (its own transaction, compare-and-set on the ETag), with a result for each."""

from __future__ import annotations

import httpx
import pytest

from services.common.bulk import MAX_ELEMENTS
from services.reporting_api.app import create_app
from services.reporting_api.models import metadata
from tests.conftest import reporting_settings, serve_in_thread
from tests.databases import empty_tables
from tests.reporting_api.test_report_races import submitted, together
from tests.reporting_api.test_reports import file_report, submitted_report

REVIEWS = "/v1/reports/reviews"


@pytest.fixture
def t9(quzhou):
    return quzhou.item("T9")


@pytest.fixture
def served(reporting_database, tasks_server):
    """reporting_api on an empty database, served on a local port so that two requests really run side by side."""
    empty_tables(reporting_database, metadata)
    with serve_in_thread(create_app(reporting_settings(reporting_database, tasks_server))) as url:
        yield url


def element(report, decision="accept", **extra):
    return {"report_id": report["id"], "etag": f'"{report["version"]}"', "decision": decision, **extra}


def bulk_review(client, headers, *elements):
    return client.post(REVIEWS, json={"reviews": list(elements)}, headers=headers)


def read(client, auth, report_id):
    report = client.get(f"/v1/reports/{report_id}", headers=auth("office")).json()
    versions = client.get(f"/v1/reports/{report_id}/versions", headers=auth("office")).json()["data"]
    return report["status"], [v["outcome"] for v in versions]


@pytest.fixture
def four(reporting_client, t9, transport):
    """Four submitted reports of task 9's lead unit."""
    return [
        submitted_report(reporting_client, transport["headers"], t9["id"], period)
        for period in ("2023-Q1", "2023-Q3", "2024-Q1", "2024-Q3")
    ]


def test_mixed_elements_each_go_through_or_are_refused_with_the_single_reviews_problem(
    reporting_client, auth, quzhou, t9, transport, four
):
    accept, give_back, stale, no_comment = four
    draft = file_report(reporting_client, transport["headers"], t9["id"], "2022-Q1")
    response = bulk_review(
        reporting_client,
        auth("office"),
        element(accept),
        element(give_back, "return", comment="请补充数据"),
        {**element(stale), "etag": f'"{stale["version"] - 1}"'},
        element(no_comment, "return"),
        element(draft),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [(r["status"], r["problem"] and r["problem"]["status"]) for r in body["results"]]
    assert statuses == [("ok", None), ("ok", None), ("refused", 412), ("refused", 422), ("refused", 409)]
    assert body["results"][0]["etag"] == f'"{accept["version"] + 1}"'
    assert read(reporting_client, auth, accept["id"]) == ("accepted", ["accepted"])
    assert read(reporting_client, auth, give_back["id"]) == ("returned", ["returned"])
    # A refused element is unwritten: no outcome, the report still submitted.
    assert read(reporting_client, auth, stale["id"]) == ("submitted", [None])
    assert read(reporting_client, auth, no_comment["id"]) == ("submitted", [None])
    bulk = reporting_client.get(f"/v1/history/bulk_review/{quzhou.plan_id}", headers=auth("office")).json()["data"]
    assert [row["action"] for row in bulk] == ["bulk"]
    changes = bulk[0]["changes"]
    assert (changes["accepted"], changes["returned"]) == ([None, [accept["id"]]], [None, [give_back["id"]]])
    assert changes["request_id"] == [None, body["request_id"]]


def test_a_retry_with_the_same_idempotency_key_replays_and_reviews_nothing_twice(reporting_client, auth, four):
    headers = {**auth("office"), "Idempotency-Key": "bulk-review-1"}
    first = bulk_review(reporting_client, headers, element(four[0]))
    second = bulk_review(reporting_client, headers, element(four[0]))
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    history = reporting_client.get(f"/v1/reports/{four[0]['id']}/history", headers=auth("office")).json()["data"]
    assert [h["to_status"] for h in history] == ["draft", "submitted", "accepted"]


@pytest.mark.parametrize("role", ["unit", "viewer"])
def test_only_the_office_reviews_in_bulk(reporting_client, auth, transport, four, role):
    response = bulk_review(reporting_client, auth(role, unit_id=transport["unit_id"]), element(four[0]))
    assert response.status_code == 403
    assert read(reporting_client, auth, four[0]["id"]) == ("submitted", [None])


def test_more_elements_than_the_limit_are_refused_whole(reporting_client, auth, four):
    elements = [element(four[0])] + [{**element(four[1]), "report_id": n} for n in range(10**6, 10**6 + MAX_ELEMENTS)]
    assert bulk_review(reporting_client, auth("office"), *elements).status_code == 422
    assert read(reporting_client, auth, four[0]["id"]) == ("submitted", [None])


def test_a_report_named_twice_is_refused_whole(reporting_client, auth, four):
    response = bulk_review(reporting_client, auth("office"), element(four[0]), element(four[0], "return", comment="x"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "reviews", 1, "report_id"]
    assert read(reporting_client, auth, four[0]["id"]) == ("submitted", [None])


def test_a_bulk_review_and_a_single_review_of_one_report_at_once_exactly_one_wins(served, auth, t9, transport):
    with httpx.Client(base_url=served, timeout=30) as api:
        for period in ("2021-Q1", "2021-Q3", "2022-Q3"):
            report = submitted(api, transport["headers"], t9["id"], period)
            one, many = together(served, _single_review(report, auth("office")), _bulk_return(report, auth("office")))
            assert many.status_code in (200, 503), many.text
            assert one.status_code in (200, 409, 412, 503), one.text
            bulk_won = many.status_code == 200 and many.json()["results"][0]["status"] == "ok"
            assert (one.status_code == 200) != bulk_won, (one.text, many.text)  # exactly one decided
            versions = api.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()["data"]
            assert [v["outcome"] for v in versions] == ["returned" if bulk_won else "accepted"]


def _single_review(report, office):
    headers = {**office, "If-Match": f'"{report["version"]}"'}
    return lambda client: client.post(
        f"/v1/reports/{report['id']}/review", json={"decision": "accept"}, headers=headers
    )


def _bulk_return(report, office):
    body = {"reviews": [element(report, "return", comment="请补充")]}
    return lambda client: client.post(REVIEWS, json=body, headers=office)
