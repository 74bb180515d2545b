"""GET /v1/search on reporting_api (检索): the reviewers' comments on reports' versions (审核意见), found by their
words, each linking to its report's versions; a unit finds only the comments on its own reports."""

import dataclasses

import pytest

from services.reporting_api.reports.models import ReportStatus
from tests.reporting_api.test_history_import import load, past
from tests.reporting_api.test_reports import file_report, review, submit
from tests.reporting_api.test_search import CULTURE, TRANSPORT, hits, ids, units  # noqa: F401 - a fixture

COMMENTS = {"kind": "review_comment"}


@pytest.fixture
def reviewed(reporting_client, auth, units, quzhou):  # noqa: F811 - the fixture imported above
    """Returns a function: the unit's report on the item, submitted and reviewed with the comment."""

    def reviewed_with(unit, item_key, comment, decision="return"):
        report = file_report(reporting_client, units[unit], quzhou.item(item_key)["id"])
        submit(reporting_client, units[unit], report["id"])
        response = review(reporting_client, auth, report["id"], decision, comment)
        assert response.status_code == 200, response.text
        return report

    return reviewed_with


def test_a_review_comment_is_found_by_its_words_and_links_to_its_reports_versions(
    reporting_client, auth, quzhou, reviewed
):
    report = reviewed(TRANSPORT, "T9", "请补充征地拆迁的佐证材料")
    page = hits(reporting_client, auth("office"), q="征地拆迁 佐证", **COMMENTS)
    assert len(page["data"]) == 1
    hit = page["data"][0]
    versions = reporting_client.get(hit["href"], headers=auth("office")).json()["data"]
    assert hit["href"] == f"/v1/reports/{report['id']}/versions"
    assert hit["id"] == versions[0]["id"] and versions[0]["review_comment"] == "请补充征地拆迁的佐证材料"
    assert hit["title"] == f"审核意见：9 {quzhou.item('T9')['title']}（2024-Q1，{TRANSPORT}）"
    assert "<mark>拆迁</mark>" in hit["snippet"] and "<mark>佐证</mark>" in hit["snippet"]


def test_an_accepted_reports_comment_is_found_too(reporting_client, auth, reviewed):
    reviewed(TRANSPORT, "T9", "材料翔实，进度符合要求", decision="accept")
    assert len(hits(reporting_client, auth("viewer"), q="材料翔实", **COMMENTS)["data"]) == 1


def test_a_unit_finds_only_the_comments_on_its_own_reports(reporting_client, auth, units, reviewed):  # noqa: F811
    reviewed(TRANSPORT, "T9", "请补充照片")
    reviewed(CULTURE, "T9", "请补充照片和台账")
    office = ids(hits(reporting_client, auth("office"), q="补充照片", **COMMENTS))
    assert len(office) == 2
    assert ids(hits(reporting_client, units[TRANSPORT], q="补充照片", **COMMENTS)) == [office[1]]
    assert ids(hits(reporting_client, units[CULTURE], q="补充照片", **COMMENTS)) == [office[0]]
    assert ids(hits(reporting_client, units[TRANSPORT], q="台账")) == []


def test_comments_come_after_the_other_kinds(reporting_client, auth, units, quzhou, reviewed):  # noqa: F811
    report = reviewed(TRANSPORT, "T9", "继续推进")
    filed = file_report(reporting_client, units[TRANSPORT], quzhou.item("T10")["id"], progress="继续推进")
    found = hits(reporting_client, auth("office"), q="继续推进")["data"]
    assert [(hit["kind"], hit["href"]) for hit in found][-1] == (
        "review_comment",
        f"/v1/reports/{report['id']}/versions",
    )
    assert {hit["id"] for hit in found if hit["kind"] == "report"} >= {filed["id"]}


def test_imported_history_has_its_comments_found(reporting_client, reporting_database, auth, quzhou, units):  # noqa: F811
    unit_id = quzhou.unit_id(TRANSPORT)
    returned = dataclasses.replace(past(quzhou, unit_id, "T9", status=ReportStatus.RETURNED), review_comment="数据有误")
    load(reporting_database, [returned, past(quzhou, unit_id, "T10")])
    assert len(hits(reporting_client, units[TRANSPORT], q="数据有误", **COMMENTS)["data"]) == 1
    assert hits(reporting_client, auth("office"), q="已完成", **COMMENTS)["data"] == []
