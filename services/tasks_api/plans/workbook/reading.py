"""Reading the breakdown workbook: every row of the four sheets, checked cell by cell, with the problems collected
by sheet, row and column."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from typing import Any, TypedDict, cast

from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText
from pydantic import BaseModel, ValidationError

from services.common.problems import PayloadTooLarge, Unprocessable
from services.tasks_api.plans.files.validation import NUL_REFUSED
from services.tasks_api.plans.workbook.workbook import (
    ENTRIES,
    ITEMS,
    MAX_REPORTED,
    MAX_ROWS,
    SHEETS,
    VERSION_PROPERTY,
    Column,
)

MAX_UNPACKED_BYTES = 256 * 1024**2  # what the zip may expand to: refuses zip bombs before openpyxl reads them
# A character XML cannot hold, or text that reads like such an escape, is written `_xHHHH_` in a cell (OOXML's
# ST_Xstring): Excel and WPS write a carriage return as _x000D_, xlsxwriter a literal "_x0041_" as "_x005F_x0041_".
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


class Cells(TypedDict, total=False):
    """A row's cells, parsed, by the fields of its sheet's columns (workbook.SHEETS); a blank cell is left out."""

    key: str
    parent: str
    kind: str
    number: str
    title: str
    text: str
    status: str
    starts_on: date
    due_on: date
    item: str
    unit: str
    role: str
    order: int
    name: str
    measure: str
    baseline: float
    target: float
    comparison: str
    target_date: date
    yearly_targets: dict[int, float] | None


class WorkbookError(TypedDict):
    """A problem of the workbook as a problem document's field error (FieldError): sheet, row and column."""

    location: list[str | int]
    message: str
    type: str
    line: int | None


@dataclass(frozen=True)
class Row:
    number: int
    fields: Cells
    entry: Any  # the row validated as its plan-file entry, where the sheet has one


@dataclass
class Parsed:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in SHEETS})
    errors: list[WorkbookError] = field(default_factory=list)
    # Keys on 事项 (valid row or not), and items referred to by invalid rows: so that errors do not cascade.
    item_keys: set[str] = field(default_factory=set)
    items_of_invalid_rows: set[str] = field(default_factory=set)
    version: str | None = None  # the version the workbook was exported from; None for a hand-made one

    def error(self, sheet: str, number: int, header: str, message: str) -> None:
        self.errors.append(located_error([sheet, number, header], message, number))


def located_error(location: list[str | int], message: str, line: int | None = None) -> WorkbookError:
    return {"location": location, "message": message, "type": "workbook", "line": line}


def _decoded(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row's values with each text's escapes decoded (formatted runs joined): the text Excel shows."""
    return tuple(_text(str(v)) if isinstance(v, str | CellRichText) else v for v in values)


def _text(value: str) -> str:
    if "_x" not in value:
        return value
    return _ESCAPED.sub(lambda m: _character(int(m.group(1), 16)) or m.group(0), value)


def _character(code: int) -> str | None:
    """The character an escape names; None for half a surrogate pair, which is no character (kept as written)."""
    return None if 0xD800 <= code <= 0xDFFF else chr(code)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def unprocessable(errors: list[WorkbookError]) -> Unprocessable:
    """422 listing the problems (the first MAX_REPORTED of them, to keep the answer small); nothing applied."""
    where = " ".join(str(p) for p in errors[0]["location"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    listed = f"; the first {MAX_REPORTED} are listed" if len(errors) > MAX_REPORTED else ""
    return Unprocessable(
        f"{where}: {errors[0]['message']}{more}{listed}; nothing was changed.", errors=errors[:MAX_REPORTED]
    )


def read_workbook(content: bytes) -> Parsed:
    """Every row of the four sheets, parsed cell by cell; a wrong file or layout is refused at once."""
    not_xlsx = Unprocessable("The body is not an Excel workbook (.xlsx).")
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise not_xlsx from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise PayloadTooLarge(f"The workbook unpacks to more than {MAX_UNPACKED_BYTES} bytes.")
    try:
        # rich_text: shared strings as written (openpyxl otherwise takes "x005F_" out of them and decodes nothing
        # else, and inline strings, which xlsxwriter's exports hold, it never decodes): each is decoded once here.
        book = load_workbook(BytesIO(content), read_only=True, data_only=True, rich_text=True)
    except Exception as exc:
        raise not_xlsx from exc
    try:
        return _read_sheets(book)
    except (SyntaxError, KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:  # broken sheet XML
        raise not_xlsx from exc
    finally:
        book.close()


def _version(book: Any) -> str | None:
    found = next((p.value for p in book.custom_doc_props if p.name == VERSION_PROPERTY), None)
    text = "" if found is None else str(found).strip()
    return text or None


def _read_sheets(book: Any) -> Parsed:
    parsed, layout = Parsed(version=_version(book)), []
    for name, columns in SHEETS.items():
        if name not in book.sheetnames:
            layout.append(located_error([name], f"The workbook has no sheet {name}."))
            continue
        sheet = book[name]
        sheet.reset_dimensions()  # trust the cells, not the size the writing program declared
        rows = map(_decoded, sheet.iter_rows(values_only=True))
        headers = [None if _blank(v) else str(v).strip() for v in next(rows, ())]
        while headers and headers[-1] is None:
            headers.pop()
        if headers != [column.header for column in columns]:
            expected = "、".join(column.header for column in columns)
            layout.append(located_error([name, 1], f"Row 1 of sheet {name} must hold the headers {expected}.", 1))
            continue
        for number, values in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                raise PayloadTooLarge(f"Sheet {name} has more than {MAX_ROWS} rows.")
            if not all(_blank(v) for v in values):
                _read_row(parsed, name, columns, number, values)
    if layout:
        raise unprocessable(layout)
    return parsed


def _read_row(parsed: Parsed, sheet: str, columns: tuple[Column, ...], number: int, values: tuple[Any, ...]) -> None:
    errors = len(parsed.errors)
    fields, reported = _read_cells(parsed, sheet, columns, number, values)
    if sheet == ITEMS and "key" in fields:
        parsed.item_keys.add(fields["key"])
    entry = _validated_entry(parsed, sheet, columns, number, fields, reported)
    if len(parsed.errors) == errors:
        parsed.rows[sheet].append(Row(number, fields, entry))
    elif "item" in fields:
        parsed.items_of_invalid_rows.add(fields["item"])


def _read_cells(
    parsed: Parsed, sheet: str, columns: tuple[Column, ...], number: int, values: tuple[Any, ...]
) -> tuple[Cells, set[str]]:
    """The row's parsed cells by field, and the fields whose cell was reported (missing or unreadable)."""
    fields: dict[str, object] = {}
    reported: set[str] = set()
    for column, value in zip(columns, (*values, *[None] * len(columns)), strict=False):
        if _blank(value):
            if column.required:
                parsed.error(sheet, number, column.header, f"{column.header} is required")
                reported.add(column.field)
            continue
        try:
            if isinstance(value, str) and "\x00" in value:  # written _x0000_: no database column takes it
                raise ValueError(NUL_REFUSED)
            fields[column.field] = column.parse(value)
        except ValueError as exc:
            parsed.error(sheet, number, column.header, str(exc))
            reported.add(column.field)
    return cast(Cells, fields), reported  # each column's parser gives its field's type


def _validated_entry(
    parsed: Parsed, sheet: str, columns: tuple[Column, ...], number: int, fields: Cells, reported: set[str]
) -> BaseModel | None:
    """The sheet's entry model over the fields (key pattern, lengths); its problems on cells not reported already."""
    model = ENTRIES.get(sheet)
    if not model:
        return None
    try:
        return model.model_validate({k: v for k, v in fields.items() if k in model.model_fields})
    except ValidationError as exc:
        header = {column.field: column.header for column in columns}
        for problem in exc.errors():
            if str(problem["loc"][0]) not in reported:
                parsed.error(sheet, number, header.get(str(problem["loc"][0]), "?"), problem["msg"])
        return None
