"""GET /v1/search on reporting_api (检索): reports by the words of their text; a unit finds only its own."""

import pytest

from services.common import search_read
from tests.reporting_api.test_reports import FULL_CONTENT, file_report

TRANSPORT, CULTURE = "市交通运输局", "市文旅局"


@pytest.fixture
def units(quzhou, auth):
    ids = {name: quzhou.unit_id(name) for name in (TRANSPORT, CULTURE)}
    return {name: auth("unit", unit_id=unit_id) for name, unit_id in ids.items()}


@pytest.fixture
def t9(quzhou):
    return quzhou.item("T9")


def hits(client, headers, **params):
    response = client.get("/v1/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page):
    return [hit["id"] for hit in page["data"]]


def test_a_report_is_found_by_the_words_of_its_text_titled_by_its_item_and_period(reporting_client, auth, units, t9):
    report = file_report(reporting_client, units[TRANSPORT], t9["id"], progress="黄衢南高速公路建成通车")
    page = hits(reporting_client, auth("office"), q="高速公路 通车")
    assert ids(page) == [report["id"]]
    hit = page["data"][0]
    assert hit["kind"] == "report" and hit["href"] == f"/v1/reports/{report['id']}"
    assert hit["title"] == f"9 {t9['title']}（2024-Q1，{TRANSPORT}）"
    assert "<mark>高速公路</mark>" in hit["snippet"] and "<mark>通车</mark>" in hit["snippet"]


def test_a_unit_never_sees_another_units_hit(reporting_client, auth, units, t9):
    own = file_report(reporting_client, units[TRANSPORT], t9["id"], progress="景区公路互联互通")
    other = file_report(reporting_client, units[CULTURE], t9["id"], progress="景区公路旅游线路")
    assert ids(hits(reporting_client, auth("office"), q="景区公路")) == [other["id"], own["id"]]
    assert ids(hits(reporting_client, units[TRANSPORT], q="景区公路")) == [own["id"]]
    assert ids(hits(reporting_client, units[CULTURE], q="景区公路")) == [other["id"]]
    assert ids(hits(reporting_client, units[TRANSPORT], q="旅游线路")) == []


def test_an_edit_reindexes_and_a_deletion_unindexes(reporting_client, auth, units, t9):
    report = file_report(reporting_client, units[TRANSPORT], t9["id"], progress="隧道贯通")
    edited = reporting_client.patch(
        f"/v1/reports/{report['id']}",
        json={"progress": "桥梁合龙"},
        headers={**units[TRANSPORT], "If-Match": f'"{report["version"]}"'},
    )
    assert edited.status_code == 200, edited.text
    assert ids(hits(reporting_client, auth("office"), q="隧道")) == []
    assert ids(hits(reporting_client, auth("office"), q="桥梁")) == [report["id"]]
    deleted = reporting_client.delete(
        f"/v1/reports/{report['id']}", headers={**units[TRANSPORT], "If-Match": f'"{edited.json()["version"]}"'}
    )
    assert deleted.status_code == 204
    assert ids(hits(reporting_client, auth("office"), q="桥梁")) == []


def test_pages_neither_repeat_nor_skip_a_hit(reporting_client, auth, units, t9):
    filed = [
        file_report(reporting_client, units[name], t9["id"], period=period, next_steps="继续推进")["id"]
        for name in (TRANSPORT, CULTURE)
        for period in ("2024-Q1", "2024-Q3", "2025-Q1")
    ]
    seen, cursor = [], None
    while True:
        page = hits(reporting_client, auth("office"), q="继续推进", limit=4, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        if not (cursor := page["next_cursor"]):
            break
    assert seen == sorted(filed, reverse=True)


def test_strange_input_never_fails(reporting_client, auth, units, t9):
    file_report(reporting_client, units[TRANSPORT], t9["id"])
    for q in ['"推进', "推进*", "推进 NEAR 目标", "progress:推进", "😀", "推进\\", "'; DROP TABLE reports; --"]:
        response = reporting_client.get("/v1/search", params={"q": q}, headers=auth("office"))
        assert response.status_code == 200, (q, response.text)
    assert reporting_client.get("/v1/search", params={"q": " "}, headers=auth("office")).status_code == 422
    assert (
        reporting_client.get("/v1/search", params={"q": "推进", "kind": "item"}, headers=auth("office")).status_code
        == 422
    )


def test_the_words_of_fields_beside_the_query_are_found(reporting_client, auth, units, t9):
    content = {**FULL_CONTENT, "problems": "征地拆迁进度慢"}
    report = file_report(reporting_client, units[TRANSPORT], t9["id"], **content)
    assert ids(hits(reporting_client, auth("viewer"), q="征地拆迁")) == [report["id"]]


def test_short_walks_and_the_index_find_the_hits_newest_first(reporting_client, auth, units, t9, monkeypatch):
    """Walks of 2 and 3 rows (search_read.WALKS) stand in for 1,000 and 10,000: every path a search reads by gives
    each hit once, newest first."""
    monkeypatch.setattr(search_read, "WALKS", (2, 3))
    texts = ("隧道贯通", "路面摊铺", "路面摊铺", "桥梁合龙", "路面摊铺", "隧道贯通")
    owners = [(name, period) for name in (TRANSPORT, CULTURE) for period in ("2024-Q1", "2024-Q3", "2025-Q1")]
    filed = [
        (name, file_report(reporting_client, units[name], t9["id"], period=period, progress=text)["id"], text)
        for (name, period), text in zip(owners, texts, strict=True)
    ]
    for q in ("隧道", "路面", "桥梁", "涵洞"):
        for caller, headers in (("office", auth("office")), (TRANSPORT, units[TRANSPORT])):
            expected = sorted(
                (id_ for name, id_, text in filed if q in text and caller in ("office", name)), reverse=True
            )
            for limit in (1, 2, 5):
                assert every_page(reporting_client, headers, q, limit) == expected, (q, caller, limit)


def every_page(client, headers, q, limit):
    seen, cursor = [], None
    while True:
        page = hits(client, headers, q=q, kind="report", limit=limit, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        if not (cursor := page["next_cursor"]):
            return seen
