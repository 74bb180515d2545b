"""A plan's duties (GET /v1/plans/{id}/duties): its items' facts and responsibilities in one answer for the services
(its 404, the office's 403 and its ETag: test_plan_structure.py)."""

ITEM_FIELDS = ("id", "kind", "key", "number", "title", "due_on", "closed_on")


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


def test_the_duties_need_a_token(quzhou_client, quzhou_plan_id):
    response = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/duties")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_the_duties_are_refused_to_a_unit(quzhou_client, auth, quzhou_plan_id):
    response = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/duties", headers=auth("unit", unit_id=1))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
