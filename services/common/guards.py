"""Request guards every service applies before routing: body size, media type, NUL characters, unknown query fields."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, NaiveDatetime, TypeAdapter, ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.field_errors import field_error
from services.common.problems import BadRequest, NotFound, Unprocessable, UnsupportedMediaType, problem_response
from services.common.streaming import replay_body, streams_body
from services.common.strict_json import BodyFault, body_fault, unsupported_date

JSON_TYPES = ("application/json", "application/merge-patch+json")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
MAX_HEADERS = 100  # uvicorn bounds the head's bytes (services/common/server.py); this bounds their count
MAX_TARGET_BYTES = 8192  # the path and query, as nginx's default buffers allow
MAX_STORED_INT = 2**31 - 1  # PostgreSQL's integer, the type of the id columns
_IDS_FROM_ZERO = frozenset({"owner_id"})  # a contact's owner: 0 is the office (notify_api contacts)
# PostgreSQL text cannot hold U+0000: a NUL would fail deep inside a query (500) there, and be stored on SQLite.
# In JSON it can only arrive escaped, as \u0000 after an even number of backslashes.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_MAYBE_DATE = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}|[%\x80-\xff]")  # a date, or digits encoded or of other scripts


class RequestGuardMiddleware:
    """Refuses bodies over the size limit (413) and bodies of media types the API does not take (415)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, extra_media_types: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.media_types = JSON_TYPES + extra_media_types

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: a request without a body is handed on without a frame of this layer (idempotency.py).
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        if (refusal := _target_refusal(scope)) is not None:
            return refusal(scope, receive, send)
        if scope["method"] not in _BODY_METHODS or streams_body(scope):  # a streamed body is bounded by its route
            return self.app(scope, receive, send)
        return self._bounded(scope, receive, send)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if (refusal := self._head_refusal(headers.get("content-length"), media_type)) is not None:
            return await refusal(scope, receive, send)
        body = await self._buffered_body(receive)
        if body is None:  # the client went away
            return
        if len(body) > self.max_body_bytes:
            return await self._too_large()(scope, receive, send)
        if (refusal := self._body_refusal(body, media_type)) is not None:
            return await refusal(scope, receive, send)
        await self.app(scope, replay_body(body), send)

    def _head_refusal(self, length: str | None, media_type: str) -> Response | None:
        """413 when the declared length is over the limit, 415 for a media type the API does not take."""
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return self._too_large()
        if media_type and media_type not in self.media_types and not media_type.endswith("+json"):
            allowed = ", ".join(self.media_types)
            return problem_response(
                415, f"Content-Type {media_type!r} is not accepted here; send {allowed}.", slug="unsupported-media-type"
            )
        return None

    async def _buffered_body(self, receive: Receive) -> bytes | None:
        """The (bounded) body, buffered so that a chunked upload over the limit is refused before routing.

        Reading stops as soon as the limit is passed (the result is then longer than it); None if the client left."""
        chunks, received = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > self.max_body_bytes or not message.get("more_body"):
                return b"".join(chunks)

    def _body_refusal(self, body: bytes, media_type: str) -> Response | None:
        if media_type not in self.media_types[len(JSON_TYPES) :] and _JSON_NUL.search(body):
            return problem_response(
                422, "Text may not hold the NUL character (\\u0000).", slug="validation-error", title="Invalid request"
            )
        fault = body_fault(body) if media_type in JSON_TYPES or media_type.endswith("+json") or not media_type else None
        return None if fault is None else _fault_response(fault)

    def _too_large(self) -> Response:
        return problem_response(
            413, f"The request body is larger than {self.max_body_bytes} bytes.", slug="payload-too-large"
        )


def _target_refusal(scope: Scope) -> Response | None:
    """431, 414, 400 or 422 for the head and target alone: too many headers, too long, a NUL, a date out of range."""
    if len(scope["headers"]) > MAX_HEADERS:
        return problem_response(
            431, f"More than {MAX_HEADERS} request headers.", slug="request-header-fields-too-large"
        )
    if len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) > MAX_TARGET_BYTES:
        return problem_response(
            414, f"The path and query are longer than {MAX_TARGET_BYTES} bytes.", slug="uri-too-long"
        )
    if _nul_in_target(scope):
        return problem_response(400, "The path or query holds a NUL character (%00).", slug="bad-request")
    if (fault := _query_fault(scope)) is not None:
        return _fault_response(fault)
    return None


def _fault_response(fault: BodyFault) -> Response:
    where = ".".join(str(part) for part in fault.path)
    status, slug = (400, "bad-request") if fault.kind == "duplicate_key" else (422, "validation-error")
    errors = [field_error(tuple(fault.path), fault.message, fault.kind)]
    return problem_response(status, f"{where}: {fault.message}", slug=slug, title="Invalid request", errors=errors)


def _query_fault(scope: Scope) -> BodyFault | None:
    """A date in the query outside the supported years (the same bound as in bodies)."""
    query = scope.get("query_string", b"")
    if _MAYBE_DATE.search(query) is None:  # most queries (a period such as 2024-H1 too) are not parsed
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        why = unsupported_date(value)
        if why:
            return BodyFault(("query", name), why, "supported_date")
    return None


def _nul_in_target(scope: Scope) -> bool:
    return "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")


@dataclass(frozen=True, slots=True)
class RouteGuards:
    """What the router guards check of one route, read from its signature once (at start-up, prepare_guards),
    not by walking its dependency tree on every request."""

    query_aliases: frozenset[str]  # every query field the operation declares, its dependencies' included
    int_path: tuple[str, ...]  # integer path fields: beyond storage names no record (404)
    int_query: tuple[str, ...]  # integer query fields: beyond storage is invalid (422)
    date_query: tuple[str, ...]  # date query fields, which must be ISO text (wire_types)
    json_body: bool  # the operation takes a JSON body model
    body_model: type[BaseModel] | None  # the pydantic model the body holds, checked for JSON types (wire_types)

    @classmethod
    def of(cls, route: APIRoute) -> RouteGuards:
        query = list(_all_query_params(route.dependant))
        return cls(
            query_aliases=frozenset(field.alias for field in query),
            int_path=tuple(field.alias for field in route.dependant.path_params if _takes_int(field)),
            int_query=tuple(field.alias for field in query if _takes_int(field)),
            date_query=tuple(field.alias for field in query if declared_kind(field.field_info.annotation) is date),
            json_body=route.body_field is not None,
            body_model=model_of(getattr(route.body_field, "field_info", None)),
        )


_GUARDS = "duban_guards"


def route_guards(route: object) -> RouteGuards | None:
    """The guards of a FastAPI route, computed the first time (prepare_guards does it for every route at start-up)."""
    if not isinstance(route, APIRoute):
        return None
    guards: RouteGuards | None = route.__dict__.get(_GUARDS)
    if guards is None:
        guards = RouteGuards.of(route)
        setattr(route, _GUARDS, guards)
    return guards


def prepare_guards(routes: Iterable[object]) -> None:
    """Compute every route's guards once, before the first request."""
    for route in routes:
        route_guards(route)


async def reject_unknown_query_parameters(request: Request) -> None:
    """Router dependency: a query field the operation does not declare is an error, not silently ignored."""
    guards = route_guards(request.scope.get("route"))
    if guards is not None:
        _refuse_unknown_query(guards, request)


async def check_request_shape(request: Request) -> None:
    """Router dependency: unknown query fields (400), numbers beyond storage (404 in the path, 422 in the query)
    and bodies that are not JSON where the operation takes JSON (415), in that order."""
    guards = route_guards(request.scope.get("route"))
    if guards is None:
        return
    if request.scope.get("query_string"):
        _refuse_unknown_query(guards, request)
    _refuse_numbers_beyond_storage(guards, request)
    if guards.json_body:
        _require_json(request)


def _refuse_unknown_query(guards: RouteGuards, request: Request) -> None:
    unknown = sorted(set(request.query_params) - guards.query_aliases)
    if unknown:
        raise BadRequest(f"Unknown query parameter(s): {', '.join(unknown)}.")


def _require_json(request: Request) -> None:
    """An operation whose body is a JSON model refuses other media types (415), even one the service takes
    elsewhere (a plan file's YAML, a workbook), rather than failing to read it as JSON (422)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type not in JSON_TYPES and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type {media_type!r} is not accepted here; send application/json.")


def _refuse_numbers_beyond_storage(guards: RouteGuards, request: Request) -> None:
    """An integer path value no id column can hold names no record (404); such a query value is invalid (422).
    Refused here, before the database (which would fail) or a peer is asked."""
    for alias in guards.int_path:
        if _beyond_storage(alias, request.path_params.get(alias)):
            raise NotFound(f"Nothing has {alias} {request.path_params[alias]}.")
    if not guards.int_query or not request.scope.get("query_string"):
        return
    for alias in guards.int_query:
        if _beyond_storage(alias, request.query_params.get(alias)):
            low, high = lowest_stored(alias), MAX_STORED_INT
            raise Unprocessable(f"query.{alias}: a number from {low} to {high} is expected.", at=("query", alias))


def _takes_int(field: ModelField) -> bool:
    annotation = field.field_info.annotation
    return annotation is int or int in get_args(annotation)


def lowest_stored(name: str) -> int:
    """Ids start at 1 (the contract's Id), other integers at the negative of the largest."""
    return 1 if name.endswith("_id") and name not in _IDS_FROM_ZERO else -MAX_STORED_INT


def outside_storage(name: str, value: int) -> bool:
    """Whether the integer parameter `name` holds a value its column cannot (the guards refuse it: 404 or 422)."""
    return not lowest_stored(name) <= value <= MAX_STORED_INT


def _beyond_storage(name: str, raw: str | None) -> bool:
    # Read as the parameter's own validation reads it: pydantic's lax mode takes "12.0" too, which int() refused,
    # so until 2026-12-07 "2147483648.0" went past this guard to the database (PostgreSQL: an error, not a 404).
    try:
        return raw is not None and outside_storage(name, _LAX_INT.validate_python(raw))
    except ValidationError:
        return False  # not a number at all: the parameter's own validation says so


_LAX_INT = TypeAdapter(int)


def _all_query_params(dependant: Dependant) -> Iterator[ModelField]:
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _all_query_params(sub)


# Pydantic's own instants are not datetime subclasses, but it reads a number as seconds since 1970 for them too.
_PYDANTIC_INSTANTS = (AwareDatetime, NaiveDatetime)


def declared_kind(annotation: Any) -> type | None:
    """date (or datetime), bool, int or float when that is the one type a field takes besides null."""
    options = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    kinds = {arg for arg in options if arg is not NoneType}
    kind = kinds.pop() if len(kinds) == 1 else None
    if isinstance(kind, type) and (issubclass(kind, date) or kind in _PYDANTIC_INSTANTS):
        return date
    return kind if kind in (bool, int, float) else None


def model_of(field_info: Any) -> type[BaseModel] | None:
    """The model a body or field holds, alone, optional, in a list or among a list's kinds (a plan file's units:
    list[str | ResponsibleEntry], whose group SQLite stored beyond 32 bits until 2026-12-07)."""
    return _model_in(getattr(field_info, "annotation", None), depth=2)


def _model_in(annotation: Any, depth: int) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if depth and get_origin(annotation) in (Union, UnionType, list):
        return next((m for arg in get_args(annotation) if (m := _model_in(arg, depth - 1)) is not None), None)
    return None
