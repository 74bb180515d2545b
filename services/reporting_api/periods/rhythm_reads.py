"""The reads of a plan's rhythm (its rules, due-date overrides and cadences) and what is built from their rows.

Each read is a statement built once with a bound `plan_id`, so that it runs alike through SQLAlchemy (periods/
service.py) or on the driver pool past it (oversight/inputs.py: the hot views read them as asyncpg records), and each
builder takes the rows by column name, whichever path read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, cast

import orjson
from sqlalchemy import Select, bindparam, select

from services.common.contracts.tasks import Plan
from services.common.driver_reads import Read, Rows
from services.common.tables import table_of
from services.reporting_api.periods.calendar import Cadence, ScheduledPeriod, schedule
from services.reporting_api.periods.models import DueDateOverride, ItemCadence, PlanRules
from services.reporting_api.periods.obligations import CadenceBook, Rhythm
from services.reporting_api.periods.schemas import PlanRulesRow

rules_table, overrides = table_of(PlanRules), table_of(DueDateOverride)
item_cadences = table_of(ItemCadence)
Overrides = tuple[tuple[str, date], ...]  # (period, due date), in period order


def rules_of(plan_id: int, rows: Rows) -> PlanRulesRow:
    """The plan's rules from the rows of rules_statement (none: the defaults)."""
    if rows:
        return cast(PlanRulesRow, dict(rows[0].items()))  # every column of plan_rules, typed by its model
    return cast(PlanRulesRow, {"plan_id": plan_id, "version": 0, **orjson.loads(_defaults())})


@cache
def _defaults() -> bytes:
    """The rules of a plan the office never set, as JSON (the values a stored row holds): validated once, each
    request decoding its own copy (a tenth of the validation's cost) that it may change without touching another's."""
    return orjson.dumps(PlanRules.model_validate({"plan_id": 0}).model_dump(exclude={"plan_id", "version"}))


@cache
def rules_statement() -> Select[Any]:
    return select(rules_table).where(rules_table.c.plan_id == bindparam("plan_id"))


@cache
def overrides_statement() -> Select[Any]:
    return select(overrides.c.period, overrides.c.due_on).where(overrides.c.plan_id == bindparam("plan_id"))


@cache
def cadences_statement() -> Select[Any]:
    return select(item_cadences.c.item_id, item_cadences.c.cadence).where(
        item_cadences.c.plan_id == bindparam("plan_id"), item_cadences.c.cadence.is_not(None)
    )


def schedule_from(plan: Plan, rules: PlanRulesRow, overridden: Rows) -> Mapping[str, ScheduledPeriod]:
    """schedule_of's answer from the rows of overrides_statement."""
    found = tuple(sorted((row["period"], row["due_on"]) for row in overridden))
    return calendar_of(plan.starts_on, plan.ends_on, rules["due_days_after_period"], cast(Overrides, found))


@lru_cache(maxsize=256)  # the same few plans' calendars on every request; a changed rule or override is a new key
def calendar_of(
    starts_on: date, ends_on: date, days_after: int, overridden: Overrides
) -> Mapping[str, ScheduledPeriod]:
    """The plan's calendar (calendar.schedule) by period id, never changed: shared by the requests that ask."""
    return MappingProxyType({s.period.id: s for s in schedule(starts_on, ends_on, days_after, dict(overridden))})


def book_from(rules: PlanRulesRow, cadences: Rows) -> CadenceBook:
    """cadence_book's answer from the rows of cadences_statement."""
    return CadenceBook(
        Cadence(rules["cadence"]),
        {k: Cadence(v) for k, v in rules["cadence_by_kind"].items()},
        {cast(int, row["item_id"]): Cadence(cast(str, row["cadence"])) for row in cadences},
    )


def rhythm_reads(plan_id: int) -> list[Read]:
    """The three reads of a plan's rules and rhythm, in the order rhythm_from takes their rows."""
    values = {"plan_id": plan_id}
    return [(rules_statement(), values), (overrides_statement(), values), (cadences_statement(), values)]


def rhythm_from(plan: Plan, rules: Rows, overridden: Rows, cadences: Rows) -> tuple[PlanRulesRow, Rhythm]:
    """The plan's rules and rhythm (periods/service.rhythm_of's) from the rows of rhythm_reads."""
    found = rules_of(plan.id, rules)
    return found, Rhythm(schedule_from(plan, found, overridden), book_from(found, cadences))
