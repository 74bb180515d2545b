"""The official documents' writer (services/common/documents.py), read back with python-docx."""

import io
from datetime import date

import docx

from services.common.documents import OfficialDocument, Table, encoded_name, render


def test_a_text_xml_cannot_hold_is_printed_without_those_characters():
    # A title given "\x01" through the API made python-docx refuse the whole bulletin: a 500 until 2026-12-07.
    document = OfficialDocument(
        issuer="督查室",
        title="关于\x01逾期事项的通报",
        issued_on=date(2026, 12, 7),
        body=["第一段\x0b\ufffe。"],
        tables=[Table("一、逾期事项", ("序号", "事项"), [("1", "加快\x1f建设\uffff")])],
    )
    printed = docx.Document(io.BytesIO(render(document)))
    texts = [p.text for p in printed.paragraphs] + [c.text for t in printed.tables for r in t.rows for c in r.cells]
    assert {"关于逾期事项的通报", "第一段。", "加快建设"} <= set(texts)


def test_a_name_too_long_for_its_header_is_cut_between_characters_keeping_its_extension():
    assert encoded_name("报告.pdf", 100) == "%E6%8A%A5%E5%91%8A.pdf"
    assert encoded_name("报告报告.pdf", 30) == "%E6%8A%A5%E2%80%A6.pdf"  # 报 and …: a second 报 would not fit
    assert encoded_name("报告报告", 18) == "%E6%8A%A5%E2%80%A6"  # no extension: the whole name is cut
