"""A peer's long list of small records held as columns: one array or list per field, not one object per record.

A province's plan has 100,000 responsibilities and 50,000 items; as slotted records (plan_rows.py) each is an object
of its own with, for a responsibility, an int of its own for its id: plan 1 of the bench's duties held 29 MB in
reporting_api at the peak of a dispatch, 18.6 MB as columns (tracemalloc). The integer fields are arrays of machine
integers (8 bytes a value, no object), the others lists of the values the parse made (shared where they repeat:
plan_rows.Shared); a record is made only when one is read.

pydantic validates each record with the record's own annotations, validators and defaults, into a dict (cheaper for it
to make than the record: 100,000 responsibilities in 0.12 s against 0.22), and the dicts of a list become columns at
once; a document read a slice at a time (sliced.py) extends the columns slice by slice, so the records of a whole plan
never exist together. A peer may also send the columns themselves, in blocks (`[{"id": [...], "role": [...]}, ...]`,
each value validated with the field's annotation; a field with a default may be left out): no field name repeated
per record, so half the bytes and a third of the parse, and a document still read a few blocks at a time (a
province's duties, tasks_api's GET /v1/plans/{id}/duties/columns).
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, MutableSequence, Sequence
from functools import cache, partial
from itertools import compress, islice
from operator import attrgetter, itemgetter, le
from typing import Annotated, Any, Generic, NotRequired, TypeVar, cast, get_args, get_type_hints

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema
from typing_extensions import TypedDict

Record = TypeVar("Record", covariant=True)  # the columns of a record are those of a record it is a kind of
Column = MutableSequence[Any]  # array("q") of an int field, else a list of the field's values


@cache  # one entry per record class that is held as columns
def _fields(record: Hashable) -> tuple[tuple[str, bool], ...]:
    """The dataclass's fields in order, each with whether it is a plain int (an array column; not optional)."""
    hints = get_type_hints(record)
    return tuple((f.name, hints[f.name] is int) for f in dataclasses.fields(cast(type, record)))


@cache  # one entry per record class that is held as columns
def _row_of(record: type) -> type:
    """A TypedDict of the dataclass's fields, with their annotations (validators included) and defaults."""
    hints = get_type_hints(record, include_extras=True)
    fields = {
        f.name: hints[f.name]
        if f.default is dataclasses.MISSING
        else Annotated[hints[f.name], Field(default=f.default)]
        for f in dataclasses.fields(record)
    }
    return cast(type, TypedDict(f"{record.__name__}Row", fields))  # type: ignore[operator]  # the functional form


@cache  # one entry per record class that is held as columns
def _columns_of(record: type) -> type:
    """A TypedDict of a list per field of the dataclass, each value with the field's annotation (validators
    included); a field with a default may be left out."""
    hints = get_type_hints(record, include_extras=True)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        values = list[hints[field.name]]  # type: ignore[valid-type,name-defined]  # a runtime type
        fields[field.name] = values if field.default is dataclasses.MISSING else NotRequired[values]
    return cast(type, TypedDict(f"{record.__name__}Columns", fields))  # type: ignore[operator]  # the functional form


def _like(column: Column, values: Iterable[Any]) -> Column:
    """A column of `values`, of the kind `column` is."""
    return array("q", values) if isinstance(column, array) else list(values)


class Columns(Generic[Record]):
    """The records of a slotted dataclass `record`, a column per field in the field order (its constructor's)."""

    __slots__ = ("columns", "record")

    def __init__(self, record: type[Record], columns: Sequence[Column]) -> None:
        self.record, self.columns = record, tuple(columns)

    @classmethod
    def of(cls, record: type[Record], records: Iterable[Record]) -> Columns[Record]:
        """The columns of `records`."""
        return cls._transposed(record, list(records), attrgetter)

    @classmethod
    def _of_rows(cls, record: type[Record], rows: list[dict[str, Any]]) -> Columns[Record]:
        return cls._transposed(record, rows, itemgetter)

    @classmethod
    def _of_blocks(cls, record: type[Record], blocks: list[dict[str, list[Any]]]) -> Columns[Record]:
        """The blocks of columns a peer sent, one after the other: in each, every column of as many values as the
        first, and a field left out takes its default."""
        fields = dataclasses.fields(cast(type, record))
        columns: list[Column] = [array("q") if is_int else [] for _, is_int in _fields(cast(Hashable, record))]
        for block in blocks:
            count = len(block[fields[0].name])
            for column, field in zip(columns, fields, strict=True):
                values = block[field.name] if field.name in block else [field.default] * count
                if len(values) != count:
                    raise ValueError(f"the column {field.name} has {len(values)} values, {fields[0].name} {count}")
                column.extend(values)
        return cls(record, columns)

    @classmethod
    def _transposed(cls, record: type[Record], found: list[Any], getter: Callable[[str], Any]) -> Columns[Record]:
        columns: list[Column] = []
        for name, is_int in _fields(cast(Hashable, record)):
            values = map(getter(name), found)
            columns.append(array("q", values) if is_int else list(values))
        return cls(record, columns)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """Validated as a list of `record`'s fields into dicts, or as a list per field, then held as columns (the
        module's docstring)."""
        (record,) = get_args(source)
        rows = handler(list[_row_of(record)])  # type: ignore[misc]  # a TypedDict made for the record
        blocks = handler(list[_columns_of(record)])  # type: ignore[misc]  # a TypedDict made for the record
        return core_schema.union_schema(
            [
                core_schema.no_info_after_validator_function(partial(cls._of_rows, record), rows),
                core_schema.no_info_after_validator_function(partial(cls._of_blocks, record), blocks),
            ]
        )

    def extend(self, other: Columns[Record]) -> None:
        """Append `other`'s records (the next slice of a document)."""
        for column, more in zip(self.columns, other.columns, strict=True):
            column.extend(more)

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, at: int) -> Record:
        return self.record(*(column[at] for column in self.columns))

    def __iter__(self) -> Iterator[Record]:
        return map(self.record, *self.columns)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Columns) and self.record is other.record and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable while a document is read

    def ints(self, name: str) -> array[int]:
        """The values of an int field, as the array that holds them."""
        column = self.column(name)
        if not isinstance(column, array):
            raise TypeError(f"{self.record.__name__}.{name} is not an int column")
        return column

    def column(self, name: str) -> Sequence[Any]:
        """The values of a field, as the column that holds them (not to be changed)."""
        return self.columns[self._at(name)]

    def where(self, keep: Iterable[bool]) -> Columns[Record]:
        """The records for which `keep` is true, in order."""
        kept = list(keep)
        return Columns(self.record, [_like(column, compress(column, kept)) for column in self.columns])

    def ordered(self, name: str) -> Columns[Record]:
        """The records in the order of an int field: these very columns when they are in that order already (as a
        peer lists them), else a copy reordered."""
        values = self.ints(name)
        if all(map(le, values, islice(values, 1, None))):
            return self
        order = sorted(range(len(values)), key=values.__getitem__)
        return Columns(self.record, [_like(column, map(column.__getitem__, order)) for column in self.columns])

    def by(self, name: str) -> Mapping[int, Record]:
        """The records by the value of an int field (the last of equal ones), each made when read; the index is
        made at the first lookup (a dispatch's list of a plan that owes nothing never makes it)."""
        return Keyed(self, self.ints(name))

    def _at(self, name: str) -> int:
        return [field for field, _ in _fields(cast(Hashable, self.record))].index(name)


class Keyed(Mapping[int, Record]):
    """Records of columns by an int field, each made at its first lookup and kept for the next ones (a plan's rows
    name each item once per unit): a plan's 50,000 items looked up by id without 50,000 objects."""

    __slots__ = ("_at", "column", "found", "made")

    def __init__(self, found: Columns[Record], column: array[int]) -> None:
        self.found, self.column = found, column
        self._at: dict[int, int] | None = None
        self.made: dict[int, Record] = {}

    @property
    def at(self) -> dict[int, int]:
        if self._at is None:
            self._at = {value: at for at, value in enumerate(self.column)}
        return self._at

    def __getitem__(self, key: int) -> Record:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return cast(Record, found)

    def get(self, key: int, default: Any = None) -> Any:  # Mapping's, without its exception for a miss
        found = self.made.get(key)
        if found is None:
            at = self.at.get(key)
            if at is None:
                return default
            found = self.made[key] = self.found[at]
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self.at)

    def __len__(self) -> int:
        return len(self.at)
