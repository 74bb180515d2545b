"""Plans: registration, guarded edits, idempotent creation, import and history."""

import threading

import pytest
import yaml

from tests.conftest import QUZHOU_PLAN

NEW_PLAN = {"key": "kaihua-2024", "title": "开化县行动计划", "starts_on": "2024-01-01", "ends_on": "2026-12-31"}


def create_plan(client, auth, **fields):
    response = client.post("/v1/plans", json={**NEW_PLAN, **fields}, headers=auth("office"))
    assert response.status_code == 201, response.text
    return response


def test_office_registers_a_plan_and_reads_it_back_with_its_etag(tasks_client, auth):
    created = create_plan(tasks_client, auth)
    read = tasks_client.get(created.headers["location"], headers=auth("viewer"))
    assert read.json()["title"] == "开化县行动计划"
    assert read.headers["etag"] == created.headers["etag"] == '"1"'


def test_plan_keys_are_unique(tasks_client, auth):
    create_plan(tasks_client, auth)
    response = tasks_client.post("/v1/plans", json=NEW_PLAN, headers=auth("office"))
    assert response.status_code == 409


def test_plan_period_must_not_end_before_it_starts(tasks_client, auth):
    response = tasks_client.post("/v1/plans", json={**NEW_PLAN, "ends_on": "2023-01-01"}, headers=auth("office"))
    assert response.status_code == 422


def test_patch_without_if_match_is_428_and_changes_nothing(tasks_client, auth):
    url = create_plan(tasks_client, auth).headers["location"]
    response = tasks_client.patch(url, json={"title": "改"}, headers=auth("office"))
    assert response.status_code == 428
    assert tasks_client.get(url, headers=auth("viewer")).json()["title"] == NEW_PLAN["title"]


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(tasks_client, auth):
    url = create_plan(tasks_client, auth).headers["location"]
    assert (
        tasks_client.patch(url, json={"title": "第一次"}, headers=auth("office", **{"If-Match": '"1"'})).status_code
        == 200
    )
    response = tasks_client.patch(url, json={"title": "第二次"}, headers=auth("office", **{"If-Match": '"1"'}))
    assert response.status_code == 412
    assert response.headers["etag"] == '"2"'
    assert tasks_client.get(url, headers=auth("viewer")).json()["title"] == "第一次"


def test_patch_with_the_current_etag_changes_the_plan_and_its_etag(tasks_client, auth):
    url = create_plan(tasks_client, auth).headers["location"]
    response = tasks_client.patch(url, json={"status": "active"}, headers=auth("office", **{"If-Match": '"1"'}))
    assert response.json()["status"] == "active"
    assert response.headers["etag"] == '"2"'


def test_patch_cannot_null_a_required_field(tasks_client, auth):
    url = create_plan(tasks_client, auth).headers["location"]
    response = tasks_client.patch(url, json={"title": None}, headers=auth("office", **{"If-Match": '"1"'}))
    assert response.status_code == 422


def test_delete_needs_the_current_etag(tasks_client, auth):
    url = create_plan(tasks_client, auth).headers["location"]
    assert tasks_client.delete(url, headers=auth("office")).status_code == 428
    assert tasks_client.delete(url, headers=auth("office", **{"If-Match": '"7"'})).status_code == 412
    assert tasks_client.delete(url, headers=auth("office", **{"If-Match": '"1"'})).status_code == 204
    assert tasks_client.get(url, headers=auth("viewer")).status_code == 404


def test_every_change_is_in_the_history_with_who_and_what(tasks_client, auth):
    url = create_plan(tasks_client, auth).headers["location"]
    tasks_client.patch(url, json={"title": "新标题"}, headers=auth("office", **{"If-Match": '"1"'}))
    plan_id = url.rsplit("/", 1)[1]
    history = tasks_client.get(f"/v1/history/plan/{plan_id}", headers=auth("office")).json()["data"]
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["changes"] == {"title": [NEW_PLAN["title"], "新标题"]}
    assert history[1]["actor"] == "test-office-0"


def test_history_is_for_the_office_only(tasks_client, auth):
    assert tasks_client.get("/v1/history/plan/1", headers=auth("unit", unit_id=1)).status_code == 403


def test_retried_post_with_the_same_idempotency_key_replays_the_first_response(tasks_client, auth):
    headers = auth("office", **{"Idempotency-Key": "7d1c0b6e-create-plan"})
    first = tasks_client.post("/v1/plans", json=NEW_PLAN, headers=headers)
    again = tasks_client.post("/v1/plans", json=NEW_PLAN, headers=headers)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert len(tasks_client.get("/v1/plans", headers=auth("viewer")).json()["data"]) == 1


def test_same_idempotency_key_with_another_body_is_422(tasks_client, auth):
    headers = auth("office", **{"Idempotency-Key": "key-1"})
    tasks_client.post("/v1/plans", json=NEW_PLAN, headers=headers)
    response = tasks_client.post("/v1/plans", json={**NEW_PLAN, "key": "other"}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_idempotency_keys_are_scoped_to_the_caller(tasks_client, auth):
    tasks_client.post("/v1/plans", json=NEW_PLAN, headers=auth("office", **{"Idempotency-Key": "shared"}))
    other = tasks_client.post(
        "/v1/plans", json={**NEW_PLAN, "key": "k2"}, headers=auth("admin", **{"Idempotency-Key": "shared"})
    )
    assert other.status_code == 201


def test_concurrent_retries_create_one_plan(tasks_client, auth):
    headers = auth("office", **{"Idempotency-Key": "concurrent"})
    statuses = []

    def post():
        statuses.append(tasks_client.post("/v1/plans", json=NEW_PLAN, headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    assert len(tasks_client.get("/v1/plans", headers=auth("viewer")).json()["data"]) == 1


def test_walking_pages_while_plans_are_added_skips_and_repeats_nothing(tasks_client, auth):
    for n in range(7):
        create_plan(tasks_client, auth, key=f"p{n}")
    seen, cursor = [], None
    while True:
        page = tasks_client.get(
            "/v1/plans", params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=auth("viewer")
        )
        seen += [p["key"] for p in page.json()["data"]]
        cursor = page.json()["next_cursor"]
        if len(seen) == 3:
            create_plan(tasks_client, auth, key="late")
            assert 'rel="next"' in page.headers["link"]
        if cursor is None:
            assert "link" not in page.headers
            break
    assert seen == [f"p{n}" for n in range(7)] + ["late"]


def test_importing_the_seed_twice_changes_nothing_the_second_time(tasks_client, auth):
    headers = auth("office", **{"Content-Type": "application/yaml"})
    first = tasks_client.post("/v1/plans/import", content=QUZHOU_PLAN.read_bytes(), headers=headers)
    assert first.json()["counts"]["item.created"] == 105
    second = tasks_client.post("/v1/plans/import", content=QUZHOU_PLAN.read_bytes(), headers=headers)
    assert second.json() == {"plan_id": first.json()["plan_id"], "counts": {}}


def test_an_edited_plan_file_changes_only_what_was_edited(tasks_client, auth):
    headers = auth("office", **{"Content-Type": "application/yaml"})
    text = QUZHOU_PLAN.read_text(encoding="utf-8")
    tasks_client.post("/v1/plans/import", content=text.encode(), headers=headers)
    edited = text.replace("title: 完善便捷通达公路网络建设", "title: 完善便捷通达的公路网络")
    counts = tasks_client.post("/v1/plans/import", content=edited.encode(), headers=headers).json()["counts"]
    assert counts == {"item.updated": 1}


@pytest.mark.parametrize(
    ("broken", "location", "line"),
    [
        (("target: 298", "target: many"), "items[3].children[1].indicators[0].target", 709),
        # YAML's .inf and .nan were stored, and the breakdown workbook then answered 500 (until 2026-12-07).
        (("target: 298", "target: .inf"), "items[3].children[1].indicators[0].target", 709),
        (("target: 298", "target: .nan"), "items[3].children[1].indicators[0].target", 709),
        # YAML's dates passed outside the supported years, which the JSON bodies refuse (until 2026-12-07).
        (
            (
                'target: 298\n            comparison: ">="\n            target_date: 2025',
                'target: 298\n            comparison: ">="\n            target_date: 9999',
            ),
            "items[3].children[1].indicators[0].target_date",
            711,
        ),
        (("units: [市交通运输局, 市文旅局]", "units: [市交通运输局, 市旅游局]"), "items[3].children[1].units[1]", 703),
    ],
)
def test_a_bad_plan_file_is_refused_naming_the_key_and_line(tasks_client, auth, broken, location, line):
    text = QUZHOU_PLAN.read_text(encoding="utf-8").replace(*broken)
    response = tasks_client.post(
        "/v1/plans/import", content=text.encode(), headers=auth("office", **{"Content-Type": "application/yaml"})
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["location"] == [location]
    assert error["line"] == line
    assert tasks_client.get("/v1/plans", headers=auth("viewer")).json()["data"] == []


def test_a_plan_file_may_be_sent_as_json(tasks_client, auth):
    plan = {
        "plan": {"key": "tiny", "title": "小计划", "starts_on": "2024-01-01", "ends_on": "2024-12-31"},
        "units": [{"name": "市发改委", "kind": "department"}],
        "items": [{"key": "T1", "kind": "task", "title": "一项任务", "units": ["市发改委"]}],
    }
    response = tasks_client.post("/v1/plans/import", json=plan, headers=auth("office"))
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["responsibility.created"] == 1


def test_the_office_edits_a_plans_general_requirements_and_principles(tasks_client, auth):
    url = create_plan(tasks_client, auth).headers["location"]
    response = tasks_client.patch(
        url,
        json={"general_requirements": "以……为指导", "principles": ["坚持一", "坚持二"]},
        headers=auth("office", **{"If-Match": '"1"'}),
    )
    assert response.status_code == 200, response.text
    read = tasks_client.get(url, headers=auth("viewer")).json()
    assert (read["general_requirements"], read["principles"]) == ("以……为指导", ["坚持一", "坚持二"])


def test_a_yaml_plan_file_with_nul_in_a_text_is_refused_with_its_place_and_writes_nothing(tasks_client, auth):
    plan = {
        "plan": {"key": "tiny", "title": "小\0计划", "starts_on": "2024-01-01", "ends_on": "2024-12-31"},
        "units": [{"name": "市发改委", "kind": "department"}],
    }
    text = yaml.safe_dump(plan, allow_unicode=True)  # YAML writes the NUL as "\0"
    response = tasks_client.post(
        "/v1/plans/import", content=text.encode(), headers=auth("office", **{"Content-Type": "application/yaml"})
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == ["plan.title"]
    assert tasks_client.get("/v1/plans", headers=auth("viewer")).json()["data"] == []
