"""The CSV ledger written by PostgreSQL (where the database copies): the plan's side, read from tasks_api before,
is COPYed into two temporary tables, and one query joins them with the reports, their latest review comments and
indicator values and writes every cell as the Python writers do (ledger/service.py, writers.py), streamed out by
COPY … TO STDOUT. No row passes through Python but for its line end.

The cells are the same text as the workbook's: the status words and the defused formulas come from the same
tables, numbers are printed as `cells._number` prints them (with extra_float_digits 0 a double is `%.15g`, as
Python's `format(v, ".15g")`), times in Beijing time. The tests compare this CSV with the one written in Python.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.clock import SHANGHAI
from services.common.db import Database
from services.common.dialect import driver_connection
from services.reporting_api.ledger import service
from services.reporting_api.ledger.writers import FORMULA_STARTS, csv_header, csv_safe
from services.reporting_api.oversight.compliance import lateness
from services.reporting_api.oversight.lights import REPORTED
from services.reporting_api.periods.calendar import answering_ids
from services.reporting_api.reports.models import ReportStatus

DUTIES = "ledger_duties"
DUTY_COLUMNS = ("n", "item_id", "unit_id", "key", "number", "title", "kind", "unit_name", "role")
INDICATORS = "ledger_indicators"
INDICATOR_COLUMNS = ("id", "name", "measure")
TABLES = (
    f"CREATE TEMPORARY TABLE {DUTIES} (n int PRIMARY KEY, item_id bigint, unit_id bigint, key text, number text, "
    "title text, kind text, unit_name text, role text) ON COMMIT DROP",
    f"CREATE TEMPORARY TABLE {INDICATORS} (id bigint PRIMARY KEY, name text, measure text) ON COMMIT DROP",
)


def _safe(cell: str) -> str:
    """A text cell defused as writers.csv_safe does it: an apostrophe before what a spreadsheet would run."""
    return f"CASE WHEN left({cell}, 1) = ANY($9::text[]) THEN '''' || {cell} ELSE {cell} END"


def _word(cell: str, keys: int, words: int) -> str:
    """The ledger's word for a stored value (status, self-assessment), from the Python tables passed as arrays."""
    return f"(${words}::text[])[array_position(${keys}::text[], {cell})]"


# cells._number: a whole number as an integer, else 15 significant digits; nan and inf as Python writes them.
_NUMBER = """CASE WHEN v.value = 'NaN' THEN 'nan' WHEN v.value = 'Infinity' THEN 'inf'
    WHEN v.value = '-Infinity' THEN '-inf'
    WHEN v.value = trunc(v.value) AND abs(v.value) < 9e18 THEN v.value::int8::text
    WHEN v.value = trunc(v.value) THEN v.value::numeric::text ELSE v.value::text END"""

# $1 plan, $2 answering periods, $3 the period shown, $4/$5 lateness of a pair not reported, $6 REPORTED, $7/$8
# statuses and their words, $9 formula starts, $10/$11 self-assessments and their words, $12 the time zone.
QUERY = f"""
WITH chosen AS (
    SELECT DISTINCT ON (r.item_id, r.unit_id) r.id, r.item_id, r.unit_id, r.status, r.progress, r.problems,
        r.next_steps, r.percent_complete, r.self_status, r.submitted_at, r.late, r.days_late
    FROM {DUTIES} d JOIN reports r ON r.item_id = d.item_id AND r.unit_id = d.unit_id
    WHERE r.plan_id = $1 AND r.period = ANY($2::text[])
    ORDER BY r.item_id, r.unit_id, r.id DESC
), latest AS (
    SELECT DISTINCT ON (m.report_id, m.indicator_id) m.report_id, m.indicator_id, m.value, m.as_of
    FROM measurements m JOIN report_versions rv ON rv.id = m.version_id
    WHERE m.report_id IN (SELECT id FROM chosen) AND (rv.outcome IS NULL OR rv.outcome <> 'returned')
    ORDER BY m.report_id, m.indicator_id, m.as_of DESC, m.version_id DESC, m.id DESC
), ind_values AS (
    SELECT v.report_id, string_agg(coalesce(i.name, '指标' || v.indicator_id) || ': ' || {_NUMBER}
        || coalesce(i.measure, '') || ' (' || to_char(v.as_of, 'YYYY-MM-DD') || ')', '；' ORDER BY v.indicator_id)
        AS text
    FROM latest v LEFT JOIN {INDICATORS} i ON i.id = v.indicator_id
    GROUP BY v.report_id
), comments AS (
    SELECT DISTINCT ON (report_id) report_id, review_comment AS text
    FROM report_versions WHERE report_id IN (SELECT id FROM chosen) AND outcome IS NOT NULL
    ORDER BY report_id, number DESC
)
SELECT d.key, d.number, d.title, d.kind, d.unit_name, d.role, $3::text,
    coalesce({_word("c.status", 7, 8)}, ($8::text[])[1]),
    CASE WHEN c.status = ANY($6::text[]) THEN CASE WHEN c.late THEN '是' ELSE '否' END ELSE $4::text END,
    CASE WHEN c.status = ANY($6::text[]) THEN c.days_late ELSE $5::int END,
    c.percent_complete,
    {_safe(f"coalesce({_word('c.self_status', 10, 11)}, c.self_status)")},
    {_safe("nullif(c.progress, '')")}, {_safe("nullif(c.problems, '')")}, {_safe("nullif(c.next_steps, '')")},
    {_safe("nullif(ind_values.text, '')")}, {_safe("nullif(comments.text, '')")},
    to_char(c.submitted_at AT TIME ZONE $12::text, 'YYYY-MM-DD HH24:MI')
FROM {DUTIES} d
LEFT JOIN chosen c ON c.item_id = d.item_id AND c.unit_id = d.unit_id
LEFT JOIN ind_values ON ind_values.report_id = c.id
LEFT JOIN comments ON comments.report_id = c.id
ORDER BY d.n"""


def query_arguments(ledger: service.Ledger) -> tuple[Any, ...]:
    """QUERY's arguments for a ledger, in order."""
    late, days_late = lateness(None, due_on=ledger.period.due_on, today=ledger.today)
    statuses = [None, *(status.value for status in ReportStatus)]
    return (
        ledger.plan.id,
        list(answering_ids(ledger.period.period)),
        ledger.period.period.id,
        "是" if late else "否",
        days_late,
        list(REPORTED),
        statuses,
        [service.STATUSES[status] for status in statuses],
        list(FORMULA_STARTS),
        list(service.SELF_STATUSES),
        list(service.SELF_STATUSES.values()),
        SHANGHAI.key,
    )


def _cell(text: str) -> str | None:
    return str(csv_safe(text)) if text else None  # blank is NULL: COPY writes an empty string as ""


def duty_records(ledger: service.Ledger) -> Iterator[tuple[Any, ...]]:
    """The rows of the duties table: each responsibility with its item's cells, in plan order."""
    for n, duty in enumerate(ledger.duties):
        item = ledger.items.get(duty.item_id, service.NO_ITEM)
        cells = (*item, duty.unit_name, duty.role)
        yield (n, duty.item_id, duty.unit_id, *map(_cell, cells))


async def _load(conn: AsyncConnection, ledger: service.Ledger) -> None:
    driver = await driver_connection(conn)
    for statement in TABLES:
        await driver.execute(statement)
    await driver.copy_records_to_table(DUTIES, records=duty_records(ledger), columns=list(DUTY_COLUMNS))
    labels = ((i, label.name, label.measure) for i, label in ledger.indicators.items())
    await driver.copy_records_to_table(INDICATORS, records=labels, columns=list(INDICATOR_COLUMNS))
    await driver.execute(f"ANALYZE {DUTIES}; ANALYZE {INDICATORS}; SET LOCAL extra_float_digits = 0")


async def copy_ledger(conn: AsyncConnection, ledger: service.Ledger, sink: Callable[[bytes], Awaitable[None]]) -> None:
    """COPY the ledger's rows as CSV into `sink` (line ends still PostgreSQL's \\n), in the caller's transaction."""
    await _load(conn, ledger)
    driver = await driver_connection(conn)
    await driver.copy_from_query(QUERY, *query_arguments(ledger), output=sink, format="csv")


class LineEnds:
    """COPY ends a CSV row with \\n; RFC 4180 (and the Python writer) with \\r\\n. A \\n inside a quoted cell stays:
    a cell is quoted when it holds one, so a \\n ends a row exactly when the quotes before it are balanced."""

    def __init__(self) -> None:
        self.quoted = False  # inside a quoted cell at the end of the last chunk

    def __call__(self, data: bytes) -> bytes:
        if not self.quoted and b'"' not in data:
            return data.replace(b"\n", b"\r\n")
        lines = data.split(b"\n")
        out = []
        for line in lines[:-1]:
            self.quoted ^= line.count(b'"') % 2 == 1
            out.append(line + (b"\n" if self.quoted else b"\r\n"))
        self.quoted ^= lines[-1].count(b'"') % 2 == 1
        out.append(lines[-1])
        return b"".join(out)


async def csv_file(db: Database, ledger: service.Ledger, write: Callable[[bytes], Awaitable[None]]) -> None:
    """The whole CSV file (BOM, header, rows) into `write`, in one transaction of the database's own."""
    await write(csv_header(service.HEADERS))
    ends = LineEnds()

    async def sink(data: bytes) -> None:
        await write(ends(data))

    async with db.transaction() as conn:
        await copy_ledger(conn, ledger, sink)
