"""GET /v1/search on reporting_api (检索) over the instructions (批示) and the replies in their threads: found by their
words, after the reports, each seen only by whom its instruction concerns."""

from __future__ import annotations

from tests.reporting_api.test_instructions import CULTURE, FINANCE, TRANSPORT, issue, reply, t9, units
from tests.reporting_api.test_reports import file_report

__all__ = ["t9", "units"]  # the fixtures, shared with the instructions' tests


def hits(client, headers, **params):
    response = client.get("/v1/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def found(client, headers, **params):
    return [(hit["kind"], hit["href"]) for hit in hits(client, headers, **params)]


def test_an_instruction_is_found_by_its_words_titled_by_its_item_and_author(reporting_client, auth, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], text="加快推进征地拆迁", author_title="市长")
    [hit] = hits(reporting_client, auth("office"), q="征地拆迁")
    assert (hit["kind"], hit["id"], hit["href"]) == ("instruction", made["id"], f"/v1/instructions/{made['id']}")
    assert hit["title"] == f"9 {t9['title']}（市长张三批示）" and hit["plan_id"] == t9["plan_id"]
    assert hit["snippet"] == "加快推进<mark>征地</mark><mark>拆迁</mark>"


def test_a_reply_is_found_and_links_to_its_instruction(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    assert reply(reporting_client, units[CULTURE][1], made["id"], text="配合完成路面铺设").status_code == 201
    [hit] = hits(reporting_client, auth("office"), q="路面铺设")
    assert (hit["kind"], hit["href"]) == ("instruction_reply", f"/v1/instructions/{made['id']}")
    assert hit["title"].startswith("回复：9 ") and hit["snippet"] == "配合完成<mark>路面</mark><mark>铺设</mark>"


def test_reports_come_first_then_instructions_then_replies(reporting_client, auth, t9, units):
    report = file_report(reporting_client, units[TRANSPORT][1], t9["id"], progress="隧道贯通")
    made = issue(reporting_client, auth("office"), item_id=t9["id"], text="隧道安全")
    assert reply(reporting_client, units[TRANSPORT][1], made["id"], text="隧道已验收").status_code == 201
    kinds = [(hit["kind"], hit["href"]) for hit in hits(reporting_client, auth("office"), q="隧道")]
    assert kinds == [
        ("report", f"/v1/reports/{report['id']}"),
        ("instruction", f"/v1/instructions/{made['id']}"),
        ("instruction_reply", f"/v1/instructions/{made['id']}"),
    ]
    assert [k for k, _ in found(reporting_client, auth("office"), q="隧道", kind="instruction")] == ["instruction"]


def test_a_unit_finds_only_the_instructions_that_concern_it_and_their_replies(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], text="桥梁检测")
    assert reply(reporting_client, auth("office"), made["id"], text="桥梁加固").status_code == 201
    for name in (TRANSPORT, CULTURE):  # the item's lead and co-operating units
        assert len(hits(reporting_client, units[name][1], q="桥梁")) == 2
    assert hits(reporting_client, units[FINANCE][1], q="桥梁") == []
    mentioned = issue(reporting_client, auth("office"), item_id=t9["id"], text="桥梁资金", mentions=[units[FINANCE][0]])
    assert [hit["id"] for hit in hits(reporting_client, units[FINANCE][1], q="桥梁")] == [mentioned["id"]]


def test_pages_run_across_the_kinds_without_repeating_or_skipping(reporting_client, auth, t9, units):
    made = [issue(reporting_client, auth("office"), item_id=t9["id"], text=f"督办事项{n}")["id"] for n in range(3)]
    for instruction_id in made:
        assert reply(reporting_client, auth("office"), instruction_id, text="督办落实").status_code == 201
    seen, cursor = [], None
    while True:
        page = reporting_client.get(
            "/v1/search",
            params={"q": "督办", "limit": 2, **({"cursor": cursor} if cursor else {})},
            headers=auth("office"),
        ).json()
        seen += [(hit["kind"], hit["href"]) for hit in page["data"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [("instruction", f"/v1/instructions/{i}") for i in reversed(made)] + [
        ("instruction_reply", f"/v1/instructions/{i}") for i in reversed(made)
    ]
