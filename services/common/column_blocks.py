"""Records sent as blocks of columns: a list of up to BLOCK_ROWS records, each block a JSON object of a list per field,
the nth value of each list the nth record's. No field name repeated per record: half the bytes of the records, and a
third of their parse (contracts/columns.py reads them, a few blocks at a time as they arrive). tasks_api's duties
and reporting_api's obligations, what a dispatch reads of every plan, are sent so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any

from pydantic import BaseModel, Field, create_model

BLOCK_ROWS = 1_000  # records a block of columns holds: a block is ~50-100 KB of JSON

ColumnBlock = dict[str, list[object]]  # a block: each field's values, in the records' order


def block_model(model: type[BaseModel]) -> type[BaseModel]:
    """A block of `model`'s records as columns (the contract's schema): a list of each field's values, in order."""
    fields: dict[str, Any] = {
        name: (list[field.annotation], Field(description=f"Each record's {name}, in order."))  # type: ignore[name-defined]
        for name, field in model.model_fields.items()
    }
    doc = f"{model.__doc__} Up to {BLOCK_ROWS:,} of them, a list per field."
    return create_model(f"{model.__name__}Columns", __doc__=doc, **fields)


def joined_blocks(parts: Sequence[Mapping[str, Sequence[object]]], fields: Sequence[str]) -> list[ColumnBlock]:
    """The records of `parts` (each a list per field, every one of `fields`), one part after the other, as blocks of
    columns."""
    columns = [list(chain.from_iterable(part[name] for part in parts)) for name in fields]
    count = len(columns[0]) if columns else 0
    return [{name: column[at : at + BLOCK_ROWS] for name, column in zip(fields, columns, strict=True)}
            for at in range(0, count, BLOCK_ROWS)]  # fmt: skip
