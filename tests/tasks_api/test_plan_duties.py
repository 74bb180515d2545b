"""A plan's duties (GET /v1/plans/{id}/duties, and as columns: /duties/columns): its items' facts and
responsibilities in one answer for the services (its 404, the office's 403 and its ETag: test_plan_structure.py)."""

import pytest

from services.tasks_api.plans import duties as duties_module
from services.tasks_api.plans.duties import BLOCK_ROWS
from tests.tasks_api.test_plans import create_plan

ITEM_FIELDS = ("id", "kind", "key", "number", "title", "due_on", "closed_on", "status")


def duties(client, auth, plan_id, **headers):
    return client.get(f"/v1/plans/{plan_id}/duties", headers=auth("service", **headers))


def test_the_duties_are_the_structures_items_and_assignments_with_the_fields_obligations_read(
    quzhou_client, auth, quzhou_plan_id
):
    found = duties(quzhou_client, auth, quzhou_plan_id).json()
    structure = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/structure", headers=auth("service")).json()
    assert found["plan"] == structure["plan"]
    assert found["items"] == [{field: item[field] for field in ITEM_FIELDS} for item in structure["items"]]
    assert found["assignments"] == structure["assignments"]
    assert len(found["items"]) > 100 and set(found) == {"plan", "items", "assignments"}


def blocks_of(records, size=BLOCK_ROWS):
    return [
        {name: [record[name] for record in records[at : at + size]] for name in records[0]}
        for at in range(0, len(records), size)
    ]


def test_the_duty_columns_are_the_duties_records_in_blocks_a_list_per_field_in_their_order(
    quzhou_client, auth, quzhou_plan_id, monkeypatch
):
    monkeypatch.setattr(duties_module, "BLOCK_ROWS", 40)  # the plan's 100-odd items in several blocks
    records = duties(quzhou_client, auth, quzhou_plan_id).json()
    found = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/duties/columns", headers=auth("service")).json()
    assert found["plan"] == records["plan"]
    assert found["items"] == blocks_of(records["items"], 40) and list(found["items"][0]) == list(ITEM_FIELDS)
    assert found["assignments"] == blocks_of(records["assignments"], 40) and len(found["assignments"]) > 2


def test_a_plan_with_no_items_has_no_blocks(tasks_client, auth):
    plan_id = create_plan(tasks_client, auth, key="duties-empty").json()["id"]
    found = tasks_client.get(f"/v1/plans/{plan_id}/duties/columns", headers=auth("service")).json()
    assert found["items"] == found["assignments"] == []


@pytest.mark.parametrize("document", ["duties", "duties/columns"])
def test_the_duties_need_a_token(quzhou_client, quzhou_plan_id, document):
    response = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/{document}")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("document", ["duties", "duties/columns"])
def test_the_duties_are_refused_to_a_unit(quzhou_client, auth, quzhou_plan_id, document):
    response = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/{document}", headers=auth("unit", unit_id=1))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
