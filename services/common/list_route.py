"""List routes: a list page's everyday request answered by a handler compiled once from the route's own declaration.

FastAPI (0.165) inspects every parameter's annotation again on every request: for a list page with ten query
parameters, solving them costs a fifth of the request's CPU, more than its query. A `ListRoute` is an ordinary
route (same path, parameters, contract, middleware, exception handlers and tests) whose handler, built at start-up
from the route's dependant, reads a plain request itself: every parameter given once, known, in its one canonical
text form (`12`, `2025-06-30`, `true`, an enum's value) and valid for its field (checked by a pydantic adapter of
the field's own annotation), a caller the request context resolved, and dependencies it knows how to answer (the
database, the caller and a check of its role; the router guards, whose every refusal a plain request cannot meet).
Anything else goes to FastAPI's own handler, which answers it exactly as before: a refusal, a 422, a 401.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Annotated, Any, cast, get_args

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.types import Receive, Scope, Send

from services.common.auth import PRINCIPAL, RoleCheck, current_principal
from services.common.deps_factory import held_attribute
from services.common.guards import check_request_shape, outside_storage
from services.common.pagination import plain_query_pairs
from services.common.wire_types import reject_converted_inputs

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Resolver = Callable[[Request], Any]  # a dependency's value for a plain request

# The one text form of a value of each type that a plain request may carry; any other goes to FastAPI's handler.
_CANONICAL: dict[type, re.Pattern[str]] = {
    int: re.compile(r"0|-?[1-9][0-9]{0,18}"),
    date: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    bool: re.compile(r"true|false"),
}
_GUARDS = (check_request_shape, reject_converted_inputs)  # the router's: a plain request passes them by construction


@dataclass(frozen=True, slots=True)
class _Parameter:
    """A path or query parameter: the endpoint's argument name, its key in the request, its text form and field."""

    name: str
    key: str
    shape: re.Pattern[str] | None
    adapter: TypeAdapter[Any]
    is_int: bool

    def value(self, text: str) -> Any:
        """The validated value; ValueError when the text is not plain (FastAPI's handler then judges it)."""
        if self.shape is not None and not self.shape.fullmatch(text):
            raise ValueError(text)
        value = self.adapter.validate_strings(text) if self.shape is not None else self.adapter.validate_python(text)
        if self.is_int and value is not None and outside_storage(self.key, value):  # the guards' 404 or 422
            raise ValueError(text)
        return value


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to call the endpoint for a plain request."""

    path: tuple[_Parameter, ...]
    query: Mapping[str, _Parameter]
    required: frozenset[str]
    resolvers: Mapping[str, Resolver]
    request_name: str | None

    def arguments(self, request: Request) -> dict[str, object] | None:
        """The endpoint's arguments, or None when the request is not plain."""
        if request.scope.get("state", {}).get(PRINCIPAL) is None:  # no caller, or a refused one: the route's 401
            return None
        if request.app.dependency_overrides:  # a test replaced a dependency: FastAPI's handler applies it
            return None
        try:
            found = {p.name: p.value(request.path_params[p.key]) for p in self.path}
            pairs = plain_query_pairs(request.scope["query_string"])
            if pairs is None:
                pairs = request.query_params.multi_items()
            for key, text in pairs:
                parameter = self.query[key]  # KeyError: a parameter the route does not take
                found[parameter.name] = parameter.value(text)
        except (KeyError, ValueError, ValidationError):
            return None
        if len(found) != len(self.path) + len(pairs) or not self.required <= found.keys():
            return None  # a parameter given twice, or a required one missing
        for name, resolve in self.resolvers.items():  # a loop, not a generator resumed per dependency
            found[name] = resolve(request)
        if self.request_name:
            found[self.request_name] = request
        return found


class ListRoute(APIRoute):
    """An APIRoute for a list page (GET, endpoint returning a Response) with the plain-request handler above.

    A plain GET is answered by `handle` itself: FastAPI's per-request wrapping of a route (two exit stacks for
    dependencies with yield, which a plain request has none of, and a second pass of the exception handlers) is
    skipped, and whatever the endpoint raises goes to the app's ExceptionMiddleware, whose handlers are the same
    (the same problem document). Anything else is handled by FastAPI as before."""

    def get_route_handler(self) -> Handler:
        full = super().get_route_handler()
        plan = self.plain = compile_plan(self.dependant)
        endpoint: Callable[..., Awaitable[Response]] = self.endpoint

        async def handler(request: Request) -> Response:
            arguments = plan.arguments(request)
            if arguments is None:
                return await full(request)
            return await endpoint(**arguments)

        return handler

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            request = Request(scope, receive, send)
            arguments = self.plain.arguments(request)
            if arguments is not None:
                response: Response = await self.endpoint(**arguments)
                await response(scope, receive, send)
                return
        await super().handle(scope, receive, send)


def compile_plan(dependant: Dependant) -> _Plan:
    """The plan of a route's dependant; TypeError at start-up for a dependency this module cannot answer."""
    resolvers: dict[str, Resolver] = {}
    for dependency in dependant.dependencies:
        if dependency.call in _GUARDS:
            continue
        resolve = _resolver(dependency)
        if dependency.name is None or resolve is None:
            raise TypeError(f"A ListRoute cannot answer the dependency {dependency.call!r} of {dependant.call!r}")
        resolvers[dependency.name] = resolve
    if dependant.header_params or dependant.cookie_params or dependant.body_params:
        raise TypeError(f"A ListRoute reads only path and query parameters ({dependant.call!r})")
    query = {field.alias: _parameter(field) for field in dependant.query_params}
    required = frozenset(field.name for field in dependant.query_params if field.field_info.is_required())
    path = tuple(_parameter(field) for field in dependant.path_params)
    return _Plan(path, query, required, resolvers, dependant.request_param_name)


def _resolver(dependency: Dependant) -> Resolver | None:
    if dependency.call is current_principal:
        return lambda request: request.scope["state"][PRINCIPAL]
    if isinstance(check := dependency.call, RoleCheck):  # its 403 raised as the dependency raises it
        return lambda request: check.checked(request.scope["state"][PRINCIPAL])
    attribute = held_attribute(dependency.call)
    if attribute is not None:
        return lambda request: getattr(request.app.state, attribute)
    return None


def _parameter(field: Any) -> _Parameter:
    info = field.field_info
    kind = _base_type(info.annotation)
    shape = _CANONICAL.get(kind)
    if issubclass(kind, Enum):
        shape = re.compile("|".join(re.escape(member.value) for member in kind))
    annotated = cast(Any, Annotated)[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(annotated)
    return _Parameter(field.name, field.alias, shape, adapter, kind is int)


def _base_type(annotation: Any) -> type:
    """`int` of `int | None`; a str or an enum class as it is."""
    arguments = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    base = arguments[0]
    if len(arguments) != 1 or not isinstance(base, type):
        raise TypeError(f"A ListRoute takes parameters of one plain type, not {annotation!r}")
    return base
