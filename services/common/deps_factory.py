"""The dependencies every service's deps.py declares: what the app built at start-up, reached one way each.

Each service writes its own `Annotated` aliases (`SettingsDep`, `DatabaseDep`, peers) from these functions, so
that a type checker sees the service's own settings class and a route never reaches into `request.app.state`.
Every dependency is `async def`: FastAPI runs a plain `def` one in its thread pool, and that hop costs more than
a list page's query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request

from services.common.db import Database
from services.common.readiness import ReadinessCheck

T = TypeVar("T")
_HELD: dict[Callable[..., Any], str] = {}  # each app_held dependency and its attribute (services/common/list_route.py)


def app_held(attribute: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency that answers what the app holds as `app.state.<attribute>` (a `kind`)."""

    async def held(request: Request) -> T:
        value: T = getattr(request.app.state, attribute)
        return value

    held.__name__ = f"app_{attribute}"
    held.__qualname__ = held.__name__
    _HELD[held] = attribute
    return held


def held_attribute(call: Callable[..., Any] | None) -> str | None:
    """The `app.state` attribute a dependency made by app_held answers, or None for any other dependency."""
    return _HELD.get(call) if call is not None else None


get_database = app_held("database", Database)
get_readiness = app_held("readiness", ReadinessCheck)


def settings_of(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """The dependency that answers the service's settings, typed as its own settings class."""
    return app_held("settings", kind)
