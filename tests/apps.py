"""Apps for the tests' fixtures, each built once per worker for its settings and handed out to each test as new.

Building an app (its routes' dependants, the route index) costs 0.1-0.25 s of CPU, more than most tests spend on
their requests, and the suites build one per test on each database. So the fixtures take an idle app built for
equal settings, returned by an earlier test, and make it as create_app left it: the state create_app set (the
token verifier, the sealing box, the caches and memos) deep-copied from a copy taken before the app first served,
together with the middleware options that share those objects; the middleware stack rebuilt from them (fresh
middleware instances); no dependency override. The lifespan (database, peer clients, jobs) runs per test client,
as before. An app in use is never handed out again: a test that starts two apps with equal settings gets two.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import MetaData, Table
from starlette.datastructures import State
from starlette.middleware import Middleware

IDLE_BOUND = 12  # idle apps kept per worker; a few settings variants are common, the rest are built each time


@dataclass
class _Built:
    """An app and what create_app made it, before any test touched it."""

    create: Callable[..., FastAPI]
    settings: BaseModel
    app: FastAPI
    pristine: tuple[dict[str, Any], list[tuple[Any, tuple[Any, ...], dict[str, Any]]]] = field(init=False)

    def __post_init__(self) -> None:
        middleware = [(m.cls, tuple(m.args), dict(m.kwargs)) for m in self.app.user_middleware]
        self.pristine = _copied((dict(self.app.state._state), middleware))

    def as_new(self) -> FastAPI:
        state, middleware = _copied(self.pristine)
        app = self.app
        app.state = State(state)  # a new State: setting its _state would only add a key named so
        app.user_middleware = [Middleware(cls, *args, **kwargs) for cls, args, kwargs in middleware]
        app.middleware_stack = None  # rebuilt from user_middleware on the first request
        app.dependency_overrides.clear()
        return app


def _copied(value: Any) -> Any:
    """A deep copy, sharing the schema objects (tables, metadata): definitions, not state."""
    state, _ = value
    memo: dict[int, Any] = {id(v): v for v in state.values() if isinstance(v, Table | MetaData)}
    return copy.deepcopy(value, memo)


_idle: list[_Built] = []


@contextmanager
def app_as_new(create: Callable[..., FastAPI], settings: BaseModel) -> Iterator[FastAPI]:
    """create(settings), or an idle app built by it for equal settings made as new; idle again afterwards."""
    found = next((b for b in _idle if b.create is create and b.settings == settings), None)
    if found is None:
        found = _Built(create, settings, create(settings))
    else:
        _idle.remove(found)
    yield found.as_new()
    _idle.append(found)
    del _idle[:-IDLE_BOUND]
