"""Every change guarded by an ETag refuses a forged If-Match with 412, and changes nothing.

The operations are those whose contract documents 428 (If-Match required) among their answers.
"""

from __future__ import annotations

import pytest

from tests.hostile.contract import every
from tests.problems import assert_problem

GUARDED_CHANGES = every(lambda op: op.method in {"PATCH", "DELETE"} and "428" in op.spec["responses"])
FORGED = {
    "not-an-etag": "garbage",
    "weak": 'W/"1"',
    "negative": '"-1"',
    "beyond-any-version": '"99999999999999999999"',
    "five-thousand-digits": '"' + "9" * 5000 + '"',
    "sql": "\"1' OR '1'='1\"",
    # Not the ETag "1" by strong comparison, though int() reads each as 1 (each was taken for it until 2026-12-07).
    "leading-zero": '"01"',
    "plus-sign": '"+1"',
    "unbalanced-quote": '"1',
}


@pytest.mark.parametrize("op", GUARDED_CHANGES, ids=str)
def test_every_forged_if_match_is_412_and_changes_nothing(world, auth, op):
    w = world(op.service)
    with w.changing_nothing():
        for name, tag in FORGED.items():
            response = w.call(op, {**auth("admin"), "If-Match": tag})
            assert_problem(response, 412, case=f"If-Match {name}")
