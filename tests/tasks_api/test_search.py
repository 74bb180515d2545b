"""GET /v1/search on tasks_api (检索): items and indicators by the words of their text, as the caller may see them."""

import pytest
from fastapi.testclient import TestClient

from services.common.migrations import downgrade, upgrade
from services.common.pagination import encode_cursor
from services.tasks_api.app import create_app
from tests.conftest import tasks_settings
from tests.tasks_api.factories import SMALL_PLAN, import_small_plan


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def search(client, headers, **params):
    response = client.get("/v1/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def hits(client, headers, **params):
    return [(hit["kind"], hit["id"]) for hit in search(client, headers, **params)["data"]]


def test_an_item_is_found_by_a_word_of_its_title_with_the_word_marked(tasks_client, auth, plan):
    found = search(tasks_client, auth("viewer"), q="快速路")["data"]
    assert [(hit["kind"], hit["id"], hit["title"]) for hit in found] == [("item", plan.items["T1"], "建设快速路")]
    assert found[0]["snippet"] == "建设<mark>快速路</mark>"
    assert found[0]["href"] == f"/v1/items/{plan.items['T1']}" and found[0]["plan_id"] == plan.plan_id


def test_every_word_of_the_query_must_be_in_the_record(tasks_client, auth, plan):
    assert hits(tasks_client, auth("office"), q="建设 快速路") == [("item", plan.items["T1"])]
    assert hits(tasks_client, auth("office"), q="建设 河道") == []


def test_an_indicator_is_found_after_the_items(tasks_client, auth, plan):
    tasks_client.patch(
        f"/v1/items/{plan.items['T2']}",
        json={"text": "河道建成里程达标"},
        headers={**auth("office"), "If-Match": '"1"'},
    )
    found = hits(tasks_client, auth("office"), q="里程")
    indicator = tasks_client.get(f"/v1/items/{plan.items['T1']}/indicators", headers=auth("office")).json()["data"][0]
    assert found == [("item", plan.items["T2"]), ("indicator", indicator["id"])]
    assert hits(tasks_client, auth("office"), q="里程", kind="indicator") == [("indicator", indicator["id"])]


def test_the_index_follows_every_change_of_an_item(tasks_client, auth, plan):
    office = auth("office")
    created = tasks_client.post(
        f"/v1/plans/{plan.plan_id}/items", json={"key": "P1", "kind": "task", "title": "整治港口"}, headers=office
    )
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    assert hits(tasks_client, office, q="港口") == [("item", item_id)]
    changed = tasks_client.patch(
        f"/v1/items/{item_id}", json={"title": "整治码头"}, headers={**office, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert hits(tasks_client, office, q="港口") == [] and hits(tasks_client, office, q="码头") == [("item", item_id)]
    assert tasks_client.delete(f"/v1/items/{item_id}", headers={**office, "If-Match": '"2"'}).status_code == 204
    assert hits(tasks_client, office, q="码头") == []


def test_a_reimport_reindexes_what_it_changed(tasks_client, auth, plan):
    changed = {**SMALL_PLAN, "items": [{**SMALL_PLAN["items"][2], "title": "研究产业政策"}, *SMALL_PLAN["items"][:2]]}
    assert tasks_client.post("/v1/plans/import", json=changed, headers=auth("office")).status_code == 200
    assert hits(tasks_client, auth("office"), q="产业") == [("item", plan.items["T3"])]


def test_a_unit_finds_only_its_own_items_and_their_indicators(tasks_client, auth, plan):
    water, transport = plan.units["市水利局"], plan.units["市交通运输局"]
    assert hits(tasks_client, auth("office"), q="建设 OR 快速路") == []  # OR is a word like any other
    assert hits(tasks_client, auth("unit", unit_id=water), q="快速路") == []
    assert hits(tasks_client, auth("unit", unit_id=transport), q="快速路") == [("item", plan.items["T1"])]
    assert hits(tasks_client, auth("unit", unit_id=water), q="里程") == []
    assert [k for k, _ in hits(tasks_client, auth("unit", unit_id=transport), q="里程")] == ["indicator"]


def test_pages_neither_repeat_nor_skip_a_hit(tasks_client, auth, plan):
    office = auth("office")
    for n in range(7):
        body = {"key": f"K{n}", "kind": "task", "title": f"课题{n}：推进改革", "text": "推进"}
        assert tasks_client.post(f"/v1/plans/{plan.plan_id}/items", json=body, headers=office).status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        page = search(tasks_client, office, q="推进", limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [hit["id"] for hit in page["data"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert len(seen) == 7 and len(set(seen)) == 7 and seen == sorted(seen, reverse=True) and pages == 3


def test_a_plan_filter_keeps_to_the_plan(tasks_client, auth, plan):
    assert hits(tasks_client, auth("office"), q="快速路", plan_id=plan.plan_id + 1000) == []
    assert hits(tasks_client, auth("office"), q="快速路", plan_id=plan.plan_id) == [("item", plan.items["T1"])]


@pytest.mark.parametrize("q", ['"', "*", "NEAR(a b)", "a:b", "\x00", "😀", "' OR 1=1 --", "%", "_", "\\", "()"])
def test_strange_input_finds_nothing_and_never_fails(tasks_client, auth, plan, q):
    response = tasks_client.get("/v1/search", params={"q": q}, headers=auth("office"))
    assert response.status_code in (200, 400, 422), response.text
    assert response.status_code != 200 or response.json()["data"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 422), ({"q": ""}, 422), ({"q": "   "}, 422), ({"q": "x" * 101}, 422), ({"q": "a", "cursor": "bad"}, 400)],
)
def test_a_missing_blank_or_long_query_or_a_bad_cursor_is_refused(tasks_client, auth, plan, params, status):
    response = tasks_client.get("/v1/search", params=params, headers=auth("office"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_cursor_from_another_place_is_refused(tasks_client, auth, plan):
    for key in ([5, 1], [0, 0], [-1, 3], "x"):
        response = tasks_client.get(
            "/v1/search", params={"q": "a", "cursor": encode_cursor(key)}, headers=auth("office")
        )
        assert response.status_code == 400, (key, response.text)


def test_search_needs_a_token(tasks_client, plan):
    assert tasks_client.get("/v1/search", params={"q": "快速路"}).status_code == 401


def test_the_quzhou_plan_is_found_by_chinese_words(quzhou_client, auth, quzhou):
    found = search(quzhou_client, auth("viewer"), q="高速公路", kind="item", limit=100)["data"]
    assert quzhou.item("T9")["id"] in [hit["id"] for hit in found]
    assert all("<mark>高速公路</mark>" in hit["snippet"] for hit in found if hit["id"] == quzhou.item("T9")["id"])


def test_the_migration_indexes_the_items_already_there(databases, auth):
    """Items written before search (here: its tables dropped by the downgrade, the items kept) are indexed by the
    upgrade."""
    url = databases.create("search_fill")
    upgrade("tasks_api", url)
    with TestClient(create_app(tasks_settings(url)), raise_server_exceptions=False) as client:
        assert client.post("/v1/plans/import", json=SMALL_PLAN, headers=auth("office")).status_code == 200
    downgrade("tasks_api", url, "tasks_change_log_chain")
    upgrade("tasks_api", url)
    with TestClient(create_app(tasks_settings(url)), raise_server_exceptions=False) as client:
        assert [hit["title"] for hit in search(client, auth("office"), q="河道")["data"]] == ["治理河道"]
        assert [hit["kind"] for hit in search(client, auth("office"), q="里程")["data"]] == ["indicator"]
