"""A plan's structure: its items, assignments and indicators in one answer for the services, with an ETag; its
refusals, 404 and ETag are those of the plan's duties (GET /v1/plans/{id}/duties, and as columns) too."""

import orjson
import pytest

from services.common.json import render
from services.tasks_api.plans import service
from services.tasks_api.plans import structure as plan_structure
from tests.tasks_api.test_plans import create_plan

DOCUMENTS = pytest.mark.parametrize("document", ["structure", "duties", "duties/columns"])

ITEM = {"kind": "task", "title": "推进数字化改革", "number": "1"}


def structure(client, auth, plan_id, document="structure", **headers):
    return client.get(f"/v1/plans/{plan_id}/{document}", headers=auth("service", **headers))


def test_the_structure_is_every_item_assignment_and_indicator_of_the_plan_as_the_lists_give_them(
    quzhou_client, auth, quzhou_plan_id
):
    found = structure(quzhou_client, auth, quzhou_plan_id).json()
    listed = quzhou_client.get(
        f"/v1/plans/{quzhou_plan_id}/assignments", params={"limit": 500}, headers=auth("office")
    ).json()
    assert found["plan"]["id"] == quzhou_plan_id
    assert len(found["items"]) > 100 and "text" not in found["items"][0]
    assert [a["id"] for a in found["assignments"]][:500] == [a["id"] for a in listed["data"]]
    assert all(a["unit_id"] is not None for a in found["assignments"])  # no collective placeholder


@DOCUMENTS
def test_the_structure_is_for_the_services_only(quzhou_client, auth, quzhou_plan_id, document):
    response = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/{document}", headers=auth("office"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@DOCUMENTS
def test_an_unknown_plan_has_no_structure(quzhou_client, auth, document):
    response = structure(quzhou_client, auth, 999_999, document)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@DOCUMENTS
def test_the_etag_answers_304_until_the_plan_changes(tasks_client, auth, document):
    plan_id = create_plan(tasks_client, auth, key=f"{document.replace('/', '-')}-etag").json()["id"]
    first = structure(tasks_client, auth, plan_id, document)
    again = structure(tasks_client, auth, plan_id, document, **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    added = tasks_client.post(f"/v1/plans/{plan_id}/items", json={**ITEM, "key": "T1"}, headers=auth("office"))
    assert added.status_code == 201, added.text
    changed = structure(tasks_client, auth, plan_id, document, **{"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]
    items = changed.json()["items"]
    assert (items[0]["key"] if document == "duties/columns" else [item["key"] for item in items]) == ["T1"]


def whole_document(client, plan_id):
    """The structure as it was encoded before it was written in batches: every list read whole, one render."""
    db = client.app.state.database

    async def read():
        plan = await service.get_plan(db, plan_id=plan_id)
        sections = plan_structure.SECTIONS
        found = {name.decode(): await db.fetch((statement, {"plan_id": plan_id}), dict) for name, statement in sections}
        header = plan_structure.PlanOutline.model_validate(plan).model_dump()
        return render({"plan": header, **found})

    return client.portal.call(read)


def test_the_structure_written_in_batches_is_byte_for_byte_the_one_written_in_one_batch(
    quzhou_client, auth, quzhou_plan_id, monkeypatch
):
    monkeypatch.setattr(plan_structure, "BATCH_ROWS", 100_000)
    whole = structure(quzhou_client, auth, quzhou_plan_id)
    monkeypatch.setattr(plan_structure, "BATCH_ROWS", 7)  # many batches in each list, the last one short
    found = structure(quzhou_client, auth, quzhou_plan_id)
    assert found.status_code == 200
    assert found.content == whole.content
    assert all(found.json()[name] for name in ("items", "assignments", "indicators"))


def test_the_structure_holds_the_rows_of_its_statements(quzhou_client, auth, quzhou_plan_id):
    # Rendered by PostgreSQL (row_to_json) or by render (SQLite): the same values, if not always the same bytes (a
    # float 100.0 may be written 100).
    found = structure(quzhou_client, auth, quzhou_plan_id)
    assert found.json() == orjson.loads(whole_document(quzhou_client, quzhou_plan_id))


def test_a_plan_with_no_items_has_every_list_empty_as_the_whole_document_writes_it(tasks_client, auth):
    plan_id = create_plan(tasks_client, auth, key="structure-empty").json()["id"]
    found = structure(tasks_client, auth, plan_id)
    assert found.content == whole_document(tasks_client, plan_id)
    assert found.json()["items"] == found.json()["links"] == []
