"""A service under attack: its app, its database's fingerprint, and the real objects of unit A it holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

# The text every object of unit A carries, so that a test can see whether any of it reached someone else.
MARKER = "甲单位机密-7f3c"


def created_id(response: httpx.Response) -> int:
    """The id of a record a world's setup created, failing loudly if it was not created."""
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _column_signature(column: Any) -> ColumnElement | None:
    """An aggregate that moves when any value of the column changes in a way a request could cause."""
    kind = column.type
    if isinstance(kind, Boolean):
        return func.sum(cast(column, Integer))
    if isinstance(kind, (Integer, Numeric)):
        return func.sum(column)
    if isinstance(kind, (DateTime, Date)):
        return func.max(column)
    if isinstance(kind, JSON):
        return func.sum(func.length(cast(column, String)))
    if isinstance(kind, String):
        return func.sum(func.length(column))
    return func.count(column)


def _table_signature(table: Table) -> ColumnElement:
    parts = [func.count(), *filter(lambda p: p is not None, map(_column_signature, table.c))]
    as_text = [func.coalesce(cast(part, String), "-") for part in parts]
    return select(reduce(lambda a, b: a + literal("|") + b, as_text)).select_from(table).scalar_subquery()


def fingerprint_query(metadata: MetaData):
    """One round trip that sums up every table: its row count and an aggregate of each column.

    Cheaper than hashing every row (the catalogue takes hundreds of fingerprints); an insert or a delete moves
    the count, an update moves a version, a timestamp, a flag, a number or a text length."""
    return select(*(_table_signature(t).label(t.name) for t in metadata.sorted_tables))


@dataclass
class World:
    """A started app on its own database, and the ids of real objects of unit A in it, by parameter name."""

    service: str
    client: TestClient
    metadata: MetaData
    ids: dict[str, Any]
    unit_a: int
    unit_b: int
    _query: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._query = fingerprint_query(self.metadata)

    def fingerprint(self) -> dict[str, str]:
        """Each table's signature; equal before and after a request that changed nothing."""

        async def read() -> dict[str, str]:
            async with self.client.app.state.database.read() as conn:
                return dict((await conn.execute(self._query)).mappings().one())

        return self.client.portal.call(read)

    def call(self, op: Any, headers: dict[str, str]) -> httpx.Response:
        """Send `op` (a contract Operation) on unit A's objects, with an empty JSON body where it takes one."""
        return self.client.request(
            op.method, op.url(self.ids), headers=headers, **({"json": {}} if op.body_schema is not None else {})
        )

    @contextmanager
    def changing_nothing(self) -> Iterator[None]:
        """A block of requests that must all be refused: the database is the same after it as before."""
        before = self.fingerprint()
        yield
        after = self.fingerprint()
        changed = sorted(name for name in before if before[name] != after[name])
        assert not changed, f"refused requests changed {changed}"

    def request_changing_nothing(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request that must be refused, and check that the database is as it was (reads are not checked:
        GET is safe by contract, and the catalogue's time goes on the writes)."""
        if method == "GET":
            return self.client.request(method, url, **kwargs)
        with self.changing_nothing():
            response = self.client.request(method, url, **kwargs)
        return response
