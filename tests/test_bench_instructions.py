"""Callgrind's counts become counts per request (bench/instructions.py)."""

from __future__ import annotations

import pytest

from bench.instructions import MISS_WEIGHT, per_request

DUMP = """version: 1
creator: callgrind-3.19.0
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
summary: 869126020 247152325 144988548 6527536 3473143 1867003 7854 10091 17025
"""


def test_a_dumps_summary_is_divided_by_the_requests_counted():
    counts = per_request(DUMP, 500)
    assert counts.instructions == pytest.approx(1_738_252.04)
    assert counts.instruction_misses == pytest.approx(13_055.072)
    assert counts.data_misses == pytest.approx((3_473_143 + 1_867_003) / 500)


def test_the_estimate_weighs_each_first_level_miss():
    counts = per_request(DUMP, 500)
    assert counts.estimate == pytest.approx(
        counts.instructions + MISS_WEIGHT * (counts.instruction_misses + counts.data_misses)
    )
