"""A one-sheet xlsx written as a stream: the sheet's XML goes straight into the zip as rows come, nothing is held.

The ledger writes only text and numbers, one bold header row, column widths and a frozen header: a small,
fixed part of SpreadsheetML. Writing it directly costs a few string joins per row; xlsxwriter, even with
`constant_memory`, spends ~20 µs of Python per cell (type dispatch, dimension checks, two regex passes and an
attribute escape each), which made it nine tenths of a 100,000-row export. The cells are written as xlsxwriter
writes them in constant_memory mode (inline strings, control characters as `_xHHHH_`, text over Excel's limit cut),
so a workbook reads the same in Excel, LibreOffice, openpyxl and WPS.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from xlsxwriter.utility import xl_col_to_name

Cell = str | int | float | None
Row = Sequence[Cell]

MAX_TEXT = 32_767  # Excel's limit on the characters of a cell
# Text needing more than the three XML escapes: control characters (not allowed in XML 1.0) and literal `_xHHHH_`
# sequences (which Excel would read as an escaped character), each written as Excel's `_xHHHH_` escape.
_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
_EDGE_SPACE = re.compile(r"^\s|\s$")
# Anything that needs more than copying the text: one search, so that plain text (nearly every cell) costs one scan.
_NEEDS_CARE = re.compile(r"[&<>\x00-\x1f]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_RELS_NS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_BOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_RELS_NS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/styles" Target="styles.xml"/></Relationships>'
)
# Style 0 is the default; style 1 is bold (the header row).
_STYLES = (
    _HEAD + f"<styleSheet {_NS}>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _workbook(title: str) -> str:
    return (
        _HEAD + f'<workbook {_NS} xmlns:r="{_RELS_NS}"><bookViews><workbookView/></bookViews>'
        f'<sheets><sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _excel_escape(match: re.Match[str]) -> str:
    found = match.group(0)
    return f"_x{ord(found):04X}_" if len(found) == 1 else "_x005F" + found


def text_xml(value: str) -> str:
    """The inline-string body of a text cell."""
    if len(value) <= MAX_TEXT and not _NEEDS_CARE.search(value):
        return f"<is><t>{value}</t></is>"
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT]
    value = escape(value)
    if _SPECIAL.search(value):
        value = _SPECIAL.sub(_excel_escape, value)
    if _EDGE_SPACE.search(value):
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


class XlsxSheet:
    """One worksheet written row by row into `path`; `close()` finishes the file."""

    def __init__(self, path: Path, headers: Sequence[str], *, title: str, widths: Sequence[int] = ()) -> None:
        # Level 1: a ledger's XML compresses about as well, at a fraction of the default level's time.
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        for name, body in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _workbook(title)),
            ("xl/_rels/workbook.xml.rels", _BOOK_RELS),
            ("xl/styles.xml", _STYLES),
        ):
            self._zip.writestr(name, body)
        # The sheet's rows go to a temporary file first: the sheet's <dimension> (which readers use to pad rows to
        # their full width) comes before them and is known only at the end.
        self._rows: IO[bytes] = tempfile.TemporaryFile(prefix="duban-sheet-")  # noqa: SIM115 - closed by close()
        self._width = len(headers)
        self._columns = [xl_col_to_name(column) for column in range(max(len(headers), 64))]
        cols = "".join(
            f'<col min="{n}" max="{n}" width="{width + 0.7109375}" customWidth="1"/>'
            for n, width in enumerate(widths, start=1)
        )
        self._view = (
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
        )
        header = "".join(
            f'<c r="{self._columns[column]}1" s="1" t="inlineStr">{text_xml(text)}</c>'
            for column, text in enumerate(headers)
        )
        self._put(f'<row r="1">{header}</row>')
        self._next = 2

    def _put(self, xml: str) -> None:
        self._rows.write(xml.encode("utf-8"))

    def write(self, rows: Sequence[Row]) -> None:
        parts: list[str] = []
        columns, needs_care = self._columns, _NEEDS_CARE.search
        for row in rows:
            number = str(self._next)
            parts.append(f'<row r="{number}">')
            for column, value in enumerate(row):
                if isinstance(value, str):
                    if not value:  # empty text stays a blank cell
                        continue
                    if len(value) <= MAX_TEXT and not needs_care(value):  # text_xml's common case, inlined
                        parts.append(f'<c r="{columns[column]}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
                    else:
                        parts.append(f'<c r="{columns[column]}{number}" t="inlineStr">{text_xml(value)}</c>')
                elif value is not None:
                    parts.append(f'<c r="{columns[column]}{number}"><v>{value!r}</v></c>')
            parts.append("</row>")
            self._next += 1
        self._put("".join(parts))

    def close(self) -> None:
        try:
            last = f"{self._columns[max(self._width, 1) - 1]}{self._next - 1}"
            with self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(f'{_HEAD}<worksheet {_NS}><dimension ref="A1:{last}"/>{self._view}<sheetData>'.encode())
                self._rows.seek(0)
                shutil.copyfileobj(self._rows, sheet, 1 << 20)
                sheet.write(b"</sheetData></worksheet>")
        finally:
            self._rows.close()
            self._zip.close()
