"""Free text that looks like SQL, script or a template is data: stored and returned verbatim, never executed.

Tried on a free-text field of each service: a unit's name (tasks_api), a report's problems (reporting_api)
and a contact's label (notify_api). A character PostgreSQL cannot keep (NUL) is refused instead, on both
databases, in a body and in a query.
"""

from __future__ import annotations

import pytest

from tests.hostile.world import created_id
from tests.problems import assert_problem

HOSTILE_TEXT = [
    "Robert'); DROP TABLE units; --",
    "' OR '1'='1' --",
    "1; UPDATE reports SET status='accepted'; --",
    '"; SELECT pg_sleep(30); --',
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} #{7*7} %s %n",
    "../../etc/passwd",
    r"C:\u0000\temp spells a NUL escape without holding one",
    "衢州 \u202egnp.exe 𠮷 ﷽",  # a right-to-left override hides the real extension
]


def _unit_name(world, auth, text):
    w, office = world("tasks_api"), auth("office")
    unit = created_id(w.client.post("/v1/units", json={"name": text, "kind": "department"}, headers=office))
    stored = w.client.get(f"/v1/units/{unit}", headers=office).json()["name"]
    w.client.delete(f"/v1/units/{unit}", headers={**office, "If-Match": '"1"'})
    return stored, w.client.get("/v1/units", headers=office)


def _report_problems(world, auth, text):
    w = world("reporting_api")
    unit_a = auth("unit", unit_id=w.unit_a)
    url = f"/v1/reports/{w.ids['report_id']}"
    etag = w.client.get(url, headers=unit_a).headers["etag"]
    response = w.client.patch(url, json={"problems": text}, headers={**unit_a, "If-Match": etag})
    assert response.status_code == 200, response.text
    return w.client.get(url, headers=unit_a).json()["problems"], w.client.get("/v1/reports", headers=unit_a)


def _contact_label(world, auth, text):
    w, office = world("notify_api"), auth("office")
    contact = created_id(
        w.client.post(
            "/v1/contacts",
            headers=office,
            json={
                "owner_kind": "unit",
                "owner_id": w.unit_b,
                "channel": "email",
                "target": "b@example.cn",
                "label": text,
            },
        )
    )
    stored = w.client.get(f"/v1/contacts/{contact}", headers=office).json()["label"]
    w.client.delete(f"/v1/contacts/{contact}", headers={**office, "If-Match": '"1"'})
    return stored, w.client.get("/v1/contacts", headers=office)


FIELDS = {"unit-name": _unit_name, "report-problems": _report_problems, "contact-label": _contact_label}


@pytest.mark.parametrize("text", HOSTILE_TEXT)
@pytest.mark.parametrize("field", FIELDS)
def test_hostile_text_is_stored_and_returned_verbatim(world, auth, field, text):
    stored, listing = FIELDS[field](world, auth, text)
    assert stored == text
    assert listing.status_code == 200, listing.text


NUL_WRITES = {
    "unit-name": ("tasks_api", "POST", "/v1/units", {"name": "单位\u0000", "kind": "department"}),
    "report-problems": ("reporting_api", "PATCH", "/v1/reports/{report_id}", {"problems": "问题\u0000"}),
    "contact-label": ("notify_api", "PATCH", "/v1/contacts/{contact_id}", {"label": "标签\u0000"}),
}


@pytest.mark.parametrize("field", NUL_WRITES)
def test_a_nul_character_is_refused_as_invalid_input(world, auth, field):
    service, method, path, body = NUL_WRITES[field]
    w = world(service)
    url = path.format(**w.ids)
    headers = auth("admin")
    if method == "PATCH":
        headers["If-Match"] = w.client.get(url, headers=headers).headers["etag"]
    assert_problem(w.request_changing_nothing(method, url, json=body, headers=headers), 422)


NUL_QUERIES = {
    "tasks_api": "/v1/units?q=%00",
    "reporting_api": "/v1/reports?period=2024%00",
    "notify_api": "/v1/deadlines/upcoming?as_of=2025-01-01%00",
}


@pytest.mark.parametrize("service", NUL_QUERIES)
def test_a_nul_character_in_a_query_is_400(world, auth, service):
    assert_problem(world(service).client.get(NUL_QUERIES[service], headers=auth("admin")), 400)


SEARCHES = ["' OR '1'='1", "%", "_", "\\", "%' --", "*"]
SEARCHED = {"/v1/units": ("name",), "/v1/plans/{plan_id}/items": ("number", "title", "text")}


@pytest.mark.parametrize("text", SEARCHES)
@pytest.mark.parametrize("path", SEARCHED)
def test_a_search_for_sql_or_wildcards_matches_them_literally(world, auth, path, text):
    w, viewer = world("tasks_api"), auth("viewer")
    url = path.format(**w.ids)
    everything = w.client.get(url, params={"limit": 500}, headers=viewer).json()["data"]
    literal = [row["id"] for row in everything if any(text in (row[field] or "") for field in SEARCHED[path])]
    response = w.client.get(url, params={"q": text, "limit": 500}, headers=viewer)
    assert response.status_code == 200, response.text
    assert [row["id"] for row in response.json()["data"]] == literal
