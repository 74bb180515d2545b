"""GET /v1/plans/{id}/assessment.docx: the annual assessment as an official document (年度综合考核结果通报), read
back with python-docx and compared with the JSON assessment it prints."""

from __future__ import annotations

import io
from urllib.parse import unquote

import docx
import pytest

from services.common.documents import DOCX_MEDIA_TYPE
from tests.problems import assert_problem
from tests.reporting_api.test_assessment import QUJIANG, adjust, assessment, close

PLAN_TITLE = "衢州市战略融入长三角区域一体化发展行动计划（2019—2025年）"


def document_of(client, headers, plan_id, **params):
    response = client.get(
        f"/v1/plans/{plan_id}/assessment.docx", params={"year": 2024, "date": "2025-03-05", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX_MEDIA_TYPE
    return response, docx.Document(io.BytesIO(response.content))


def tables_by_heading(document) -> dict[str, list[list[str]]]:
    """Each table under the heading paragraph just before it (python-docx keeps paragraphs and tables apart)."""
    body = document.element.body
    found, heading = {}, None
    for child in body.iterchildren():
        if child.tag.endswith("}p"):
            heading = "".join(child.itertext()) or heading
        elif child.tag.endswith("}tbl"):
            table = next(t for t in document.tables if t._tbl is child)
            found[heading] = [[cell.text for cell in row.cells] for row in table.rows]
    return found


def test_each_list_is_a_table_with_the_ranks_and_totals_of_the_json_assessment(reporting_client, auth, quzhou):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    found = assessment(reporting_client, auth("office"), quzhou.plan_id)
    _, document = document_of(reporting_client, auth("office"), quzhou.plan_id)
    tables = tables_by_heading(document)
    counties = next(listed for listed in found["lists"] if listed["key"] == "counties")
    heading = next(heading for heading in tables if counties["title"] in heading)
    header, *rows = tables[heading]
    assert header[:2] == ["名次", "单位"] and header[-2:] == ["综合得分", "说明"]
    assert [(row[0], row[1], row[-2]) for row in rows] == [
        (str(row["rank"]), row["unit_name"], row["total"]) for row in counties["rows"]
    ]


def test_an_unranked_list_says_so_and_shows_no_ranks(reporting_client, auth, quzhou):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    _, document = document_of(reporting_client, auth("office"), quzhou.plan_id)
    unranked = [rows[1:] for heading, rows in tables_by_heading(document).items() if "不排名" in heading]
    assert unranked and {row[0] for rows in unranked for row in rows} == {"—"}


def test_bonus_and_penalty_points_are_printed_signed(reporting_client, auth, quzhou):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    body = {"unit_id": quzhou.unit_id(QUJIANG), "points": "-1.25", "reason": "季度报送被通报"}
    assert adjust(reporting_client, auth, quzhou.plan_id, body).status_code == 201
    _, document = document_of(reporting_client, auth("office"), quzhou.plan_id)
    [row] = [row for rows in tables_by_heading(document).values() for row in rows if row[1] == QUJIANG]
    assert row[-3] == "-1.25"


def test_the_title_number_issuer_and_date_are_those_of_the_office(reporting_client, auth, quzhou):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    _, document = document_of(reporting_client, auth("office"), quzhou.plan_id, number="衢长三角办〔2025〕1号")
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert texts[:3] == [
        "衢州市融入长三角一体化发展工作领导小组办公室",
        "衢长三角办〔2025〕1号",
        f"关于{PLAN_TITLE}2024年度综合考核结果的通报",
    ]
    assert "2024-Q3" in texts[3]
    assert texts[-2:] == ["衢州市融入长三角一体化发展工作领导小组办公室", "2025年3月5日"]


def test_the_download_is_named_for_the_year(reporting_client, auth, quzhou):
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    response, _ = document_of(reporting_client, auth("office"), quzhou.plan_id)
    disposition = response.headers["content-disposition"]
    assert f'filename="assessment-{quzhou.plan_id}-2024.docx"' in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == "2024年度综合考核结果通报.docx"


def test_a_unit_may_not_issue_the_assessment(reporting_client, auth, quzhou):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/assessment.docx",
        params={"year": 2024},
        headers=auth("unit", unit_id=quzhou.unit_id(QUJIANG)),
    )
    assert_problem(response, 403)


def test_without_a_closed_period_the_document_is_refused_like_the_assessment(reporting_client, auth, quzhou):
    json_answer = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/assessment", params={"year": 2024}, headers=auth("office")
    )
    document = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/assessment.docx", params={"year": 2024}, headers=auth("office")
    )
    assert document.status_code == json_answer.status_code >= 400
    assert document.json()["type"] == json_answer.json()["type"]


@pytest.mark.parametrize("given", ["issuer", "number"])
def test_a_number_or_issuer_no_document_can_hold_is_refused(reporting_client, auth, quzhou, given):
    # A control character (or U+FFFE) in either made python-docx refuse the document: a 500 until 2026-12-07.
    close(reporting_client, auth, quzhou.plan_id, "2024-Q3")
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/assessment.docx",
        params={"year": 2024, given: "衢长三角办\x01〔2026〕3号"},
        headers=auth("office"),
    )
    assert_problem(response, 422)
    assert response.json()["errors"][0]["location"] == ["query", given]
