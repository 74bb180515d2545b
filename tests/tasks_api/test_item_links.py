"""Plans linked across levels (一方案四清单): an item names the higher-level item (another plan's) or the external
task it serves; the chain upward is followed link by link; links never close a cycle, even set at the same moment."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from services.common.auth import Principal, Role
from services.common.db import Database, make_engine
from services.common.problems import Unprocessable
from services.tasks_api.items import service as item_service
from services.tasks_api.items import unlinking
from services.tasks_api.links import service
from services.tasks_api.links.schemas import LinkSet
from tests.problems import assert_problem
from tests.tasks_api.factories import history


def plan_file(key: str, title: str, items: list[dict]) -> dict:
    return {
        "plan": {"key": key, "title": title, "starts_on": "2020-01-01", "ends_on": "2025-12-31"},
        "units": [{"name": "市发改委", "kind": "department"}],
        "items": items,
    }


def task(key: str, number: str, title: str, children: list[dict] | None = None) -> dict:
    return {"key": key, "kind": "task", "number": number, "title": title, "units": ["市发改委"]} | (
        {"kind": "section", "children": children, "units": []} if children else {}
    )


PROVINCE = plan_file(
    "province",
    "浙江省推进长三角一体化行动方案",
    [task("P1", "1", "打造数字经济高地"), task("P2", "2", "共建交通网")],
)
DIGITAL = [task("C1", "1", "建设数字经济示范区"), task("C2", "2", "培育数字产业")]
CITY = plan_file("city", "衢州市行动计划", [task("S1", "一", "数字经济板块", DIGITAL), task("C3", "3", "修路")])
COUNTY = plan_file("county", "江山市实施方案", [task("K1", "1", "建设数字小镇")])


@pytest.fixture
def items(tasks_client, auth):
    found: dict[str, int] = {}
    for plan in (PROVINCE, CITY, COUNTY):
        imported = tasks_client.post("/v1/plans/import", json=plan, headers=auth("office"))
        assert imported.status_code == 200, imported.text
        rows = tasks_client.get(
            f"/v1/plans/{imported.json()['plan_id']}/items", params={"limit": 500}, headers=auth("office")
        ).json()["data"]
        found |= {row["key"]: row["id"] for row in rows}
    return found


def link(client, auth, item_id, body, etag='"0"', headers=None):
    headers = {**(headers or auth("office")), **({"If-Match": etag} if etag else {})}
    return client.put(f"/v1/items/{item_id}/serves", json=body, headers=headers)


def unit_token(client, auth):
    units = client.get("/v1/units", headers=auth("viewer")).json()["data"]
    return auth("unit", unit_id=next(u["id"] for u in units if u["name"] == "市发改委"))


def serves(client, auth, item_id, headers=None):
    response = client.get(f"/v1/items/{item_id}/serves", headers=headers or auth("viewer"))
    assert response.status_code == 200, response.text
    return response.json()


def test_an_item_names_the_provincial_item_it_serves(tasks_client, auth, items):
    linked = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]})
    assert linked.status_code == 200, linked.text
    assert linked.headers["ETag"] == '"1"'
    found = serves(tasks_client, auth, items["C1"])
    assert found["link"]["serves_item_id"] == items["P1"]
    assert [(s["item_id"], s["plan_title"], s["number"], s["title"]) for s in found["chain"]] == [
        (items["P1"], "浙江省推进长三角一体化行动方案", "1", "打造数字经济高地")
    ]
    assert (found["external"], found["version"], found["link"]["reference"]) == (None, 1, None)


def test_the_chain_runs_from_county_through_city_to_the_provincial_plan_outside_duban(tasks_client, auth, items):
    external = {"reference": "浙委发〔2019〕1号 任务3", "title": "数字经济一号工程", "source": "浙江省委文件"}
    assert link(tasks_client, auth, items["P1"], external).status_code == 200
    assert link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}).status_code == 200
    assert link(tasks_client, auth, items["K1"], {"serves_item_id": items["C1"]}).status_code == 200
    found = serves(tasks_client, auth, items["K1"])
    assert [step["item_key"] for step in found["chain"]] == ["C1", "P1"]
    assert found["external"] == external


def test_a_link_above_a_chain_already_as_long_as_allowed_is_422_and_a_chain_is_shown_that_far(
    tasks_client, auth, items, monkeypatch
):
    assert link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}).status_code == 200
    assert link(tasks_client, auth, items["K1"], {"serves_item_id": items["C1"]}).status_code == 200
    monkeypatch.setattr(service, "MAX_DEPTH", 1)
    assert [step["item_key"] for step in serves(tasks_client, auth, items["K1"])["chain"]] == ["C1"]
    etag = f'"{serves(tasks_client, auth, items["K1"])["version"]}"'
    refused = link(tasks_client, auth, items["K1"], {"serves_item_id": items["C1"]}, etag=etag)
    assert_problem(refused, 422)
    assert "longer than 1 levels" in refused.json()["detail"]


def test_an_item_that_serves_nothing_answers_version_0_and_an_empty_chain(tasks_client, auth, items):
    response = tasks_client.get(f"/v1/items/{items['C3']}/serves", headers=auth("viewer"))
    assert response.headers["ETag"] == '"0"'
    assert response.json() == {"item_id": items["C3"], "link": None, "chain": [], "external": None, "version": 0}


def test_a_unit_reads_which_provincial_task_its_work_answers_but_cannot_link(tasks_client, auth, items):
    link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]})
    unit = unit_token(tasks_client, auth)
    assert serves(tasks_client, auth, items["C1"], headers=unit)["chain"][0]["item_key"] == "P1"
    assert_problem(link(tasks_client, auth, items["C2"], {"serves_item_id": items["P1"]}, headers=unit), 403)


def test_the_items_that_serve_an_item_are_listed_under_it(tasks_client, auth, items):
    for key in ("C1", "C2"):
        link(tasks_client, auth, items[key], {"serves_item_id": items["P1"]})
    response = tasks_client.get(f"/v1/items/{items['P1']}/served-by", params={"limit": 1}, headers=auth("viewer"))
    assert [row["item_key"] for row in response.json()["data"]] == ["C1"]
    more = tasks_client.get(response.links["next"]["url"], headers=auth("viewer")).json()
    assert [(row["item_key"], row["plan_title"]) for row in more["data"]] == [("C2", "衢州市行动计划")]


def test_changing_and_removing_a_link_is_guarded_and_in_the_history(tasks_client, auth, items):
    link_id = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}).json()["link"]["id"]
    assert_problem(link(tasks_client, auth, items["C1"], {"serves_item_id": items["P2"]}, etag='"0"'), 412)
    assert_problem(link(tasks_client, auth, items["C1"], {"serves_item_id": items["P2"]}, etag=None), 428)
    changed = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P2"]}, etag='"1"')
    assert changed.json()["chain"][0]["item_key"] == "P2"
    removed = tasks_client.delete(f"/v1/items/{items['C1']}/serves", headers=auth("office", **{"If-Match": '"2"'}))
    assert removed.status_code == 204
    assert serves(tasks_client, auth, items["C1"])["link"] is None
    changes = history(tasks_client, auth, "item_link", link_id)
    assert [c["action"] for c in changes] == ["create", "update", "delete"]
    assert changes[1]["changes"]["serves_item_id"] == [items["P1"], items["P2"]]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"serves_item_id": 1, "reference": "浙委发〔2019〕1号"},
        {"serves_item_id": 1, "title": "标题只属于外部任务"},
        {"reference": ""},
        {"reference": "x" * 201},
        {"serves_item_id": 1, "extra": True},
    ],
)
def test_a_link_names_exactly_one_well_formed_target(tasks_client, auth, items, body):
    assert_problem(link(tasks_client, auth, items["C1"], body), 422)
    assert serves(tasks_client, auth, items["C1"])["version"] == 0


def test_an_item_cannot_serve_an_item_of_its_own_plan(tasks_client, auth, items):
    refused = link(tasks_client, auth, items["C1"], {"serves_item_id": items["C3"]})
    assert_problem(refused, 422)
    assert refused.json()["errors"][0]["pointer"] == "/body/serves_item_id"


def test_a_link_to_an_unknown_item_is_422_and_an_unknown_item_404(tasks_client, auth, items):
    assert_problem(link(tasks_client, auth, items["C1"], {"serves_item_id": 999_999}), 422)
    assert_problem(link(tasks_client, auth, 999_999, {"serves_item_id": items["P1"]}), 404)
    assert_problem(tasks_client.get("/v1/items/999999/serves", headers=auth("viewer")), 404)


def test_a_link_that_would_close_a_cycle_is_refused(tasks_client, auth, items):
    link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]})
    link(tasks_client, auth, items["K1"], {"serves_item_id": items["C1"]})
    assert_problem(link(tasks_client, auth, items["P1"], {"serves_item_id": items["K1"]}), 422)
    assert serves(tasks_client, auth, items["P1"])["link"] is None


def test_the_plan_structure_carries_what_its_items_serve(tasks_client, auth, items):
    link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]})
    link(tasks_client, auth, items["C3"], {"reference": "浙交〔2020〕5号", "title": "综合交通", "source": "省交通厅"})
    plan_id = tasks_client.get(f"/v1/items/{items['C1']}", headers=auth("viewer")).json()["plan_id"]
    structure = tasks_client.get(f"/v1/plans/{plan_id}/structure", headers=auth("service")).json()
    assert structure["links"] == sorted(links_of_c1_and_c3(items), key=lambda link: link["item_id"])


def links_of_c1_and_c3(items):
    return [
        {
            "item_id": items["C1"],
            "serves_item_id": items["P1"],
            "reference": None,
            "number": "1",
            "title": "打造数字经济高地",
            "plan_title": "浙江省推进长三角一体化行动方案",
        },
        {
            "item_id": items["C3"],
            "serves_item_id": None,
            "reference": "浙交〔2020〕5号",
            "number": "",
            "title": "综合交通",
            "plan_title": "省交通厅",
        },
    ]


# -- a removed link: its ETag never comes back, and a delete that takes it records it ------------------------


def unlink(client, auth, item_id, etag):
    return client.delete(f"/v1/items/{item_id}/serves", headers=auth("office", **{"If-Match": etag}))


def delete_item(client, auth, item_id):
    etag = client.get(f"/v1/items/{item_id}", headers=auth("office")).headers["ETag"]
    return client.delete(f"/v1/items/{item_id}", headers=auth("office", **{"If-Match": etag}))


def test_an_etag_read_before_the_link_was_removed_and_set_again_is_stale(tasks_client, auth, items):
    read_by_a = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}).headers["ETag"]
    # Clerk B unlinks it and links the item to P2 instead; clerk A then writes with the ETag of the link it read.
    assert unlink(tasks_client, auth, items["C1"], read_by_a).status_code == 204
    assert link(tasks_client, auth, items["C1"], {"serves_item_id": items["P2"]}).status_code == 200
    late = link(tasks_client, auth, items["C1"], {"reference": "浙委发〔2019〕1号 任务3"}, etag=read_by_a)
    assert_problem(late, 412)
    assert_problem(unlink(tasks_client, auth, items["C1"], read_by_a), 412)
    assert serves(tasks_client, auth, items["C1"])["link"]["serves_item_id"] == items["P2"]


def test_an_item_linked_again_shows_the_etag_its_next_write_takes_and_0_only_while_unlinked(tasks_client, auth, items):
    first = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]})
    assert unlink(tasks_client, auth, items["C1"], first.headers["ETag"]).status_code == 204
    unlinked = tasks_client.get(f"/v1/items/{items['C1']}/serves", headers=auth("viewer"))
    assert (unlinked.headers["ETag"], unlinked.json()["version"]) == ('"0"', 0)
    again = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P2"]}, etag=unlinked.headers["ETag"])
    assert again.headers["ETag"] == '"2"'  # the first link's "1" goes on to 2, never back to 1
    assert_problem(link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}, etag='"0"'), 412)
    read = tasks_client.get(f"/v1/items/{items['C1']}/serves", headers=auth("viewer")).headers["ETag"]
    assert read == '"2"'
    assert link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}, etag=read).headers["ETag"] == '"3"'


def test_deleting_a_higher_level_item_records_the_links_it_takes_with_it(tasks_client, auth, items):
    link_id = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}).json()["link"]["id"]
    assert delete_item(tasks_client, auth, items["P1"]).status_code == 204
    assert serves(tasks_client, auth, items["C1"])["link"] is None
    changes = history(tasks_client, auth, "item_link", link_id)
    assert [(c["action"], c["actor"]) for c in changes] == [("create", "test-office-0"), ("delete", "test-office-0")]
    assert changes[1]["changes"]["serves_item_id"] == [items["P1"], None]


def test_an_etag_of_a_link_that_went_with_its_higher_level_item_is_stale_once_linked_again(tasks_client, auth, items):
    read_by_a = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}).headers["ETag"]
    assert delete_item(tasks_client, auth, items["P1"]).status_code == 204
    assert link(tasks_client, auth, items["C1"], {"serves_item_id": items["P2"]}).headers["ETag"] == '"2"'
    assert_problem(unlink(tasks_client, auth, items["C1"], read_by_a), 412)


def test_deleting_a_section_records_the_links_of_the_items_under_it(tasks_client, auth, items):
    own = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]}).json()["link"]["id"]
    to_it = link(tasks_client, auth, items["K1"], {"serves_item_id": items["C1"]}).json()["link"]["id"]
    assert delete_item(tasks_client, auth, items["S1"]).status_code == 204
    assert serves(tasks_client, auth, items["K1"])["link"] is None
    for link_id in (own, to_it):
        assert [c["action"] for c in history(tasks_client, auth, "item_link", link_id)] == ["create", "delete"]


def test_deleting_a_plan_records_the_links_to_and_from_its_items(tasks_client, auth, items):
    up = link(tasks_client, auth, items["C3"], {"serves_item_id": items["P2"]}).json()["link"]["id"]
    down = link(tasks_client, auth, items["K1"], {"serves_item_id": items["C1"]}).json()["link"]["id"]
    city_id = tasks_client.get(f"/v1/items/{items['C3']}", headers=auth("office")).json()["plan_id"]
    city = tasks_client.get(f"/v1/plans/{city_id}", headers=auth("office"))
    deleted = tasks_client.delete(f"/v1/plans/{city_id}", headers=auth("office", **{"If-Match": city.headers["ETag"]}))
    assert deleted.status_code == 204, deleted.text
    assert serves(tasks_client, auth, items["K1"])["link"] is None
    for link_id in (up, down):
        assert [c["action"] for c in history(tasks_client, auth, "item_link", link_id)] == ["create", "delete"]


def test_an_item_deleted_while_a_link_to_it_is_set_never_loses_the_link_unrecorded(
    tasks_client, tasks_database, auth, items, monkeypatch
):
    # Widen the window deterministically: the delete reads the links it records, then waits a moment before deleting
    # (as a slow request would), and the link is set inside that moment.
    original = unlinking.record_change

    async def slow_record_change(*args, **kwargs):
        await asyncio.sleep(0.5)
        return await original(*args, **kwargs)

    monkeypatch.setattr(unlinking, "record_change", slow_record_change)
    link(tasks_client, auth, items["C2"], {"serves_item_id": items["P1"]})  # so that the delete has one to record
    version = tasks_client.get(f"/v1/items/{items['P1']}", headers=auth("office")).json()["version"]

    async def link_later(db):
        await asyncio.sleep(0.15)
        return await setting(items["C1"], items["P1"])(db)

    deleted, linked = race(
        tasks_database,
        partial(item_service.delete_item, item_id=items["P1"], version=version, actor=OFFICE),
        link_later,
    )
    assert deleted is None, deleted
    # The link waited for the delete (one writer of links at a time) and then found its target gone.
    assert isinstance(linked, Unprocessable), linked
    assert serves(tasks_client, auth, items["C1"])["link"] is None


# -- real concurrency: two links set at the same moment -----------------------------------------------------

OFFICE = Principal(subject="test-office-0", role=Role.OFFICE)


def setting(item_id, target_id):
    return partial(service.set_link, item_id=item_id, data=LinkSet(serves_item_id=target_id), version=0, actor=OFFICE)


def race(url, *steps):
    async def run():
        db = Database(make_engine(url))
        try:
            return await asyncio.gather(*(step(db) for step in steps), return_exceptions=True)
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_two_links_set_at_once_that_would_close_a_cycle_never_both_succeed(tasks_client, tasks_database, auth, items):
    for _ in range(3):
        outcomes = race(
            tasks_database,
            partial(
                service.set_link, item_id=items["C1"], data=LinkSet(serves_item_id=items["K1"]), version=0, actor=OFFICE
            ),
            partial(
                service.set_link, item_id=items["K1"], data=LinkSet(serves_item_id=items["C1"]), version=0, actor=OFFICE
            ),
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["ItemServes", Unprocessable.__name__]
        for key in ("C1", "K1"):
            found = serves(tasks_client, auth, items[key])
            if found["version"]:
                etag = f'"{found["version"]}"'  # the link's versions go on from the last round's (never 1 again)
                removed = tasks_client.delete(
                    f"/v1/items/{items[key]}/serves", headers=auth("office", **{"If-Match": etag})
                )
                assert removed.status_code == 204, removed.text
