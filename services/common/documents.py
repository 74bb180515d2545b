"""Official documents (公文) as .docx: the office's 督办通报 and the annual assessment, in the usual layout.

The layout follows GB/T 9704-2012 (党政机关公文格式) as far as a generated document can: A4 with its margins, the
issuing office's name in red over a red rule (版头), the document number (发文字号) under it, a centred title in
小标宋, the body in 仿宋 three-size (16 pt), level-one headings in 黑体, tables of units and items, and the
signature block (落款: the issuer, then the date with Arabic numerals, 2026年12月4日, as the 2012 standard has it
instead of the older 二〇二六年). The fonts are named, not embedded: Word and WPS on a Chinese desktop have
them; elsewhere the viewer substitutes.

Built with python-docx, in memory: a bulletin or an assessment is a few dozen rows, never a ledger.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated
from urllib.parse import quote

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.run import CT_R
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from fastapi import Query, Response
from pydantic import AfterValidator

from services.common.contracts.tasks import TasksClient
from services.common.json import JsonObject

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# What XML 1.0 cannot hold (its Char production), and so no .docx: control characters, surrogates, U+FFFE and U+FFFF.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str | None) -> str | None:
    """A document's text the caller gives (its number, its issuer), refused (422) when XML cannot hold it."""
    if value is not None and NOT_XML.search(value):
        raise ValueError("may not hold control characters (a document cannot)")
    return value


# The query parameters of every document route: the office gives the number; the issuer defaults to the plan's office.
DocumentNumber = Annotated[
    str | None,
    Query(min_length=1, max_length=40, description="发文字号, e.g. 衢长三角办〔2026〕3号; none for a draft."),
    AfterValidator(xml_text),
]
Issuer = Annotated[
    str | None,
    Query(min_length=2, max_length=60, description="发文机关 (default: the plan's leading-group office)."),
    AfterValidator(xml_text),
]
# When the plan has no office group (领导小组办公室) in tasks_api and the caller names no issuer.
DEFAULT_ISSUER = "督查室"

RED = RGBColor(0xC0, 0x00, 0x00)
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TABLE_FONT = "宋体"


@dataclass(frozen=True, slots=True)
class Table:
    """A table under its own heading (一、…): column titles and rows of text."""

    heading: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[str]]
    empty: str = "无。"  # said instead of a table without rows


@dataclass(frozen=True, slots=True)
class OfficialDocument:
    """What a 通报 says: who issues it, its number, title, body paragraphs, tables and the signature block."""

    issuer: str  # 发文机关, e.g. 衢州市融入长三角一体化发展工作领导小组办公室
    title: str
    issued_on: date  # 成文日期
    number: str | None = None  # 发文字号, e.g. 衢长三角办〔2026〕3号; a draft has none
    body: Sequence[str] = field(default_factory=tuple)
    tables: Sequence[Table] = field(default_factory=tuple)


# The longest Content-Disposition a download sends (the contracts' maxLength, evidence/routes.py). A name the upload
# takes (255 characters) percent-encodes to up to 3,060: it is shortened as it is sent, not refused as it is stored,
# so that every file stored under the 255-character rule stays downloadable and its record keeps its whole name.
MAX_DISPOSITION = 2048
MAX_FALLBACK = 200  # the ASCII filename for old clients
MAX_EXTENSION = 16  # a suffix longer than this is no extension (".pdf", ".xlsx"), just a dot in the name


def docx_response(description: str) -> dict[int | str, JsonObject]:
    """The documented 200 of a document route: a binary body of the .docx media type."""
    body: JsonObject = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": {DOCX_MEDIA_TYPE: body}}}


def docx_download(document: OfficialDocument, *, ascii_name: str, name: str) -> Response:
    """The document as a download named `name` (`ascii_name` for old clients)."""
    headers = {"Content-Disposition": attachment(ascii_name, name)}
    return Response(render(document), media_type=DOCX_MEDIA_TYPE, headers=headers)


def attachment(ascii_name: str, name: str) -> str:
    """A Content-Disposition for a download: an ASCII name for old clients, the real one per RFC 6266/8187, within
    MAX_DISPOSITION characters."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name)[:MAX_FALLBACK]
    head = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''"
    return head + encoded_name(name, MAX_DISPOSITION - len(head))


def encoded_name(name: str, room: int) -> str:
    """The name percent-encoded in at most `room` characters. A longer one keeps its extension (the file still
    opens as its type) and as much of its stem as fits, cut between characters and marked with "…"."""
    if len(encoded := quote(name, safe="")) <= room:
        return encoded
    stem, dot, extension = name.rpartition(".")
    if not stem or len(extension) > MAX_EXTENSION:  # no extension worth keeping: cut the whole name
        stem, dot, extension = name, "", ""
    tail = quote(f"…{dot}{extension}", safe="")
    kept: list[str] = []
    used = len(tail)
    for char in stem:
        step = quote(char, safe="")
        if used + len(step) > room:
            break
        kept.append(step)
        used += len(step)
    return "".join(kept) + tail


async def plan_office(tasks: TasksClient, plan_id: int) -> str:
    """The plan's leading-group office (领导小组办公室), which issues its bulletins and assessments."""
    offices = await tasks.groups(plan_id, kind="office")
    return offices[0].name if offices else DEFAULT_ISSUER


def ordinal_heading(index: int, text: str) -> str:
    """一、… 二、…: the numbering of level-one headings (index from 1, up to 99)."""
    return f"{chinese_number(index)}、{text}"


def chinese_number(number: int) -> str:
    digits = "〇一二三四五六七八九"
    if number < 10:
        return digits[number]
    tens, ones = divmod(number, 10)
    return f"{digits[tens] if tens > 1 else ''}十{digits[ones] if ones else ''}"


def chinese_date(day: date) -> str:
    """2026年12月4日: the 成文日期 as the standard writes it (Arabic numerals, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def render(document: OfficialDocument) -> bytes:
    """The document as a .docx file."""
    # GB/T 9704: the title is followed by the body, the tables, then the signature block and the date.
    docx = Document()
    _page(docx)
    _masthead(docx, document)
    _paragraph(docx, document.title, font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=16)
    for text in document.body:
        _paragraph(docx, text, first_line_indent=True)
    for table in document.tables:
        _table(docx, table)
    _paragraph(docx, "", space_after=16)
    _paragraph(docx, document.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(docx, chinese_date(document.issued_on), align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()


def _page(docx: DocxDocument) -> None:
    """A4, margins of GB/T 9704 (天头 37 mm, 订口 28 mm)."""
    for section in docx.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)


def _masthead(docx: DocxDocument, document: OfficialDocument) -> None:
    """版头: the issuer in red, the document number, a red rule beneath."""
    _paragraph(docx, document.issuer, font=TITLE_FONT, size=26, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER)
    number = _paragraph(docx, document.number or "", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=16)
    _red_rule(number)


def _paragraph(
    docx: DocxDocument,
    text: str,
    *,
    font: str = BODY_FONT,
    size: float = 16,
    color: RGBColor | None = None,
    align: int | None = None,
    first_line_indent: bool = False,
    space_after: float = 0,
) -> Paragraph:
    paragraph = docx.add_paragraph()
    paragraph.alignment = align  # type: ignore[assignment]  # python-docx types the setter by its enum
    paragraph.paragraph_format.space_after = Pt(space_after)
    if first_line_indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)  # 首行缩进两字
    run = paragraph.add_run(printable(text))
    run.font.size = Pt(size)
    _east_asian_font(run.element, font)
    if color is not None:
        run.font.color.rgb = color
    return paragraph


def _table(docx: DocxDocument, table: Table) -> None:
    _paragraph(docx, table.heading, font=HEADING_FONT, first_line_indent=True)
    if not table.rows:
        _paragraph(docx, table.empty, first_line_indent=True)
        return
    grid = docx.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row, texts in zip(grid.rows, (table.columns, *table.rows), strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = printable(text)
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(12)
                _east_asian_font(run.element, HEADING_FONT if row is grid.rows[0] else TABLE_FONT)


def printable(text: str) -> str:
    """A stored text as a document can hold it: a character XML cannot hold (a control character a title was given
    through the API, say) is left out, where python-docx would refuse the whole document."""
    return NOT_XML.sub("", text)


def _east_asian_font(run: CT_R, font: str) -> None:
    """Word picks the font of Chinese text from rFonts' eastAsia attribute, which python-docx does not set."""
    properties = run.get_or_add_rPr()
    fonts = properties.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), font)


def _red_rule(paragraph: Paragraph) -> None:
    """The red rule (红色分隔线) under the document number: a bottom border of the paragraph."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)
