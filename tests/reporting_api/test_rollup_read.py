"""A roll-up's period read: the filed counts the roll-up memo compares, by their values."""

from types import MappingProxyType
from typing import cast

from services.common.driver_reads import Rows
from services.reporting_api.oversight.inputs import PeriodView
from services.reporting_api.oversight.period_rows import LightInputs, RollupRead
from services.reporting_api.oversight.repository import filed_counts_statement
from services.reporting_api.oversight.rollups import FILED_KEY
from services.reporting_api.oversight.schemas.rows import FiledCount

COUNTED = FiledCount.__annotations__
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


def test_the_filed_counts_statement_selects_exactly_the_values_compared():
    # A column the statement gained but FiledCount lacked would change the roll-up unseen by the memo.
    for key in FILED_KEY.values():
        assert [column.key for column in filed_counts_statement(key).selected_columns] == list(COUNTED)
