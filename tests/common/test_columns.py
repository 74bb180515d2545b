"""Records held as columns (contracts/columns.py): validated as the contract's records, held as one array or list per
field, each record made only when read."""

from __future__ import annotations

from array import array

import pytest
from pydantic import TypeAdapter, ValidationError

from services.common.contracts.columns import Columns
from services.common.contracts.plan_duties import DutyAssignment

ROWS = [
    {"id": 3, "item_id": 7, "unit_id": 1, "unit_name": "市发改委", "role": "lead"},
    {"id": 1, "item_id": 8, "unit_id": 2, "unit_name": "市财政局", "role": "co"},
    {"id": 2, "item_id": 7, "unit_id": 2, "unit_name": "市财政局", "role": "co"},
]
RECORDS = [DutyAssignment(**row) for row in ROWS]


def held(rows=ROWS) -> Columns[DutyAssignment]:
    return TypeAdapter(Columns[DutyAssignment]).validate_python(rows)


def test_the_int_fields_are_arrays_and_the_others_lists():
    assert held().columns == (
        array("q", [3, 1, 2]),
        array("q", [7, 8, 7]),
        array("q", [1, 2, 2]),
        ["市发改委", "市财政局", "市财政局"],
        ["lead", "co", "co"],
    )


def test_the_records_are_made_when_read_in_their_order():
    found = held()
    assert (list(found), found[1], len(found)) == (RECORDS, RECORDS[1], 3)


def test_a_slice_validated_later_extends_the_columns():
    found = held(ROWS[:1])
    found.extend(held(ROWS[1:]))
    assert found == held()


def test_the_records_kept_by_a_filter_are_columns_too():
    assert list(held().where([True, False, True])) == [RECORDS[0], RECORDS[2]]


def test_records_out_of_order_are_put_in_order_and_records_in_order_kept_as_they_are():
    found = held()
    assert list(found.ordered("id")) == sorted(RECORDS, key=lambda r: r.id)
    assert found.ordered("item_id") is not found and found.ordered("id").ordered("id").ints("id") == array(
        "q", [1, 2, 3]
    )
    in_order = held(sorted(ROWS, key=lambda r: r["id"]))
    assert in_order.ordered("id") is in_order


def test_records_are_looked_up_by_an_int_field():
    by_id = held().by("id")
    assert (by_id[2], by_id.get(9), sorted(by_id), len(by_id)) == (RECORDS[2], None, [1, 2, 3], 3)


def test_a_record_looked_up_twice_is_made_once():
    by_id = held().by("id")
    assert by_id[3] is by_id.get(3)


def test_a_record_that_breaks_the_contract_fails_validation():
    with pytest.raises(ValidationError):
        held([{**ROWS[0], "unit_id": "one"}])


def as_sent(*blocks) -> list[dict[str, list[object]]]:
    """The records as a peer sends them in blocks of columns: a list per field."""
    return [{name: [row[name] for row in block] for name in ROWS[0]} for block in blocks]


def test_blocks_of_columns_a_peer_sends_are_held_as_the_records_would_be():
    found = held(as_sent(ROWS[:2], ROWS[2:]))
    assert found.columns == held().columns and isinstance(found.columns[0], array)


def test_a_column_sent_shorter_than_the_others_of_its_block_fails_validation():
    uneven = as_sent(ROWS)
    uneven[0]["role"].pop()
    with pytest.raises(ValidationError, match="the column role has 2 values, id 3"):
        held(uneven)


def test_a_value_in_a_column_that_breaks_the_contract_fails_validation():
    (block,) = as_sent(ROWS)
    with pytest.raises(ValidationError):
        held([{**block, "unit_id": [1, "one", 2]}])


def test_a_block_sent_without_a_field_that_has_no_default_fails_validation():
    (block,) = as_sent(ROWS)
    with pytest.raises(ValidationError):
        held([{name: values for name, values in block.items() if name != "role"}])


def test_no_block_is_no_record():
    assert len(held([])) == 0
