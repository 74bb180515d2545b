"""notify_api's change history (变更记录) is readable over HTTP, like the other two services', without secrets."""

from __future__ import annotations

from tests.notify_api.conftest import add_contact
from tests.problems import assert_problem

UNIT = 11


def test_a_contacts_history_lists_its_creation_and_secret_rotation_oldest_first(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    notify_client.post(f"/v1/contacts/{contact['id']}/secret", headers=auth("office"))
    response = notify_client.get(f"/v1/history/contact/{contact['id']}", headers=auth("office"))
    assert response.status_code == 200
    entries = response.json()["data"]
    assert [e["action"] for e in entries] == ["create", "update"]
    assert all(e["entity"] == "contact" and e["entity_id"] == contact["id"] for e in entries)


def test_the_history_served_never_shows_a_contacts_secret(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    rotated = notify_client.post(f"/v1/contacts/{contact['id']}/secret", headers=auth("office")).json()
    text = notify_client.get(f"/v1/history/contact/{contact['id']}", headers=auth("office")).text
    assert contact["secret"] not in text and rotated["secret"] not in text and "secret_encrypted" not in text


def test_the_history_pages_with_a_cursor(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    for _ in range(2):
        notify_client.post(f"/v1/contacts/{contact['id']}/secret", headers=auth("office"))
    first = notify_client.get(f"/v1/history/contact/{contact['id']}?limit=2", headers=auth("office"))
    assert len(first.json()["data"]) == 2 and 'rel="next"' in first.headers["Link"]


def test_a_unit_may_not_read_the_change_history(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    response = notify_client.get(f"/v1/history/contact/{contact['id']}", headers=auth("unit", unit_id=UNIT))
    assert_problem(response, 403)


def test_the_history_needs_a_token(notify_client):
    assert_problem(notify_client.get("/v1/history/contact/1"), 401)


def test_an_unknown_kind_of_record_is_refused(notify_client, auth):
    assert_problem(notify_client.get("/v1/history/report/1", headers=auth("office")), 422)
