"""The router every service's API is built from: versioned, strict about query fields, documented errors."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from services.common.etag import set_etag
from services.common.guards import check_request_shape
from services.common.json import JsonObject
from services.common.list_route import ListRoute
from services.common.problems import problem_responses
from services.common.wire_types import reject_converted_inputs

M = TypeVar("M", bound=BaseModel)

# The filter of the lists about items by an item's number as printed (编号), exactly; a plan may number several items
# alike (（一） under each part), so it may match several.
ItemNumber = Annotated[
    str | None,
    Query(min_length=1, max_length=40, description="Only items numbered exactly so (编号, as printed: （一）, 9)."),
]
EndpointT = TypeVar("EndpointT", bound=Callable[..., Awaitable[Response]])


def api_router(*tags: str) -> APIRouter:
    """A /v1 router whose operations refuse unknown query fields, numbers beyond storage, bodies that are not
    JSON where they take JSON and inputs of another JSON type than declared, and document the common problems."""
    # Two dependencies, each reading what services/common/guards.py computed of the route at start-up. The JSON
    # type check depends on the caller (401 before 422); the shape checks come first, as FastAPI's would.
    guards = (check_request_shape, reject_converted_inputs)
    return APIRouter(
        prefix="/v1",
        tags=list(tags),
        responses=problem_responses(400, 401, 403, 422),
        dependencies=[Depends(guard) for guard in guards],
    )


def list_page(router: APIRouter, path: str, **options: Any) -> Callable[[EndpointT], EndpointT]:
    """`@router.get(path, ...)` for a list page whose endpoint returns a Response: the route is a ListRoute, whose
    plain requests skip FastAPI's per-request parameter solving (services/common/list_route.py)."""

    def register(endpoint: EndpointT) -> EndpointT:
        router.add_api_route(path, endpoint, methods=["GET"], route_class_override=ListRoute, **options)
        return endpoint

    return register


READ_ERRORS = problem_responses(404)
WRITE_ERRORS = problem_responses(404, 409)
GUARDED_WRITE_ERRORS = problem_responses(404, 409, 412, 428)


def links_to_created(
    id_parameter: str, *, read: Sequence[str] = (), guarded: Sequence[str] = ()
) -> dict[int | str, JsonObject]:
    """The `responses=` entry of a creating operation: OpenAPI links from its 201 to the operations on the new
    record, reading it, or changing or deleting it with the ETag it came with (clients and schemathesis follow them)."""
    new_record: JsonObject = {id_parameter: "$response.body#/id"}
    with_etag: JsonObject = {**new_record, "header.If-Match": "$response.header.ETag"}
    links: JsonObject = {operation: {"operationId": operation, "parameters": new_record} for operation in read}
    links |= {operation: {"operationId": operation, "parameters": with_etag} for operation in guarded}
    return {201: {"description": "Created", "links": links}}


def set_created(response: Response, location: str, version: int | None) -> None:
    """Mark a response as 201 Created at `location`, with the new record's ETag where it has a version."""
    response.status_code = 201
    response.headers["Location"] = location
    if version is not None:
        set_etag(response, version)


def created(response: Response, model: type[M], record: Mapping[str, Any], location: str) -> M:
    """The new record as its public model, answered 201 Created at `location` with its ETag."""
    set_created(response, location, record.get("version"))
    return model.model_validate(record)


def current(response: Response, model: type[M], record: Mapping[str, Any]) -> M:
    """A single record as its public model, with its ETag."""
    set_etag(response, record["version"])
    return model.model_validate(record)
