"""Probe: links across plans (一方案四清单) — their compare-and-set and their history.

README: "PUT /v1/items/{id}/serves (the office; If-Match of the link, "0" for the first one)"; "Links are in the
history (/v1/history/item_link/{id})"; "History: every change is kept with who, when and what"."""

from __future__ import annotations

from tests.problems import assert_problem
from tests.tasks_api.factories import history
from tests.tasks_api.test_item_links import link, serves


def test_an_etag_read_before_the_link_was_removed_and_set_again_is_stale(tasks_client, auth, items):
    first = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]})
    read_by_a = first.headers["ETag"]  # office clerk A reads the link: "1"
    # Clerk B unlinks it and links the item to P2 instead: a new link row, whose version is 1 again.
    removed = tasks_client.delete(f"/v1/items/{items['C1']}/serves", headers=auth("office", **{"If-Match": read_by_a}))
    assert removed.status_code == 204
    assert link(tasks_client, auth, items["C1"], {"serves_item_id": items["P2"]}).status_code == 200
    # A now writes with the ETag of the link it read, which no longer exists: must be 412, not a silent overwrite.
    late = link(
        tasks_client,
        auth,
        items["C1"],
        {"reference": "浙委发〔2019〕1号 任务3", "title": "综合交通", "source": "省方案"},
        etag=read_by_a,
    )
    assert_problem(late, 412)
    assert serves(tasks_client, auth, items["C1"])["link"]["serves_item_id"] == items["P2"]


def test_deleting_a_higher_level_item_records_the_links_it_takes_with_it(tasks_client, auth, items):
    linked = link(tasks_client, auth, items["C1"], {"serves_item_id": items["P1"]})
    link_id = linked.json()["link"]["id"]
    etag = tasks_client.get(f"/v1/items/{items['P1']}", headers=auth("office")).headers["ETag"]
    deleted = tasks_client.delete(f"/v1/items/{items['P1']}", headers=auth("office", **{"If-Match": etag}))
    # Either refused while a lower plan's item serves it (409), or the city item's link is gone *with a record*.
    if deleted.status_code == 409:
        return
    assert deleted.status_code == 204
    assert serves(tasks_client, auth, items["C1"])["link"] is None
    actions = [change["action"] for change in history(tasks_client, auth, "item_link", link_id)]
    assert actions == ["create", "delete"], actions
