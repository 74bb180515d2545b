"""Where SQLModel's typing falls short: a table model's Core `Table`, and the type of a model's config."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

# SQLModel declares `model_config` as this TypedDict (pydantic's ConfigDict plus `table` and `registry`) but defines it
# in a private module; our models build their config with it so that it matches. It is a ConfigDict too.
from sqlmodel._compat import SQLModelConfig

__all__ = ["SQLModelConfig", "table_of"]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a `table=True` model. SQLModel sets `__table__` on the class at run time but does not
    declare it, so `Model.__table__` is untyped to the checker; the services reach their tables through here."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
