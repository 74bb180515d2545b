"""Contacts: who manages which, targets that suit the channel and are not private, secrets shown once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.common.secrets import SecretBox
from services.notify_api.contacts.models import Contact
from services.notify_api.contacts.targets import is_public_address, literal_address
from services.notify_api.db import change_log
from tests.notify_api.conftest import add_contact
from tests.problems import assert_problem

DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"
DINGTALK_SECRET = "SEC" + "0123456789abcdef" * 4
UNIT, OTHER_UNIT = 11, 12


def read(client, query):
    """Run a query on the app's own database."""

    async def run():
        async with client.app.state.database.read() as conn:
            return list((await conn.execute(query)).scalars())

    return client.portal.call(run)


def sealed_secret(client, contact_id: int) -> bytes | None:
    table = Contact.__table__
    return read(client, select(table.c.secret_encrypted).where(table.c.id == contact_id))[0]


def history_text(client, contact_id: int) -> str:
    return repr(
        read(
            client,
            select(change_log.c.changes).where(change_log.c.entity == "contact", change_log.c.entity_id == contact_id),
        )
    )


def opened(client, contact_id: int) -> str:
    return SecretBox(client.app.state.settings.secret_key).open(sealed_secret(client, contact_id))


# -- secrets ---------------------------------------------------------------------------------------------


def test_a_webhook_contact_gets_a_whsec_secret_shown_once_and_stored_sealed(notify_client, auth):
    response = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": "unit", "owner_id": UNIT, "channel": "webhook", "target": "https://hooks.example.cn/a"},
        headers=auth("office"),
    )
    assert response.status_code == 201
    created = response.json()
    assert response.headers["Location"] == f"/v1/contacts/{created['id']}"
    assert created["secret"].startswith("whsec_") and created["has_secret"] is True
    assert created["secret"].encode() not in sealed_secret(notify_client, created["id"])
    assert opened(notify_client, created["id"]) == created["secret"]
    read = notify_client.get(f"/v1/contacts/{created['id']}", headers=auth("office")).json()
    assert "secret" not in read and read["has_secret"] is True


def test_a_listed_contact_shows_whether_it_has_a_secret_but_never_the_secret(notify_client, auth):
    add_contact(notify_client, auth("office"), "unit", UNIT)
    add_contact(notify_client, auth("office"), "unit", UNIT, channel="email")
    rows = notify_client.get("/v1/contacts", headers=auth("office")).json()["data"]
    assert [(r["channel"], r["has_secret"]) for r in rows] == [("webhook", True), ("email", False)]
    assert all("secret" not in r and "secret_encrypted" not in r for r in rows)


def test_rotating_a_webhook_secret_returns_a_new_one_once_and_replaces_the_old(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    response = notify_client.post(f"/v1/contacts/{contact['id']}/secret", headers=auth("office"))
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != contact["secret"]
    assert rotated["version"] == contact["version"] + 1
    assert response.headers["ETag"] == f'"{rotated["version"]}"'
    assert opened(notify_client, contact["id"]) == rotated["secret"]


def test_the_change_history_never_holds_a_secret(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    rotated = notify_client.post(f"/v1/contacts/{contact['id']}/secret", headers=auth("office")).json()
    assert (
        notify_client.delete(f"/v1/contacts/{contact['id']}", headers=auth("office", **{"If-Match": '"2"'})).status_code
        == 204
    )
    history = history_text(notify_client, contact["id"])
    assert history.count("{") >= 3  # created, rotated, deleted
    assert "whsec_" not in history and contact["secret"] not in history and rotated["secret"] not in history
    assert "secret_encrypted" not in history


def test_a_dingtalk_robot_keeps_its_signing_secret_sealed_and_never_returns_it(notify_client, auth):
    contact = add_contact(
        notify_client, auth("office"), "unit", UNIT, channel="dingtalk", target=DINGTALK_URL, secret=DINGTALK_SECRET
    )
    assert contact["secret"] is None and contact["has_secret"] is True
    assert opened(notify_client, contact["id"]) == DINGTALK_SECRET
    assert DINGTALK_SECRET not in notify_client.get(f"/v1/contacts/{contact['id']}", headers=auth("office")).text


def test_a_dingtalk_secret_is_replaced_with_patch(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT, channel="dingtalk", target=DINGTALK_URL)
    assert contact["has_secret"] is False
    response = notify_client.patch(
        f"/v1/contacts/{contact['id']}", json={"secret": DINGTALK_SECRET}, headers=auth("office", **{"If-Match": '"1"'})
    )
    assert response.status_code == 200 and response.json()["has_secret"] is True
    assert opened(notify_client, contact["id"]) == DINGTALK_SECRET


def test_a_robots_url_is_shown_with_its_token_masked_and_kept_whole_only_sealed(notify_client, auth):
    created = add_contact(notify_client, auth("office"), "unit", UNIT, channel="dingtalk", target=DINGTALK_URL)
    masked = "https://oapi.dingtalk.com/robot/send?access_token=****cdef"
    assert created["target"] == masked
    assert notify_client.get(f"/v1/contacts/{created['id']}", headers=auth("office")).json()["target"] == masked
    listed = notify_client.get("/v1/contacts", headers=auth("office")).json()["data"]
    assert [c["target"] for c in listed] == [masked] and "target_sealed" not in listed[0]
    table = Contact.__table__
    [sealed] = read(notify_client, select(table.c.target_sealed).where(table.c.id == created["id"]))
    assert b"0123456789abcdef" not in sealed
    assert SecretBox(notify_client.app.state.settings.secret_key).open(sealed) == DINGTALK_URL
    assert "0123456789abcdef" not in history_text(notify_client, created["id"])


def test_a_new_robot_url_replaces_the_sealed_one_and_a_url_without_a_token_unseals(notify_client, auth):
    created = add_contact(notify_client, auth("office"), "unit", UNIT, channel="wecom", target=DINGTALK_URL)
    table = Contact.__table__
    for target, shown in ((DINGTALK_URL.replace("abcdef", "fedcba"), "****dcba"), ("https://hooks.example.cn/w", "")):
        etag = notify_client.get(f"/v1/contacts/{created['id']}", headers=auth("office")).headers["ETag"]
        changed = notify_client.patch(
            f"/v1/contacts/{created['id']}", json={"target": target}, headers={**auth("office"), "If-Match": etag}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["target"].endswith(shown) and "fedcba" not in changed.json()["target"]
    [sealed] = read(notify_client, select(table.c.target_sealed).where(table.c.id == created["id"]))
    assert sealed is None


def test_a_target_sent_back_with_its_masked_token_is_refused(notify_client, auth):
    created = add_contact(notify_client, auth("office"), "unit", UNIT, channel="dingtalk", target=DINGTALK_URL)
    refused = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": "unit", "owner_id": UNIT, "channel": "dingtalk", "target": created["target"]},
        headers=auth("office"),
    )
    assert_problem(refused, 422)
    etag = notify_client.get(f"/v1/contacts/{created['id']}", headers=auth("office")).headers["ETag"]
    assert_problem(
        notify_client.patch(
            f"/v1/contacts/{created['id']}",
            json={"target": created["target"]},
            headers={**auth("office"), "If-Match": etag},
        ),
        422,
    )


def test_a_dingtalk_secret_must_look_like_one(notify_client, auth):
    response = notify_client.post(
        "/v1/contacts",
        json={
            "owner_kind": "unit",
            "owner_id": UNIT,
            "channel": "dingtalk",
            "target": DINGTALK_URL,
            "secret": "not-a-secret",
        },
        headers=auth("office"),
    )
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "channel, target",
    [
        ("email", "duban@example.cn"),
        ("webhook", "https://hooks.example.cn/x"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"),
    ],
)
def test_only_a_dingtalk_contact_takes_a_secret(notify_client, auth, channel, target):
    response = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": "unit", "owner_id": UNIT, "channel": channel, "target": target, "secret": DINGTALK_SECRET},
        headers=auth("office"),
    )
    assert_problem(response, 422)


def test_only_a_webhook_secret_can_be_rotated(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT, channel="email")
    assert_problem(notify_client.post(f"/v1/contacts/{contact['id']}/secret", headers=auth("office")), 422)


# -- targets ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "channel, target",
    [
        ("email", "not-an-address"),
        ("email", "a@b"),
        ("webhook", "ftp://hooks.example.cn/x"),
        ("webhook", "hooks.example.cn"),
        ("dingtalk", "https://user:pw@oapi.dingtalk.com/robot/send"),
        ("wecom", "mailto:duban@example.cn"),
    ],
)
def test_a_target_that_does_not_suit_its_channel_is_refused(notify_client, auth, channel, target):
    response = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": "unit", "owner_id": UNIT, "channel": channel, "target": target},
        headers=auth("office"),
    )
    assert_problem(response, 422)


@pytest.fixture
def strict_client(notify_app_factory):
    """notify_api as in production: webhook targets on loopback and private networks refused."""
    return notify_app_factory(allow_private_targets=False)


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://api.localhost/",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/",
        "http://2130706433/",
        "http://127.1/",
        "http://0x7f.1/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ],
)
def test_loopback_and_private_targets_are_refused_against_ssrf(strict_client, auth, target):
    response = strict_client.post(
        "/v1/contacts",
        json={"owner_kind": "unit", "owner_id": UNIT, "channel": "webhook", "target": target},
        headers=auth("office"),
    )
    assert_problem(response, 422)


def test_a_private_target_is_refused_on_patch_too(strict_client, auth):
    contact = add_contact(strict_client, auth("office"), "unit", UNIT)
    response = strict_client.patch(
        f"/v1/contacts/{contact['id']}",
        json={"target": "http://127.0.0.1/"},
        headers=auth("office", **{"If-Match": '"1"'}),
    )
    assert_problem(response, 422)


def test_public_targets_and_dns_names_are_accepted_then_checked_at_delivery(strict_client, auth):
    for target in (DINGTALK_URL, "https://8.8.8.8/hook", "https://hooks.example.cn/a"):
        add_contact(strict_client, auth("office"), "unit", UNIT, target=target)


def test_literal_addresses_are_read_in_every_notation_the_resolver_accepts():
    assert str(literal_address("2130706433")) == str(literal_address("127.1")) == "127.0.0.1"
    assert literal_address("hooks.example.cn") is None
    assert not is_public_address(literal_address("::ffff:127.0.0.1"))
    assert is_public_address(literal_address("8.8.8.8"))


def test_outside_production_local_receivers_are_allowed(notify_client, auth):
    add_contact(notify_client, auth("office"), "unit", UNIT, target="http://127.0.0.1:9999/hook")


# -- who manages what --------------------------------------------------------------------------------------


def test_a_unit_manages_its_own_contacts(notify_client, auth):
    mine = auth("unit", unit_id=UNIT)
    contact = add_contact(notify_client, mine, "unit", UNIT, channel="email")
    changed = notify_client.patch(
        f"/v1/contacts/{contact['id']}", json={"enabled": False}, headers={**mine, "If-Match": '"1"'}
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert notify_client.delete(f"/v1/contacts/{contact['id']}", headers={**mine, "If-Match": '"2"'}).status_code == 204


@pytest.mark.parametrize("owner_kind, owner_id", [("unit", OTHER_UNIT), ("leader", 1), ("office", 0)])
def test_a_unit_cannot_create_a_contact_for_anyone_else(notify_client, auth, owner_kind, owner_id):
    response = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": owner_kind, "owner_id": owner_id, "channel": "email", "target": "x@example.cn"},
        headers=auth("unit", unit_id=UNIT),
    )
    assert_problem(response, 403)


def test_a_unit_lists_only_its_own_contacts(notify_client, auth):
    add_contact(notify_client, auth("office"), "unit", UNIT)
    add_contact(notify_client, auth("office"), "unit", OTHER_UNIT)
    add_contact(notify_client, auth("office"), "office", 0)
    rows = notify_client.get("/v1/contacts", headers=auth("unit", unit_id=UNIT)).json()["data"]
    assert [(r["owner_kind"], r["owner_id"]) for r in rows] == [("unit", UNIT)]


def test_a_unit_asking_for_another_owners_contacts_is_forbidden(notify_client, auth):
    response = notify_client.get("/v1/contacts", params={"owner_id": OTHER_UNIT}, headers=auth("unit", unit_id=UNIT))
    assert_problem(response, 403)


@pytest.mark.parametrize("method", ["get", "patch", "delete", "rotate"])
def test_another_units_contact_is_404_to_a_unit_as_if_it_did_not_exist(notify_client, auth, method):
    contact = add_contact(notify_client, auth("office"), "unit", OTHER_UNIT)
    headers = auth("unit", unit_id=UNIT, **{"If-Match": '"1"'})
    path = f"/v1/contacts/{contact['id']}"
    response = {
        "get": lambda: notify_client.get(path, headers=headers),
        "patch": lambda: notify_client.patch(path, json={"label": "x"}, headers=headers),
        "delete": lambda: notify_client.delete(path, headers=headers),
        "rotate": lambda: notify_client.post(path + "/secret", headers=headers),
    }[method]()
    assert_problem(response, 404)


@pytest.mark.parametrize("role", ["viewer", "service"])
def test_viewers_and_services_neither_read_nor_write_contacts(notify_client, auth, role):
    assert_problem(notify_client.get("/v1/contacts", headers=auth(role)), 403)
    response = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": "office", "owner_id": 0, "channel": "email", "target": "x@example.cn"},
        headers=auth(role),
    )
    assert_problem(response, 403)


def test_contacts_need_a_token(notify_client):
    assert_problem(notify_client.get("/v1/contacts"), 401)
    assert_problem(notify_client.post("/v1/contacts", json={}), 401)


def test_the_office_is_owner_id_0(notify_client, auth):
    response = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": "office", "owner_id": 3, "channel": "email", "target": "x@example.cn"},
        headers=auth("office"),
    )
    assert_problem(response, 422)


def test_unknown_fields_are_refused(notify_client, auth):
    response = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": "unit", "owner_id": UNIT, "channel": "email", "target": "x@example.cn", "colour": "red"},
        headers=auth("office"),
    )
    assert_problem(response, 422)


def test_owner_and_channel_cannot_be_changed(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    response = notify_client.patch(
        f"/v1/contacts/{contact['id']}", json={"channel": "email"}, headers=auth("office", **{"If-Match": '"1"'})
    )
    assert_problem(response, 422)


# -- filters, versions, 404 ----------------------------------------------------------------------------------


def test_contacts_filter_by_owner_and_channel(notify_client, auth):
    add_contact(notify_client, auth("office"), "unit", UNIT)
    email = add_contact(notify_client, auth("office"), "unit", UNIT, channel="email")
    add_contact(notify_client, auth("office"), "leader", 5)
    found = notify_client.get(
        "/v1/contacts", params={"owner_kind": "unit", "owner_id": UNIT, "channel": "email"}, headers=auth("office")
    ).json()["data"]
    assert [c["id"] for c in found] == [email["id"]]


def test_contacts_page_by_cursor(notify_client, auth):
    ids = [add_contact(notify_client, auth("office"), "unit", UNIT)["id"] for _ in range(3)]
    first = notify_client.get("/v1/contacts", params={"limit": 2}, headers=auth("office")).json()
    second = notify_client.get(
        "/v1/contacts", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth("office")
    ).json()
    assert [c["id"] for c in first["data"] + second["data"]] == ids and second["next_cursor"] is None


def test_a_change_needs_the_current_etag(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    path = f"/v1/contacts/{contact['id']}"
    assert_problem(notify_client.patch(path, json={"label": "值班"}, headers=auth("office")), 428)
    assert_problem(notify_client.delete(path, headers=auth("office")), 428)
    changed = notify_client.patch(path, json={"label": "值班"}, headers=auth("office", **{"If-Match": '"1"'}))
    assert (changed.status_code, changed.json()["label"], changed.headers["ETag"]) == (200, "值班", '"2"')
    assert_problem(notify_client.patch(path, json={"label": "x"}, headers=auth("office", **{"If-Match": '"1"'})), 412)
    assert_problem(notify_client.delete(path, headers=auth("office", **{"If-Match": '"1"'})), 412)


def test_a_deleted_contact_is_gone(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "unit", UNIT)
    path = f"/v1/contacts/{contact['id']}"
    assert notify_client.delete(path, headers=auth("office", **{"If-Match": '"1"'})).status_code == 204
    assert_problem(notify_client.get(path, headers=auth("office")), 404)


def test_an_unknown_contact_is_404(notify_client, auth):
    assert_problem(notify_client.get("/v1/contacts/999999", headers=auth("office")), 404)
    assert_problem(notify_client.post("/v1/contacts/999999/secret", headers=auth("office")), 404)


@pytest.mark.parametrize("owner_kind", ["unit", "leader"])
def test_a_contact_of_a_unit_or_leader_tasks_api_does_not_know_is_refused(notify_client, auth, owner_kind):
    response = notify_client.post(
        "/v1/contacts",
        json={"owner_kind": owner_kind, "owner_id": 999_999, "channel": "email", "target": "x@example.cn"},
        headers=auth("office"),
    )
    assert_problem(response, 422)
    assert response.json()["errors"][0]["location"] == ["body", "owner_id"]
    assert notify_client.get("/v1/contacts", headers=auth("office")).json()["data"] == []
