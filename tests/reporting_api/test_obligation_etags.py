"""The obligations list answers 304 to a page's ETag while the page is the same (notify_api's dispatch asks again a
minute later), and the page anew once a report is submitted."""

import pytest

from tests.reporting_api.test_cadence import TRANSPORT, file_summary

WINDOW = {"from": "2024-01-11", "to": "2025-01-31", "pending": "true", "limit": 500}


@pytest.fixture
def lead(quzhou, auth):
    unit_id = quzhou.unit_id(TRANSPORT)
    return {"unit_id": unit_id, "headers": auth("unit", unit_id=unit_id)}


def owed(client, auth, plan_id, unit_id, **headers):
    return client.get(
        f"/v1/plans/{plan_id}/obligations",
        params={**WINDOW, "unit_id": unit_id},
        headers=auth("service", **headers),
    )


def test_a_page_answers_304_until_a_report_on_it_is_submitted(reporting_client, auth, quzhou, lead):
    t9 = quzhou.item("T9")
    first = owed(reporting_client, auth, quzhou.plan_id, lead["unit_id"])
    assert first.status_code == 200 and first.json()["data"]
    tag = first.headers["etag"]
    again = owed(reporting_client, auth, quzhou.plan_id, lead["unit_id"], **{"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    file_summary(reporting_client, t9, lead, "2024-Q1", "2024-03-31")
    changed = owed(reporting_client, auth, quzhou.plan_id, lead["unit_id"], **{"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    before = {(r["item_id"], r["period"]) for r in first.json()["data"]}
    after = {(r["item_id"], r["period"]) for r in changed.json()["data"]}
    assert before - after == {(t9["id"], "2024-Q1")}
