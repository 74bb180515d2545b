"""Every hot query uses an index: EXPLAIN of the statements each hot request issues shows no sequential scan
of a big table, on a generated data set large enough that PostgreSQL prefers indexes where they exist.

PostgreSQL only: the plans are PostgreSQL's, and SQLite's planner has nothing to say about them.
"""

import asyncio
import uuid

import pytest

from bench.explain import scans_of_hot_requests
from bench.generate import Target, drop_databases, generate
from bench.jobs import fill_outbox
from tests.databases import BACKEND, PG_DSN

pytestmark = [
    pytest.mark.skipif(BACKEND != "postgresql", reason="query plans are checked on PostgreSQL"),
    pytest.mark.timeout(600),
]  # it loads a data set: about a minute on a loaded machine

SCALE = 0.03  # 3,000 items, 9,000 responsibilities, 30,000 reports, 60,000 measurements
PLANS = 20  # plan 2, whose roll-up and compliance are checked, holds a fortieth of the rows, as at full scale
OUTBOX_ROWS = 30_000


@pytest.fixture(scope="module")
def scans():
    target = Target(f"duban_test_plans_{uuid.uuid4().hex[:8]}", PG_DSN)
    try:
        asyncio.run(generate(target, seed=6, scale=SCALE, plans=PLANS))
        # A delivered history and a few pending rows: the outbox as it looks after months of dispatches.
        asyncio.run(fill_outbox(target.dsn("notify_api"), OUTBOX_ROWS, delivered_share=0.99))
        yield asyncio.run(scans_of_hot_requests(target))
    finally:
        asyncio.run(drop_databases(target))


def test_the_item_list_with_a_unit_filter_pages_by_index(scans):
    assert scans["items list, unit filter, keyset page"] == []


def test_the_report_list_by_plan_and_period_pages_by_index(scans):
    assert scans["reports list by plan and period"] == []


def test_the_rollup_by_unit_reads_by_index(scans):
    assert scans["roll-up by unit"] == []


def test_compliance_reads_by_index(scans):
    assert scans["compliance"] == []


def test_the_ledger_reads_by_index(scans):
    assert scans["ledger"] == []


def test_the_outbox_claim_picks_due_rows_by_index(scans):
    assert scans["outbox claim"] == []
