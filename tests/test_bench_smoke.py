"""The benchmark at a tiny scale, so that `make bench` cannot rot: it loads, serves, measures and prints every figure.

PostgreSQL only: the baseline it measures against is asyncpg, and the bench databases are PostgreSQL's.
"""

import asyncio
import math
import uuid

import pytest

from bench.figures import FIGURE_NAMES, table
from bench.generate import Target, drop_databases
from bench.run import parse_args, run
from tests.databases import BACKEND, PG_DSN

pytestmark = [
    pytest.mark.skipif(BACKEND != "postgresql", reason="the benchmark runs against PostgreSQL"),
    pytest.mark.timeout(600),
]  # it loads a data set and starts five processes: minutes on a loaded machine


@pytest.fixture(scope="module")
def figures():
    prefix = f"duban_test_bench_{uuid.uuid4().hex[:8]}"
    args = parse_args(
        [
            "--scale",
            "0.0005",
            "--prefix",
            prefix,
            "--admin-dsn",
            PG_DSN,
            "--seconds",
            "0.3",
            "--delivery-seconds",
            "3",
            "--samples",
            "3",
            "--load",
            "python",
        ]
    )
    try:
        yield run(args)
    finally:
        asyncio.run(drop_databases(Target(prefix, PG_DSN)))


def test_the_benchmark_reports_every_figure_of_issue_6(figures):
    assert sorted(f.name for f in figures) == sorted(FIGURE_NAMES)


def test_every_figure_is_measured(figures):
    unmeasured = [(f.name, f.note) for f in figures if math.isnan(f.value)]
    assert unmeasured == []


def test_the_table_has_a_row_per_figure_with_its_target_and_verdict(figures):
    lines = table(figures).splitlines()
    assert [cell.strip() for cell in lines[0].split("|")[1:-1]] == [
        "figure",
        "value",
        "baseline",
        "ratio",
        "target",
        "met",
        "note",
    ]
    assert len(lines) == 2 + len(FIGURE_NAMES)
    assert all(row.split("|")[6].strip() in ("yes", "NO") for row in lines[2:])
