"""GET /v1/bulletins.docx: the overdue bulletin as an official document (督办通报), read back with python-docx."""

from __future__ import annotations

import io
from urllib.parse import unquote

import docx

from services.common.documents import DOCX_MEDIA_TYPE
from tests.problems import assert_problem

RED_DAY = "2026-01-08"


def document_of(client, headers, plan_id, day=RED_DAY, **params):
    response = client.get("/v1/bulletins.docx", params={"plan_id": plan_id, "date": day, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX_MEDIA_TYPE
    return response, docx.Document(io.BytesIO(response.content))


def paragraphs(document) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs]


def table_rows(document) -> list[list[str]]:
    [table] = document.tables
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_the_document_lists_the_bulletins_items_in_its_order_with_units_and_deadlines(notify_client, auth, quzhou):
    view = notify_client.get(
        "/v1/bulletins", params={"plan_id": quzhou.plan_id, "date": RED_DAY}, headers=auth("office")
    ).json()
    _, document = document_of(notify_client, auth("office"), quzhou.plan_id)
    header, *rows = table_rows(document)
    assert header == ["序号", "编号", "事项", "牵头单位", "配合单位", "逾期节点", "逾期工作日"]
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (str(index), item["item_number"], item["item_title"]) for index, item in enumerate(view["items"], start=1)
    ]
    sa5 = next(row for row in rows if row[2] == "生态环境联保联治专项行动")
    assert (sa5[3], sa5[4]) == ("市生态环境局", "市资源规划局、开化县")
    assert "2025年12月31日" in sa5[5]


def test_the_masthead_names_the_plans_office_the_number_and_the_title(notify_client, auth, quzhou):
    _, document = document_of(notify_client, auth("office"), quzhou.plan_id, number="衢长三角办〔2026〕3号")
    issuer, number, title, opening, *_ = paragraphs(document)
    assert issuer == "衢州市融入长三角一体化发展工作领导小组办公室"
    assert number == "衢长三角办〔2026〕3号"
    assert title == "关于衢州市战略融入长三角区域一体化发展行动计划（2019—2025年）逾期事项的督办通报"
    assert opening.startswith("截至2026年1月8日，") and "项工作逾期未完成" in opening


def test_the_signature_block_is_the_issuer_and_the_date(notify_client, auth, quzhou):
    _, document = document_of(notify_client, auth("office"), quzhou.plan_id, issuer="市委督查室")
    assert paragraphs(document)[0] == "市委督查室"
    assert paragraphs(document)[-2:] == ["市委督查室", "2026年1月8日"]


def test_a_day_without_red_items_says_so_and_has_no_table(notify_client, auth, quzhou):
    _, document = document_of(notify_client, auth("office"), quzhou.plan_id, day="2019-11-01")
    assert "无逾期未完成事项" in paragraphs(document)[3]
    assert document.tables == []


def test_the_download_is_named_in_chinese_with_an_ascii_fallback(notify_client, auth, quzhou):
    response, _ = document_of(notify_client, auth("office"), quzhou.plan_id)
    disposition = response.headers["content-disposition"]
    assert f'filename="bulletin-{quzhou.plan_id}-{RED_DAY}.docx"' in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == f"督办通报-{RED_DAY}.docx"


def test_a_unit_may_not_issue_the_bulletin(notify_client, auth, quzhou):
    response = notify_client.get(
        "/v1/bulletins.docx", params={"plan_id": quzhou.plan_id}, headers=auth("unit", unit_id=3)
    )
    assert_problem(response, 403)


def test_the_document_of_an_unknown_plan_is_404(notify_client, auth):
    response = notify_client.get("/v1/bulletins.docx", params={"plan_id": 999999}, headers=auth("office"))
    assert_problem(response, 404)


def test_an_overlong_document_number_is_refused(notify_client, auth, quzhou):
    response = notify_client.get(
        "/v1/bulletins.docx", params={"plan_id": quzhou.plan_id, "number": "号" * 41}, headers=auth("office")
    )
    assert_problem(response, 422)


def test_an_issuer_no_document_can_hold_is_refused(notify_client, auth, quzhou):
    response = notify_client.get(
        "/v1/bulletins.docx",
        params={"plan_id": quzhou.plan_id, "date": RED_DAY, "issuer": "督查\x0b室"},
        headers=auth("office"),
    )
    assert_problem(response, 422)
