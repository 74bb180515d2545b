"""The task breakdown table (任务分解表) as an Excel workbook: its sheets, writing a plan file out, reading rows in.

One sheet per kind of row, each identified by stable keys (item key; indicator key; item key + milestone
title; item key + unit). reading.py reads the rows back, and breakdown.py applies them onto the plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from tempfile import SpooledTemporaryFile
from typing import Any

import xlsxwriter
from pydantic import BaseModel

from services.common.problems import PayloadTooLarge
from services.tasks_api.items.models import ItemKind, ItemStatus, Role
from services.tasks_api.plans.files.plan_file import (
    LEGACY_ITEM_STATUS,
    IndicatorEntry,
    ItemEntry,
    MilestoneEntry,
    PlanFile,
)
from services.tasks_api.targets.models import Comparison

MAX_ROWS = 200_000  # per sheet: twice the 100,000-item plan the importer is built for
MAX_REPORTED = 1000  # errors listed in one answer

KIND_LABELS = {
    ItemKind.GOAL: "目标",
    ItemKind.SECTION: "重点任务板块",
    ItemKind.TASK: "重点任务",
    ItemKind.PLATFORM: "重点支撑平台",
    ItemKind.SAFEGUARD: "保障措施",
    ItemKind.ANNEX: "附件",
    ItemKind.KEY_WORK: "重点工作",
    ItemKind.SPECIAL_ACTION: "专项行动",
}
STATUS_LABELS = {ItemStatus.OPEN: "进行中", ItemStatus.CLOSED: "已办结", ItemStatus.CANCELLED: "已取消"}
# Workbooks exported before progress was derived (the status column is ignored on upload anyway).
LEGACY_STATUS_LABELS = {"未开始": "open", "滞后": "open", "已完成": "closed", **LEGACY_ITEM_STATUS}
ROLE_LABELS = {Role.LEAD: "牵头", Role.CO: "配合"}


# -- cells ------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, date):
        raise ValueError("expected text, found a date")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column (序号 9) is meant as text
    return str(value).strip()


def _choice(labels: dict[Any, str], also: dict[str, str] | None = None) -> Callable[[Any], str]:
    """A parser taking a label (牵头) or the value itself (lead)."""
    accepted = {**{str(v): str(v) for v in labels}, **{label: str(v) for v, label in labels.items()}, **(also or {})}

    def parse(value: Any) -> str:
        text = _text(value)
        if text not in accepted:
            raise ValueError(f"{text!r} is not one of {'、'.join(labels.values())}")
        return accepted[text]

    return parse


_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match:
        with suppress(ValueError):
            return date(*map(int, match.groups()))
    raise ValueError(f"{value!r} is not a date; enter an Excel date or YYYY-MM-DD")


def _number(value: Any) -> float:
    if not isinstance(value, bool | date):
        with suppress(ValueError):
            number = float(value.strip().replace(",", "") if isinstance(value, str) else value)
            if math.isfinite(number):
                return number
    raise ValueError(f"{value!r} is not a number")


def _order(value: Any) -> int:
    number = _number(value)
    if not number.is_integer() or number < 1:
        raise ValueError(f"{value!r} is not a whole number from 1 up")
    return int(number)


def _yearly(value: Any) -> dict[int, float] | None:
    targets: dict[int, float] = {}
    for part in filter(str.strip, re.split(r"[;；]", _text(value))):
        year, _, amount = part.replace("：", ":").partition(":")
        try:
            targets[int(year)] = _number(amount.strip())
        except ValueError:
            raise ValueError(f"{part.strip()!r}: write 年度目标 as 2019:100; 2020:100") from None
    return targets or None


def _plain(number: float | None) -> float | int | None:
    return int(number) if number is not None and number.is_integer() else number


def _yearly_text(targets: dict[int, float] | None) -> str | None:
    return "; ".join(f"{year}:{_plain(value)}" for year, value in targets.items()) if targets else None


# -- the sheets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    width: int
    parse: Callable[[Any], Any] = _text
    required: bool = False


# Every kind and status has a cell value: its label, or (for one added without a label) its value, so that an item
# in a new status is still exported and can come back.
_KINDS = {kind: KIND_LABELS.get(kind, kind.value) for kind in ItemKind}
_STATUSES: dict[str, str] = {status: STATUS_LABELS.get(status, status.value) for status in ItemStatus}

ITEMS, DUTIES, INDICATORS, MILESTONES = "事项", "责任分工", "指标", "节点"
VERSION_PROPERTY = "duban-breakdown-version"  # the custom document property naming the version exported
SHEETS: dict[str, tuple[Column, ...]] = {
    ITEMS: (
        Column("编号", "key", 12, required=True),
        Column("上级编号", "parent", 12),
        Column("类型", "kind", 14, _choice(_KINDS), True),
        Column("序号", "number", 10),
        Column("标题", "title", 40, required=True),
        Column("内容", "text", 80),
        Column("状态", "status", 10, _choice(_STATUSES, LEGACY_STATUS_LABELS)),
        Column("开始日期", "starts_on", 12, _date),
        Column("完成时限", "due_on", 12, _date),
    ),
    DUTIES: (
        Column("事项编号", "item", 12, required=True),
        Column("责任单位", "unit", 24, required=True),
        Column("角色", "role", 8, _choice(ROLE_LABELS), True),
        Column("顺序", "order", 8, _order),
    ),
    INDICATORS: (
        Column("指标编号", "key", 32, required=True),
        Column("事项编号", "item", 12, required=True),
        Column("名称", "name", 40, required=True),
        Column("计量单位", "measure", 12),
        Column("基期值", "baseline", 10, _number),
        Column("目标值", "target", 10, _number, True),
        Column("比较", "comparison", 8, _choice({c: c.value for c in Comparison}, {"≥": ">=", "≤": "<="})),
        Column("目标日期", "target_date", 12, _date, True),
        Column("年度目标", "yearly_targets", 40, _yearly),
    ),
    MILESTONES: (
        Column("事项编号", "item", 12, required=True),
        Column("节点名称", "title", 40, required=True),
        Column("完成时限", "due_on", 12, _date, True),
    ),
}
ENTRIES: dict[str, type[BaseModel]] = {ITEMS: ItemEntry, INDICATORS: IndicatorEntry, MILESTONES: MilestoneEntry}


def carried_fields(sheet: str) -> set[str]:
    """The fields of a sheet's plan-file entry that its columns carry: an upload changes these and no others, so a
    field the plan file gains (and the workbook does not show) keeps its value."""
    return {column.field for column in SHEETS[sheet]} & ENTRIES[sheet].model_fields.keys()


Walked = list[tuple[ItemEntry, ItemEntry | None]]


def _sheet_rows(name: str, walked: Walked) -> Iterator[tuple[Any, ...]]:
    for item, parent in walked:
        if name == ITEMS:
            yield (
                item.key,
                parent.key if parent else None,
                _KINDS[item.kind],
                item.number,
                item.title,
                item.text,
                _STATUSES[item.status],
                item.starts_on,
                item.due_on,
            )
        elif name == DUTIES:
            # A placeholder (no unit) has no row: the plan file keeps it (see breakdown._keep_printed).
            yield from (
                (item.key, duty.unit, ROLE_LABELS[Role.LEAD if n == 0 else Role.CO], n + 1)
                for n, duty in enumerate(item.responsible)
                if duty.unit is not None
            )
        elif name == INDICATORS:
            yield from (
                (
                    i.key,
                    item.key,
                    i.name,
                    i.measure,
                    _plain(i.baseline),
                    _plain(i.target),
                    i.comparison.value,
                    i.target_date,
                    _yearly_text(i.yearly_targets),
                )
                for i in item.indicators
            )
        else:
            yield from ((item.key, m.title, m.due_on) for m in item.milestones)


def write_workbook(plan_file: PlanFile, version: str | None = None) -> SpooledTemporaryFile[bytes]:
    """The breakdown workbook, streamed row by row (constant memory) into a file positioned at its start; `version`
    (the breakdown's fingerprint) goes into a custom document property, which Excel and WPS keep when saving."""
    walked = [(item, parent) for item, parent, _ in plan_file.walk()]
    out = SpooledTemporaryFile(max_size=8 * 1024**2)  # noqa: SIM115 - returned: the caller reads and closes it
    # Cells are what they are: text such as the comparison "=" never becomes a formula, "9" stays text.
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    if version is not None:
        book.set_custom_property(VERSION_PROPERTY, version)
    bold = book.add_format({"bold": True})
    for name, columns in SHEETS.items():
        sheet = book.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
        sheet.write_row(0, 0, [column.header for column in columns], bold)
        for number, values in enumerate(_sheet_rows(name, walked), start=1):
            if number > MAX_ROWS:  # what could not be uploaded again is not handed out
                raise PayloadTooLarge(f"Sheet {name} would have more than {MAX_ROWS} rows; export the plan file.")
            sheet.write_row(number, 0, [value if value != "" else None for value in values])
    book.close()
    out.seek(0)
    return out


# -- reading ----------------------------------------------------------------------------------------
