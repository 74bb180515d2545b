"""The typed way to reach a table model's Core `Table`."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a `table=True` model. SQLModel sets `__table__` on the class at run time but does not
    declare it, so `Model.__table__` is untyped to the checker; the services reach their tables through here."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
