"""The ledger written by PostgreSQL (where the database copies): the plan's side, spooled from tasks_api before
(ledger/spool.py), is COPYed into temporary tables, and one query joins them with the reports, their latest review
comments and indicator values and writes every cell as the Python rows have it (ledger/service.py): streamed out by
COPY … TO STDOUT as CSV, or read through a server-side cursor for the workbook. No row of the ledger is held.

The cells are the same text as the Python rows': the status words and the defused formulas come from the same
tables, numbers are printed as `cells._number` prints them (with extra_float_digits 0 a double is `%.15g`, as
Python's `format(v, ".15g")`), times in Beijing time. The tests compare this CSV with the one written in Python.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.clock import SHANGHAI
from services.common.csv_stream import FORMULA_STARTS, csv_header
from services.common.db import Database
from services.common.dialect import driver_connection
from services.reporting_api.ledger import service
from services.reporting_api.ledger.spool import SpooledLedger
from services.reporting_api.ledger.writers import Row
from services.reporting_api.oversight.compliance_rows import late_as_of
from services.reporting_api.periods.calendar import answering_ids
from services.reporting_api.reports.models import ReportStatus

# The spool's tables (ledger/spool.py), each dropped when the export's transaction ends.
TABLES = {
    "duties": "item_id bigint, co boolean, id bigint, unit_id bigint, unit_name text, role text",
    "items": "id bigint PRIMARY KEY, key text, number text, title text, kind text",
    "indicators": "id bigint PRIMARY KEY, name text, measure text",
}
DUTIES, ITEMS, INDICATORS = (f"ledger_{name}" for name in TABLES)
BATCH_ROWS = 2_000  # rows a cursor fetch hands the workbook writer


def _safe(cell: str) -> str:
    """A text cell defused as writers.csv_safe does it: an apostrophe before what a spreadsheet would run."""
    return f"CASE WHEN left({cell}, 1) = ANY($8::text[]) THEN '''' || {cell} ELSE {cell} END"


def _word(cell: str, keys: int, words: int) -> str:
    """The ledger's word for a stored value (status, self-assessment), from the Python tables passed as arrays."""
    return f"(${words}::text[])[array_position(${keys}::text[], {cell})]"


# cells._number: a whole number as an integer, else 15 significant digits; nan and inf as Python writes them.
_NUMBER = """CASE WHEN v.value = 'NaN' THEN 'nan' WHEN v.value = 'Infinity' THEN 'inf'
    WHEN v.value = '-Infinity' THEN '-inf'
    WHEN v.value = trunc(v.value) AND abs(v.value) < 9e18 THEN v.value::int8::text
    WHEN v.value = trunc(v.value) THEN v.value::numeric::text ELSE v.value::text END"""

# $1 plan, $2 answering periods, $3 the period shown, $4/$5 lateness of a pair not reported, $6/$7 statuses and their
# words, $8 formula starts, $9/$10 self-assessments and their words, $11 the time zone. `reached` is
# oversight/repository.REACHED written out (a report reopened for a correction keeps its first submission's lateness).
QUERY = f"""
WITH chosen AS (
    SELECT DISTINCT ON (r.item_id, r.unit_id) r.id, r.item_id, r.unit_id, r.status, r.progress, r.problems,
        r.next_steps, r.percent_complete, r.self_status, r.submitted_at, r.late, r.days_late,
        r.first_submitted_at IS NOT NULL AS reached
    FROM {DUTIES} d JOIN {ITEMS} it ON it.id = d.item_id
    JOIN reports r ON r.item_id = d.item_id AND r.unit_id = d.unit_id
    WHERE r.plan_id = $1 AND r.period = ANY($2::text[])
    ORDER BY r.item_id, r.unit_id, r.id DESC
), latest AS (
    SELECT DISTINCT ON (m.report_id, m.indicator_id) m.report_id, m.indicator_id, m.value, m.as_of
    FROM measurements m JOIN report_versions rv ON rv.id = m.version_id
    WHERE m.report_id IN (SELECT id FROM chosen) AND (rv.outcome IS NULL OR rv.outcome <> 'returned')
    ORDER BY m.report_id, m.indicator_id, m.as_of DESC, m.version_id DESC, m.id DESC
), ind_values AS (
    SELECT v.report_id, string_agg(CASE WHEN i.id IS NULL THEN '指标' || v.indicator_id ELSE coalesce(i.name, '')
        END || ': ' || {_NUMBER}
        || coalesce(i.measure, '') || ' (' || to_char(v.as_of, 'YYYY-MM-DD') || ')', '；' ORDER BY v.indicator_id)
        AS text
    FROM latest v LEFT JOIN {INDICATORS} i ON i.id = v.indicator_id
    GROUP BY v.report_id
), comments AS (
    SELECT DISTINCT ON (report_id) report_id, review_comment AS text
    FROM report_versions WHERE report_id IN (SELECT id FROM chosen) AND outcome IS NOT NULL
    ORDER BY report_id, number DESC
), files AS (
    SELECT owner_id AS report_id, string_agg(filename, '；' ORDER BY id) AS text
    FROM evidence WHERE owner_kind = 'report' AND owner_id IN (SELECT id FROM chosen)
    GROUP BY owner_id
)
SELECT {_safe("it.key")}, {_safe("it.number")}, {_safe("it.title")}, {_safe("it.kind")}, {_safe("d.unit_name")},
    {_safe("d.role")}, $3::text,
    coalesce({_word("c.status", 6, 7)}, ($7::text[])[1]),
    CASE WHEN c.reached THEN CASE WHEN c.late THEN '是' ELSE '否' END ELSE $4::text END,
    CASE WHEN c.reached THEN c.days_late ELSE $5::int END,
    c.percent_complete,
    {_safe(f"coalesce({_word('c.self_status', 9, 10)}, c.self_status)")},
    {_safe("nullif(c.progress, '')")}, {_safe("nullif(c.problems, '')")}, {_safe("nullif(c.next_steps, '')")},
    {_safe("nullif(ind_values.text, '')")}, {_safe("nullif(comments.text, '')")},
    to_char(c.submitted_at AT TIME ZONE $11::text, 'YYYY-MM-DD HH24:MI'),
    {_safe("nullif(files.text, '')")}
FROM {DUTIES} d JOIN {ITEMS} it ON it.id = d.item_id
LEFT JOIN chosen c ON c.item_id = d.item_id AND c.unit_id = d.unit_id
LEFT JOIN ind_values ON ind_values.report_id = c.id
LEFT JOIN comments ON comments.report_id = c.id
LEFT JOIN files ON files.report_id = c.id
ORDER BY d.item_id, d.co, d.id"""


def query_arguments(ledger: SpooledLedger, *, defuse: bool) -> tuple[Any, ...]:
    """QUERY's arguments for a ledger, in order; `defuse`: formulas get an apostrophe (the CSV's cells)."""
    late, days_late = late_as_of(ledger.period.due_on, ledger.today)
    statuses = [None, *(status.value for status in ReportStatus)]
    return (
        ledger.plan.id,
        list(answering_ids(ledger.period.period)),
        ledger.period.period.id,
        "是" if late else "否",
        days_late,
        statuses,
        [service.STATUSES[status] for status in statuses],
        list(FORMULA_STARTS) if defuse else [],
        list(service.SELF_STATUSES),
        list(service.SELF_STATUSES.values()),
        SHANGHAI.key,
    )


async def _load(conn: AsyncConnection, ledger: SpooledLedger) -> Any:
    """The spool COPYed into its temporary tables; the asyncpg connection under `conn`."""
    driver = await driver_connection(conn)
    for name, columns in TABLES.items():
        await driver.execute(f"CREATE TEMPORARY TABLE ledger_{name} ({columns}) ON COMMIT DROP")
        await driver.copy_to_table(f"ledger_{name}", source=ledger.spool.source(name), format="csv")
    await driver.execute(f"ANALYZE {DUTIES}; ANALYZE {ITEMS}; ANALYZE {INDICATORS}; SET LOCAL extra_float_digits = 0")
    return driver


async def copy_ledger(conn: AsyncConnection, ledger: SpooledLedger, sink: Callable[[bytes], Awaitable[None]]) -> None:
    """COPY the ledger's rows as CSV into `sink` (line ends still PostgreSQL's \\n), in the caller's transaction."""
    driver = await _load(conn, ledger)
    await driver.copy_from_query(QUERY, *query_arguments(ledger, defuse=True), output=sink, format="csv")


async def ledger_rows(db: Database, ledger: SpooledLedger) -> AsyncIterator[list[Row]]:
    """The ledger's rows for the workbook, BATCH_ROWS at a time from a server-side cursor, in one transaction."""
    async with db.transaction() as conn:
        driver = await _load(conn, ledger)
        cursor = await driver.cursor(QUERY, *query_arguments(ledger, defuse=False))
        while batch := await cursor.fetch(BATCH_ROWS):
            yield [tuple(record) for record in batch]


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


async def csv_file(db: Database, ledger: SpooledLedger, write: Callable[[bytes], Awaitable[None]]) -> None:
    """The whole CSV file (BOM, header, rows) into `write`, in one transaction of the database's own."""
    await write(csv_header(service.HEADERS))
    ends = LineEnds()

    async def sink(data: bytes) -> None:
        await write(ends(data))

    async with db.transaction() as conn:
        await copy_ledger(conn, ledger, sink)
