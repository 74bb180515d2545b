"""Oversight SQL: the statements the rules' input is read with, built once, and the readers that run them.

Each statement is built once, with bindparams for what changes between calls: the roll-up and the lights read
them past SQLAlchemy (services/common/driver_reads.py), which compiles each statement once.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from datetime import date
from functools import cache
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import BigInteger, Integer, String

from services.common.driver_reads import Read, Rows
from services.common.json import integer_list, integers
from services.common.records import plain_rows
from services.common.tables import table_of
from services.reporting_api.instructions.models import Instruction, InstructionStatus
from services.reporting_api.oversight.progress import accepted_texts_statement
from services.reporting_api.oversight.schemas.rows import (
    LeadState,
    MeasurementPoint,
    PeriodReport,
    PointsByIndicator,
    ReportsByPair,
)
from services.reporting_api.oversight.texts import Texts, as_texts, latest_places, text_row, words
from services.reporting_api.periods.calendar import answering_ids, parse_period
from services.reporting_api.periods.obligations import PAIR_BASE
from services.reporting_api.reports.models import MeasurementRecord, Report, ReportStatus, ReportVersion

reports, versions, measurements = table_of(Report), table_of(ReportVersion), table_of(MeasurementRecord)
instructions = table_of(Instruction)


# The periods answering for one (those ending the same day: a month, a quarter, a half-year, a year) as four
# bindparams, so that each statement is still built and compiled once.
ANSWERING: tuple[BindParameter[Any], ...] = tuple(bindparam(f"period_{n}") for n in range(4))


def periods_of(period: str) -> dict[str, str]:
    """The values of ANSWERING for a period (the last one repeated where fewer periods end that day)."""
    ids = answering_ids(parse_period(period))
    return {param.key: ids[min(n, len(ids) - 1)] for n, param in enumerate(ANSWERING)}


# A delegate's report (转办, role "delegate") goes to the unit that delegated, not to the office: the rhythm, the
# compliance, roll-ups, lights and assessment count the responsible units' own reports only.
OWN_DUTY = reports.c.role != "delegate"


# Whether a report reached the office: submitted once. One reopened for a correction, or withdrawn after an earlier
# version was reviewed, is a draft again that keeps its first submission and lateness (reports/workflow.py): neither
# missing nor overdue. The one predicate compliance, lights, roll-ups, the pending list and the ledger ask.
REACHED = reports.c.first_submitted_at.is_not(None)


def answering(*, of_unit: bool = False) -> ColumnElement[bool]:
    """The plan's own reports answering for the period (of one unit): what every statement here reads."""
    found = and_(reports.c.plan_id == bindparam("plan_id"), reports.c.period.in_(ANSWERING), OWN_DUTY)
    return and_(found, reports.c.unit_id == bindparam("unit_id")) if of_unit else found


@cache
def period_reports_statement(*, of_unit: bool = False, lead_only: bool = False) -> Select[Any]:
    """The reports answering for the period (of one unit; only those filed as lead): the columns the rules read."""
    query = select(
        reports.c.id,
        reports.c.item_id,
        reports.c.unit_id,
        reports.c.period,
        reports.c.status,
        reports.c.late,
        reports.c.days_late,
        reports.c.self_status,
        REACHED.label("reached"),
    ).where(answering(of_unit=of_unit))
    query = query.order_by(reports.c.id)  # by_pair keeps the last of a pair's reports: the latest filed
    if lead_only:
        query = query.where(reports.c.role == "lead")
    return query


# A report's pair as one integer, as periods/obligations.pair_key makes it.
PAIR_KEY = reports.c.item_id.cast(BigInteger) * literal_column(str(PAIR_BASE)) + reports.c.unit_id

# A report that has not reached the office is a draft (the status besides REPORTED) never submitted, asked as a draft:
# the index on (plan_id, status) finds a plan's few, then REACHED leaves out those reopened; as "none of REPORTED" a
# province's period read 100,000 (58 ms -> 0.2 ms).
_UNREACHED_DRAFT = and_(reports.c.status == ReportStatus.DRAFT.value, ~REACHED)


@cache
def answered_keys_statement(*, of_unit: bool = False) -> Select[Any]:
    """The pairs that filed a report answering for the period (of one unit), read as one text of their keys
    (periods/obligations.pair_key), comma-separated, not as the reports: a province's period is 100,000 of them, nearly
    all filed, and a list of those still pending leaves them out (but for latest_drafts_statement's). As driver records
    of two integers and a set of pairs they held 25 MB at the peak of a dispatch; as a sorted array of keys, 0.8 MB. In
    key order (from an ordered subquery: both databases aggregate in its order, and PairKeys checks), so that the text
    becomes a sorted array a piece at a time (answered_keys)."""
    key = PAIR_KEY.label("keys")
    return as_texts(select(key).where(answering(of_unit=of_unit)).order_by(key).subquery())


@cache
def latest_drafts_statement(*, of_unit: bool = False) -> Select[Any]:
    """The drafts never submitted (a reopened one reached the office: not pending) answering for the period (of one
    unit) that are their pair's latest report (by_pair keeps the latest), with period_reports_statement's columns: the
    filed pairs a pending list still shows. Few rows, each checked for a later report on the unique (item, unit,
    period) index; no order (one a pair)."""
    later = reports.alias("later")
    newer = (
        select(later.c.id)
        .where(
            later.c.item_id == reports.c.item_id,
            later.c.unit_id == reports.c.unit_id,
            later.c.period.in_(ANSWERING),
            later.c.role != "delegate",
            later.c.id > reports.c.id,
        )
        .exists()
    )
    columns = period_reports_statement().selected_columns
    return select(*columns).where(answering(of_unit=of_unit), _UNREACHED_DRAFT, ~newer)


def pending_reads(plan_id: int, period: str, *, unit_id: int | None = None) -> list[Read]:
    """What a list of the reports still pending reads of the period: the pairs that filed (answered_keys_statement)
    and their latest drafts (latest_drafts_statement)."""
    of_unit = unit_id is not None
    values = {"plan_id": plan_id, **periods_of(period), **({"unit_id": unit_id} if of_unit else {})}
    return [(answered_keys_statement(of_unit=of_unit), values), (latest_drafts_statement(of_unit=of_unit), values)]


def answered_keys(rows: Rows) -> array[int]:
    """The keys of the pairs answered_keys_statement read (one row: their text, or NULL for none), as integers."""
    return integers(text_row(rows, ("keys",))[0])


LEAD_FIELDS = ("id", "pair", "status", "self_status", "reached")


@cache
def lead_states_statement() -> Select[Any]:
    """The period's reports filed as lead with only what a roll-up's lights read of them (LeadState), their pair key
    and id, as one row of texts (texts.py): a typical plan's 1,021 as records took the driver ~1 ms and made as many
    objects the collector tracks; the ids pick a pair's latest (lead_states)."""
    self_status = func.coalesce(reports.c.self_status, literal_column("''", String))  # NULL: left out of its text
    reached = REACHED.cast(Integer).label("reached")  # 1 or 0 on both databases (a boolean's text differs)
    query = select(reports.c.id, PAIR_KEY.label("pair"), reports.c.status, self_status.label("self_status"), reached)
    return as_texts(query.where(answering(), reports.c.role == "lead").subquery())


# A value of a version that was not returned (a returned report's values do not count).
_NOT_RETURNED = or_(versions.c.outcome.is_(None), versions.c.outcome != "returned")


@cache
def measurement_points_statement() -> Select[Any]:
    """The values of submitted versions that were not returned, dated on or before `today`: an indicator's history."""
    m = measurements
    return (
        select(m.c.id, m.c.indicator_id, m.c.as_of, m.c.value)
        .join(versions, versions.c.id == m.c.version_id)
        .where(m.c.plan_id == bindparam("plan_id"), m.c.as_of <= bindparam("today"), _NOT_RETURNED)
    )


LATEST_FIELDS = ("indicator_id", "as_of", "value")


@cache
def latest_points_statement() -> Select[Any]:
    """Each indicator's latest value (its id, as_of and value: all that attainment and the lights read), as
    measurement_points_statement's latest by as_of then id, as one row of texts (texts.py; latest_points parses it):
    a typical plan's 1,021 as driver records cost the driver and the service more than the rules that read them, and
    a roll-up's memo compares the texts as read. Found per indicator of the plan, walking its index (indicator, as_of,
    id) back from `today` to the first value not returned: ranking the plan's whole history (a typical plan's 24,504
    values, each checked against its version) took 81 ms of PostgreSQL's time under the services' settings, the walks
    ~25-40 ms. The walks are materialised, and the point read by its id: joined to the table instead, PostgreSQL took
    the plan's ~1,000 indicators for 22,000 and hashed all 2,000,000 values (~800 ms)."""
    m, later, point = measurements, measurements.alias("later"), measurements.alias("point")
    indicators = select(m.c.indicator_id).where(m.c.plan_id == bindparam("plan_id")).distinct().subquery()
    walk = (
        select(later.c.id)
        .join(versions, versions.c.id == later.c.version_id)
        .where(later.c.indicator_id == indicators.c.indicator_id, later.c.as_of <= bindparam("today"), _NOT_RETURNED)
        .order_by(later.c.as_of.desc(), later.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    latest = select(indicators.c.indicator_id, walk.label("id")).cte("latest").prefix_with("MATERIALIZED")
    as_of, value = (
        select(column).where(point.c.id == latest.c.id).scalar_subquery() for column in (point.c.as_of, point.c.value)
    )
    found = select(latest.c.indicator_id, as_of.label("as_of"), value.label("value")).where(latest.c.id.is_not(None))
    return as_texts(found.subquery(), LATEST_FIELDS)


def latest_points(texts: Texts) -> dict[int, tuple[date, float]]:
    """Indicator id → the date and value of its latest point, from latest_points_statement's texts (LATEST_FIELDS).
    A value's text is the database's: PostgreSQL's shortest exact one, SQLite's 15 significant digits (more than any
    value typed into a report carries)."""
    ids, dates, values = texts
    days = map(date.fromisoformat, words(dates))
    return dict(zip(integer_list(ids), zip(days, map(float, words(values)), strict=True), strict=True))


_PAIR = itemgetter("item_id", "unit_id")
# A driver record (asyncpg's) is read faster by place than by name: a third less over a plan's thousands of rows.
# The places are those of period_reports_statement's columns, the only rows by_pair is given.
_COLUMNS = [column.key for column in period_reports_statement().selected_columns]
_PAIR_AT = itemgetter(_COLUMNS.index("item_id"), _COLUMNS.index("unit_id"))


def by_pair(rows: Rows) -> ReportsByPair:
    """Reports by (item_id, unit_id): the latest of a pair's reports answering for the period (rows of
    period_reports_statement, as dicts or driver records alike). The statement gives them in id order, so the
    latest of a pair (periods/obligations.latest_per_pair: two exist only when a unit filed under an earlier
    cadence) is the last, and overwrites the earlier: no comparison per row."""
    reports = cast(Sequence[PeriodReport], rows)
    pair = _PAIR if not reports or isinstance(reports[0], dict) else _PAIR_AT
    return dict(zip(map(pair, reports), reports, strict=True))  # in C: a plan's thousands of rows


def lead_states(texts: Texts) -> dict[int, LeadState]:
    """The latest state of each pair's lead report by the pair's key (lead_states_statement's texts, LEAD_FIELDS), as
    by_pair keeps them; each distinct state is one dict shared by the pairs in it (a plan's 50,000 reports are in a
    handful of states)."""
    ids, pair_keys, status_text, self_text, reached_text = texts
    keys, statuses, selves = integer_list(pair_keys), words(status_text), words(self_text)
    pairs = list(zip(statuses, selves, map(bool, integer_list(reached_text)), strict=True))
    shared = {state: LeadState(status=state[0], self_status=state[1] or None, reached=state[2]) for state in set(pairs)}
    states = list(map(shared.__getitem__, pairs))
    places = latest_places(keys, integers(ids))
    if len(places) == len(keys):  # no pair filed twice: all in C
        return dict(zip(keys, states, strict=True))
    return {key: states[place] for key, place in places.items()}


def by_indicator(rows: Rows) -> PointsByIndicator:
    """Measurement points by indicator id (rows of measurement_points_statement)."""
    points: PointsByIndicator = {}
    for row in cast(Sequence[MeasurementPoint], rows):
        points.setdefault(row["indicator_id"], []).append(row)
    return points


def period_reports_read(plan_id: int, period: str, *, unit_id: int | None = None, lead_only: bool = False) -> Read:
    """The read of the period's reports (of one unit; only those filed as lead)."""
    statement = period_reports_statement(of_unit=unit_id is not None, lead_only=lead_only)
    return statement, {"plan_id": plan_id, **periods_of(period), **({} if unit_id is None else {"unit_id": unit_id})}


async def period_reports(
    conn: AsyncConnection, plan_id: int, period: str, *, unit_id: int | None = None, lead_only: bool = False
) -> ReportsByPair:
    """The period's reports by (item_id, unit_id)."""
    statement, values = period_reports_read(plan_id, period, unit_id=unit_id, lead_only=lead_only)
    return by_pair(plain_rows(await conn.execute(statement, dict(values))))


async def measurement_points(conn: AsyncConnection, plan_id: int, today: date) -> PointsByIndicator:
    """Indicator id → its measurement points (measurement_points_statement)."""
    statement = measurement_points_statement()
    return by_indicator(plain_rows(await conn.execute(statement, {"plan_id": plan_id, "today": today})))


def light_reads(plan_id: int, period: str, today: date, *, states_only: bool = False) -> list[Read]:
    """What the lights read beyond the plan: the period's lead reports (`states_only`: their states, as a roll-up
    reads them: lead_states), each indicator's latest value, and the accepted reports per item (progress)."""
    leads = period_reports_read(plan_id, period, lead_only=True)
    return [
        (lead_states_statement(), leads[1]) if states_only else leads,
        (latest_points_statement(), {"plan_id": plan_id, "today": today}),
        (accepted_texts_statement(), {"plan_id": plan_id}),
        (duties_statement(), {"plan_id": plan_id}),
    ]


@cache
def duties_statement() -> Select[Any]:
    """The plan's open instructions that carry an answer date (领导批示 duties): the item and the date."""
    return select(instructions.c.item_id, instructions.c.answer_by).where(
        instructions.c.plan_id == bindparam("plan_id"),
        instructions.c.status == InstructionStatus.OPEN.value,
        instructions.c.answer_by.is_not(None),
    )


async def duty_rows(conn: AsyncConnection, plan_id: int) -> list[dict[str, object]]:
    """The plan's open instructions with an answer date (duties_statement)."""
    return plain_rows(await conn.execute(duties_statement(), {"plan_id": plan_id}))
