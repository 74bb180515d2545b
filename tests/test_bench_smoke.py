"""The benchmark at a tiny scale, so that `make bench` cannot rot: it loads, serves, measures and prints every figure.

PostgreSQL only: the baseline it measures against is asyncpg, and the bench databases are PostgreSQL's.
"""

import asyncio
import math
import uuid

import pytest

from bench.figures import DISPATCH_NAMES, FIGURE_NAMES, LEDGER_NAMES, LIST_NAMES, OVERSIGHT_NAMES, table
from bench.generate import Target, drop_databases
from bench.memory import PeakTrail, Snapshot
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
            "--settle-seconds",
            "1",
            "--load",
            "python",
        ]
    )
    try:
        yield run(args)
    finally:
        asyncio.run(drop_databases(Target(prefix, PG_DSN)))


def test_the_benchmark_reports_every_figure_of_issues_6_and_15(figures):
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


def test_every_list_has_its_throughput_and_p99_against_the_raw_baseline(figures):
    by_name = {f.name: f for f in figures}
    for name in LIST_NAMES:
        assert by_name[f"{name}: req/s"].baseline > 0
        assert by_name[f"{name}: p99"].baseline > 0


def test_roll_up_and_compliance_are_timed_against_hand_sql_cold_recomputed_and_cached(figures):
    by_name = {f.name: f for f in figures}
    assert all(by_name[name].baseline > 0 for name in OVERSIGHT_NAMES)


def test_each_dispatch_run_names_its_phases_and_has_a_raw_copy_baseline(figures):
    by_name = {f.name: f for f in figures}
    for name in DISPATCH_NAMES[::2]:
        assert by_name[name].baseline > 0
        assert all(phase in by_name[name].note for phase in ("read peers", "plan", "address", "write"))


def test_the_ledger_exports_have_their_baselines(figures):
    by_name = {f.name: f for f in figures}
    assert all(by_name[name].baseline > 0 for name in LEDGER_NAMES)


def test_the_memory_peak_names_the_step_each_mark_was_taken_after(figures):
    note = {f.name: f for f in figures}["RSS peak over the run (largest)"].note
    assert all(f" {step} " in note for step in ("lists", "oversight", "roll-ups", "ledger", "dispatch", "delivery"))


def test_the_memory_peak_over_the_run_is_the_highest_mark_though_a_reset_lowered_the_last():
    marks = [("roll-ups", Snapshot({"reporting_api": 264.0})), ("ledger", Snapshot({"reporting_api": 192.0}))]
    trail = PeakTrail(marks)
    assert trail.highest(Snapshot({"reporting_api": 200.0})).mb == {"reporting_api": 264.0}
