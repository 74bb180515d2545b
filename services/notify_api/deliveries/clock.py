"""Instants as the deliverer keeps them: always aware and in UTC.

SQLite stores DateTime(timezone=True) without an offset, so every instant is written in UTC and a
naive value read back is UTC; PostgreSQL hands back aware values. Either way callers see aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import RowMapping

from services.common import clock
from services.common.clock import SHANGHAI


def utc(value: datetime) -> datetime:
    """`value` in UTC; a naive value read from the database is already UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_user(value: datetime) -> datetime:
    """An instant a person typed: naive means Beijing time (the plan's time zone), as the offices read clocks."""
    return value.replace(tzinfo=SHANGHAI).astimezone(UTC) if value.tzinfo is None else value.astimezone(UTC)


def now_utc() -> datetime:
    return clock.now()


R = TypeVar("R")


def aware_row(row: Mapping[str, Any] | RowMapping, shape: type[R]) -> R:
    """A database row as a plain dict of the `shape` (a repository's TypedDict row) with its instants made aware
    UTC, so both backends answer alike."""
    return cast(R, {k: utc(v) if isinstance(v, datetime) else v for k, v in row.items()})
