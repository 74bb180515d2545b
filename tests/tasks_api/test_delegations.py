"""Delegation (转办): a unit answering for an item passes part of it down to one of its own sub-units; the delegate
acknowledges (签收), the delegating unit may withdraw (撤回); the office sees the chain, a unit its own links.
Every step is guarded, in the history and an event; every refusal is proved."""

from __future__ import annotations

import pytest

from tests.problems import assert_problem
from tests.tasks_api.factories import history, import_small_plan
from tests.tasks_api.test_outbox import assert_as_declared, events

TRANSPORT, REFORM, WATER = "市交通运输局", "市发改委", "市水利局"  # T1: transport leads, reform co-operates


def new_unit(client, auth, name, parent_id=None):
    body = {"name": name, "kind": "department", **({"parent_id": parent_id} if parent_id else {})}
    response = client.post("/v1/units", json=body, headers=auth("office"))
    assert response.status_code == 201, response.text
    return response.json()["id"]


class Scene:
    """The small plan, with 市公路中心 under 市交通运输局, 衢江公路段 under it, and 市价格中心 under 市发改委."""

    def __init__(self, client, auth):
        self.client, self.auth = client, auth
        self.plan = import_small_plan(client, auth)
        self.t1, self.t2, self.t3 = (self.plan.items[key] for key in ("T1", "T2", "T3"))
        self.transport, self.reform, self.water = (self.plan.units[n] for n in (TRANSPORT, REFORM, WATER))
        self.roads = new_unit(client, auth, "市公路中心", self.transport)
        self.section = new_unit(client, auth, "衢江公路段", self.roads)
        self.prices = new_unit(client, auth, "市价格中心", self.reform)
        self.water_team = new_unit(client, auth, "市水利工程队", self.water)

    def unit(self, unit_id):
        return self.auth("unit", unit_id=unit_id)

    def delegate(self, by, item_id, to, **extra):
        body = {"to_unit_id": to, "scope": "路基工程征地", **extra}
        return self.client.post(f"/v1/items/{item_id}/delegations", json=body, headers=self.unit(by))

    def delegated(self, by, item_id, to, **extra):
        response = self.delegate(by, item_id, to, **extra)
        assert response.status_code == 201, response.text
        return response.json()

    def acknowledge(self, unit_id, delegation_id, **headers):
        url = f"/v1/delegations/{delegation_id}/acknowledgement"
        return self.client.post(url, headers={**self.unit(unit_id), **headers})

    def withdraw(self, unit_id, delegation_id, **headers):
        return self.client.post(
            f"/v1/delegations/{delegation_id}/withdrawal", headers={**self.unit(unit_id), **headers}
        )

    def chain(self, headers, item_id):
        response = self.client.get(f"/v1/items/{item_id}/delegations", headers=headers)
        assert response.status_code == 200, response.text
        return [(row["from_unit_id"], row["to_unit_id"], row["status"]) for row in response.json()["data"]]


@pytest.fixture
def s(tasks_client, auth):
    return Scene(tasks_client, auth)


# -- units with a parent ----------------------------------------------------------------------------------


def test_a_unit_shows_its_parent_and_the_office_can_move_it_under_another(s):
    assert s.client.get(f"/v1/units/{s.roads}", headers=s.auth("viewer")).json()["parent_id"] == s.transport
    etag = s.client.get(f"/v1/units/{s.prices}", headers=s.auth("office")).headers["ETag"]
    moved = s.client.patch(
        f"/v1/units/{s.prices}", json={"parent_id": s.transport}, headers=s.auth("office", **{"If-Match": etag})
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == s.transport
    assert history(s.client, s.auth, "unit", s.prices)[-1]["changes"]["parent_id"] == [s.reform, s.transport]


@pytest.mark.parametrize("parent", ["itself", "its grandchild", "no such unit"])
def test_a_parent_that_does_not_exist_or_would_make_a_cycle_is_422(s, parent):
    parent_id = {"itself": s.transport, "its grandchild": s.section, "no such unit": 999_999}[parent]
    etag = s.client.get(f"/v1/units/{s.transport}", headers=s.auth("office")).headers["ETag"]
    refused = s.client.patch(
        f"/v1/units/{s.transport}", json={"parent_id": parent_id}, headers=s.auth("office", **{"If-Match": etag})
    )
    assert_problem(refused, 422)
    assert refused.json()["errors"][0]["pointer"] == "/body/parent_id"
    assert s.client.get(f"/v1/units/{s.transport}", headers=s.auth("office")).json()["parent_id"] is None


def test_only_the_office_sets_a_units_parent(s):
    etag = s.client.get(f"/v1/units/{s.prices}", headers=s.auth("office")).headers["ETag"]
    refused = s.client.patch(
        f"/v1/units/{s.prices}", json={"parent_id": None}, headers={**s.unit(s.reform), "If-Match": etag}
    )
    assert_problem(refused, 403)


# -- delegating --------------------------------------------------------------------------------------------


def test_the_lead_unit_delegates_part_of_its_item_to_its_sub_unit(s, tasks_database):
    made = s.delegate(s.transport, s.t1, s.roads, due_on="2020-09-30")
    assert made.status_code == 201, made.text
    row = made.json()
    assert made.headers["Location"] == f"/v1/delegations/{row['id']}"
    assert made.headers["ETag"] == '"1"'
    assert (row["from_unit_name"], row["to_unit_name"], row["status"]) == (TRANSPORT, "市公路中心", "pending")
    assert (row["scope"], row["due_on"], row["parent_delegation_id"]) == ("路基工程征地", "2020-09-30", None)
    [event] = events(tasks_database, type_="item.delegated")
    assert_as_declared([event])
    assert (event["data"]["delegation_id"], event["data"]["to_unit_id"]) == (row["id"], s.roads)
    assert [h["action"] for h in history(s.client, s.auth, "delegation", row["id"])] == ["create"]


def test_a_co_operating_unit_delegates_too(s):
    assert s.delegated(s.reform, s.t1, s.prices)["from_unit_id"] == s.reform


def test_delegating_to_a_unit_that_is_not_the_callers_sub_unit_is_422(s):
    for to in (s.prices, s.section, 999_999):  # another unit's, a grandchild, none at all
        refused = s.delegate(s.transport, s.t1, to)
        assert_problem(refused, 422)
        assert refused.json()["errors"][0]["pointer"] == "/body/to_unit_id"
    assert s.chain(s.auth("office"), s.t1) == []


def test_a_unit_delegates_only_items_it_answers_for(s, tasks_database):
    assert_problem(s.delegate(s.water, s.t1, s.water_team), 403)  # 市水利局 has no duty on T1
    assert_problem(s.delegate(s.transport, s.t3, s.roads), 403)  # nor 市交通运输局 on T3
    assert events(tasks_database, type_="item.delegated") == []


def test_a_unit_deleted_since_its_token_was_issued_delegates_nothing(s, tasks_database):
    etag = s.client.get(f"/v1/units/{s.roads}", headers=s.auth("office")).headers["ETag"]
    assert s.client.delete(f"/v1/units/{s.roads}", headers=s.auth("office", **{"If-Match": etag})).status_code == 204
    refused = s.delegate(s.roads, s.t1, s.section)
    assert_problem(refused, 403)
    assert "no longer exists" in refused.json()["detail"]
    assert events(tasks_database, type_="item.delegated") == []


@pytest.mark.parametrize("role", ["office", "viewer", "service"])
def test_only_a_unit_delegates(s, role):
    body = {"to_unit_id": s.roads, "scope": "征地"}
    assert_problem(s.client.post(f"/v1/items/{s.t1}/delegations", json=body, headers=s.auth(role)), 403)


def test_a_due_date_after_the_items_is_422(s):
    refused = s.delegate(s.transport, s.t1, s.roads, due_on="2021-01-01")  # T1 is due 2020-12-31
    assert_problem(refused, 422)
    assert refused.json()["errors"][0]["pointer"] == "/body/due_on"


def test_a_unit_holds_one_delegation_of_an_item_at_a_time(s):
    s.delegated(s.transport, s.t1, s.roads)
    assert_problem(s.delegate(s.transport, s.t1, s.roads), 409)


def test_a_closed_item_is_not_delegated(s):
    reform = s.unit(s.reform)
    etag = s.client.get(f"/v1/items/{s.t3}", headers=reform).headers["ETag"]
    asked = s.client.post(f"/v1/items/{s.t3}/closeout", json={"summary": "完成"}, headers={**reform, "If-Match": etag})
    assert asked.status_code == 201, asked.text
    decided = s.client.post(
        f"/v1/closeouts/{asked.json()['id']}/decision",
        json={"approve": True},
        headers=s.auth("office", **{"If-Match": '"1"'}),
    )
    assert decided.status_code == 200, decided.text
    assert_problem(s.delegate(s.reform, s.t3, s.prices), 409)


def test_a_retried_delegation_with_its_idempotency_key_is_made_once(s):
    body = {"to_unit_id": s.roads, "scope": "征地"}
    headers = {**s.unit(s.transport), "Idempotency-Key": "delegate-t1-roads"}
    first = s.client.post(f"/v1/items/{s.t1}/delegations", json=body, headers=headers)
    again = s.client.post(f"/v1/items/{s.t1}/delegations", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(s.chain(s.auth("office"), s.t1)) == 1


# -- acknowledging (签收) -------------------------------------------------------------------------------------


def test_the_delegate_acknowledges_once_and_the_step_is_published(s, tasks_database):
    made = s.delegated(s.transport, s.t1, s.roads)
    done = s.acknowledge(s.roads, made["id"], **{"If-Match": '"1"'})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["version"]) == ("acknowledged", 2)
    assert done.json()["acknowledged_by"] == f"test-unit-{s.roads}"
    again = s.acknowledge(s.roads, made["id"])
    assert (again.status_code, again.json()["version"]) == (200, 2)
    found = events(tasks_database, type_="delegation.acknowledged")
    assert len(found) == 1
    assert_as_declared(found)
    assert [h["action"] for h in history(s.client, s.auth, "delegation", made["id"])] == ["create", "update"]


def test_only_the_delegate_acknowledges(s):
    made = s.delegated(s.transport, s.t1, s.roads)
    assert_problem(s.acknowledge(s.transport, made["id"]), 403)  # a party to it, in the wrong place
    assert_problem(s.client.post(f"/v1/delegations/{made['id']}/acknowledgement", headers=s.auth("office")), 403)


def test_a_unit_no_party_to_a_delegation_acknowledging_it_is_404(s):
    made = s.delegated(s.transport, s.t1, s.roads)
    assert_problem(s.acknowledge(s.prices, made["id"]), 404)


def test_a_unit_no_party_to_a_delegation_withdrawing_it_is_404(s):
    made = s.delegated(s.transport, s.t1, s.roads)
    assert_problem(s.withdraw(s.prices, made["id"]), 404)


def test_a_unit_no_party_to_a_delegation_is_answered_404_before_its_stale_if_match(s):
    made = s.delegated(s.transport, s.t1, s.roads)
    assert_problem(s.acknowledge(s.prices, made["id"], **{"If-Match": '"7"'}), 404)


def test_a_stale_if_match_on_acknowledgement_is_412(s):
    made = s.delegated(s.transport, s.t1, s.roads)
    assert_problem(s.acknowledge(s.roads, made["id"], **{"If-Match": '"7"'}), 412)


# -- the chain ---------------------------------------------------------------------------------------------------


def test_an_acknowledged_delegate_passes_on_to_its_own_sub_unit_and_each_sees_its_links(s):
    top = s.delegated(s.transport, s.t1, s.roads)
    assert_problem(s.delegate(s.roads, s.t1, s.section), 403)  # not before it acknowledged
    s.acknowledge(s.roads, top["id"])
    below = s.delegated(s.roads, s.t1, s.section)
    assert below["parent_delegation_id"] == top["id"]
    whole = [(s.transport, s.roads, "acknowledged"), (s.roads, s.section, "pending")]
    assert s.chain(s.auth("office"), s.t1) == whole
    assert s.chain(s.auth("viewer"), s.t1) == whole
    assert s.chain(s.unit(s.roads), s.t1) == whole
    assert s.chain(s.unit(s.transport), s.t1) == whole[:1]
    assert s.chain(s.unit(s.section), s.t1) == whole[1:]
    assert s.chain(s.unit(s.water), s.t1) == []
    assert_problem(s.client.get(f"/v1/delegations/{below['id']}", headers=s.unit(s.transport)), 404)
    assert s.client.get(f"/v1/delegations/{below['id']}", headers=s.unit(s.section)).status_code == 200


# -- withdrawing (撤回) ------------------------------------------------------------------------------------------


def test_withdrawing_takes_back_the_delegation_and_what_was_passed_on_from_it(s, tasks_database):
    top = s.delegated(s.transport, s.t1, s.roads)
    s.acknowledge(s.roads, top["id"])
    below = s.delegated(s.roads, s.t1, s.section)
    assert_problem(s.withdraw(s.roads, top["id"]), 403)  # the delegate does not withdraw what it was given
    done = s.withdraw(s.transport, top["id"], **{"If-Match": '"2"'})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "withdrawn"
    assert [status for *_, status in s.chain(s.auth("office"), s.t1)] == ["withdrawn", "withdrawn"]
    assert len(events(tasks_database, type_="delegation.withdrawn")) == 2
    assert_problem(s.withdraw(s.transport, top["id"]), 409)
    assert_problem(s.acknowledge(s.section, below["id"]), 409)
    assert s.delegated(s.transport, s.t1, s.roads)["status"] == "pending"  # it may delegate again


# -- deleting a unit ---------------------------------------------------------------------------------------------


def test_deleting_a_unit_deletes_its_delegations_and_those_below_each_in_the_history_and_published(s, tasks_database):
    crew = new_unit(s.client, s.auth, "衢江公路段养护班", s.section)
    chain = [s.delegated(s.transport, s.t1, s.roads)]
    for by, to in ((s.roads, s.section), (s.section, crew)):  # each passes on what it acknowledged
        s.acknowledge(by, chain[-1]["id"])
        chain.append(s.delegated(by, s.t1, to))
    kept = s.delegated(s.reform, s.t1, s.prices)
    etag = s.client.get(f"/v1/units/{s.roads}", headers=s.auth("office")).headers["ETag"]
    deleted = s.client.delete(f"/v1/units/{s.roads}", headers=s.auth("office", **{"If-Match": etag}))
    assert deleted.status_code == 204, deleted.text
    assert s.chain(s.auth("office"), s.t1) == [(s.reform, s.prices, "pending")]
    for made in chain:  # to the unit, from it, and passed on from that one by 衢江公路段
        assert_problem(s.client.get(f"/v1/delegations/{made['id']}", headers=s.auth("office")), 404)
        assert history(s.client, s.auth, "delegation", made["id"])[-1]["action"] == "delete"
    published = events(tasks_database, type_="delegation.deleted")
    assert_as_declared(published)
    assert [(e["data"]["delegation_id"], e["data"]["status"]) for e in published] == [
        (chain[0]["id"], "acknowledged"),
        (chain[1]["id"], "acknowledged"),
        (chain[2]["id"], "pending"),
    ]
    assert [h["action"] for h in history(s.client, s.auth, "delegation", kept["id"])] == ["create"]


def test_deleting_a_unit_leaves_its_sub_units_without_a_parent_each_in_the_history(s):
    etag = s.client.get(f"/v1/units/{s.roads}", headers=s.auth("office")).headers["ETag"]
    assert s.client.delete(f"/v1/units/{s.roads}", headers=s.auth("office", **{"If-Match": etag})).status_code == 204
    assert s.client.get(f"/v1/units/{s.section}", headers=s.auth("office")).json()["parent_id"] is None
    assert history(s.client, s.auth, "unit", s.section)[-1]["changes"]["parent_id"] == [s.roads, None]


# -- delegation widens nothing else ---------------------------------------------------------------------------------


def test_the_delegate_gains_no_right_on_the_item_nor_on_its_parent_units_other_items(s):
    made = s.delegated(s.reform, s.t1, s.prices)
    s.acknowledge(s.prices, made["id"])
    prices = s.unit(s.prices)
    etag = s.client.get(f"/v1/items/{s.t1}", headers=prices).headers["ETag"]
    closeout = s.client.post(
        f"/v1/items/{s.t1}/closeout", json={"summary": "已完成"}, headers={**prices, "If-Match": etag}
    )
    assert_problem(closeout, 403)
    extension = {"requested_due_on": "2021-06-30", "reason": "征地延误"}
    assert_problem(s.client.post(f"/v1/items/{s.t1}/extensions", json=extension, headers=prices), 403)
    # 市发改委 leads T3: its sub-unit is given nothing of it
    assert_problem(s.client.post(f"/v1/items/{s.t3}/extensions", json=extension, headers=prices), 403)
    assert_problem(s.delegate(s.prices, s.t3, s.prices), 403)
    assert s.chain(prices, s.t3) == []


def test_taking_the_item_from_a_unit_ends_the_delegations_it_made(s):
    made = s.delegated(s.transport, s.t1, s.roads)
    assert s.acknowledge(s.roads, made["id"]).status_code == 200
    duties = s.client.get(f"/v1/items/{s.t1}/responsibilities", headers=s.auth("office")).json()["data"]
    transport_duty = next(d["id"] for d in duties if d["unit_id"] == s.transport)
    removed = s.client.delete(f"/v1/items/{s.t1}/responsibilities/{transport_duty}", headers=s.auth("office"))
    assert removed.status_code == 204, removed.text
    # The bureau no longer answers for T1: what it passed down is withdrawn, and its delegate passes on nothing more.
    assert s.chain(s.auth("office"), s.t1) == [(s.transport, s.roads, "withdrawn")]
    assert s.delegate(s.roads, s.t1, s.section).status_code == 403
