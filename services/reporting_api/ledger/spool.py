"""The plan's side of a ledger spooled to temporary files as tasks_api's pages arrive, for PostgreSQL to COPY in
(ledger/sql.py): the province plan's 100,000 responsibilities, 50,000 items and their indicators never sit in the
service's memory, which holds one page at a time. Read before any transaction, like the in-memory side
(service.read_plan_side) it stands for; the cells are kept as the ledger writes them.

Each file is CSV as COPY reads it: an unquoted empty field is NULL (a blank cell), text is quoted where needed."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO, cast

from services.common import clock
from services.common.contracts.tasks import Item, Plan, TasksClient
from services.common.db import Database
from services.reporting_api.ledger import service
from services.reporting_api.periods.calendar import ScheduledPeriod

TABLES = ("duties", "items", "indicators")


def _raw() -> BinaryIO:
    return cast(BinaryIO, tempfile.TemporaryFile(prefix="duban-ledger-"))  # closed by Spool.close()


@dataclass
class Spool:
    """A temporary CSV file per table (TABLES), written as text; `close()` deletes them."""

    raw: dict[str, BinaryIO] = field(default_factory=lambda: {name: _raw() for name in TABLES})
    text: dict[str, io.TextIOWrapper] = field(init=False)

    def __post_init__(self) -> None:
        self.text = {name: io.TextIOWrapper(raw, encoding="utf-8", newline="") for name, raw in self.raw.items()}

    def writer(self, name: str) -> Callable[[tuple[object, ...]], object]:
        return csv.writer(self.text[name], lineterminator="\n").writerow

    def source(self, name: str) -> BinaryIO:
        """The file to COPY from, read from its start."""
        self.text[name].flush()
        self.raw[name].seek(0)
        return self.raw[name]

    def close(self) -> None:
        for text in self.text.values():
            text.close()  # and the file under it


@dataclass(frozen=True, slots=True)
class SpooledLedger:
    """What an export by PostgreSQL needs before its first row; `spool.close()` once it is written."""

    plan: Plan
    period: ScheduledPeriod  # the period whose report answers for the one asked (2024-Q2 → 2024-H1)
    today: date
    spool: Spool


async def open_spooled(
    db: Database, tasks: TasksClient, *, plan_id: int, period: str, unit_id: int | None
) -> SpooledLedger:
    """As service.open_ledger (404, 422, 413 alike), the plan's side spooled instead of held."""
    plan, rhythm = await service.plan_rhythm(db, tasks, plan_id)
    owed = rhythm.owed_for(period)
    spool = Spool()
    try:
        await _spool(spool, tasks, plan_id, unit_id, owes=lambda item: rhythm.owes(item, owed))
    except BaseException:
        spool.close()
        raise
    return SpooledLedger(plan, owed, clock.business_today(), spool)


def _cell(text: str) -> str | None:
    # As written (the query defuses the CSV's formulas, sql._safe: the workbook shows them as typed); blank: NULL,
    # which COPY writes as an empty field.
    return text or None


async def _spool(
    spool: Spool, tasks: TasksClient, plan_id: int, unit_id: int | None, owes: Callable[[Item], bool]
) -> None:
    """The unit's (or every) responsibility, the items that owe the report and every indicator label, each list into
    its own file, the three read side by side (service.side_by_side); 413 too many rows (counted as
    service.read_plan_side counts them)."""

    async def duties() -> None:
        duty, count = spool.writer("duties"), 0
        async for a in tasks.each_plan_assignment(plan_id):
            if unit_id in (None, a["unit_id"]):
                d = service.duty_of(a)
                duty((d.item_id, d.co, d.id, d.unit_id, _cell(d.unit_name), _cell(d.role)))
                count += 1
        service.refuse_too_many(count)

    async def items() -> None:
        item = spool.writer("items")
        async for owing in tasks.each_plan_item(plan_id):
            if owes(owing):
                item((owing.id, *map(_cell, service.item_cells(owing))))

    async def indicators() -> None:
        indicator = spool.writer("indicators")
        async for label in tasks.each_plan_indicator_label(plan_id):
            name, measure = service.indicator_label(label)
            indicator((label["id"], name or None, measure or None))

    await service.side_by_side(duties(), items(), indicators())
