"""A roll-up's period read: the filed counts the roll-up memo compares, by their values."""

from types import MappingProxyType
from typing import cast

from services.common.driver_reads import Rows
from services.reporting_api.oversight.inputs import PeriodView
from services.reporting_api.oversight.period_rows import LightInputs, RollupRead

COUNTS = {"submitted": 3, "awaiting_review": 1, "accepted": 2, "returned": 0, "draft": 1, "on_time": 2, "late": 1}


def read_of(*rows: dict[str, int]) -> RollupRead:
    return RollupRead(cast(PeriodView, None), cast(Rows, list(rows)), LightInputs({}, {}, {}, {}))


def test_filed_counts_are_compared_by_their_values_in_the_counts_order():
    row = {"key": 7, **COUNTS}
    assert read_of(row).filed_values == ((7, 3, 1, 2, 0, 1, 2, 1),)


def test_the_columns_order_of_a_row_does_not_change_its_values():
    reordered = dict(reversed(list({"key": 7, **COUNTS}.items())))
    assert read_of(reordered).filed_values == read_of({"key": 7, **COUNTS}).filed_values


def test_a_row_read_by_name_gives_the_same_values_as_a_dict():
    as_record = MappingProxyType({"key": 7, **COUNTS})  # a mapping read by name, as a driver record is
    assert read_of(cast(dict[str, int], as_record)).filed_values == read_of({"key": 7, **COUNTS}).filed_values


def test_one_count_changed_makes_the_filed_counts_differ():
    later = {"key": 7, **COUNTS, "accepted": 3}
    assert read_of(later).filed_values != read_of({"key": 7, **COUNTS}).filed_values
