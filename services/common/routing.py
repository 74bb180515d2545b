"""The router every service's API is built from: versioned, strict about query fields, documented errors."""

from fastapi import APIRouter, Depends, Response

from services.common.etag import set_etag
from services.common.guards import (reject_numbers_beyond_storage, reject_unknown_query_parameters,
                                    require_json_for_json_bodies)
from services.common.problems import problem_responses


def api_router(*tags: str) -> APIRouter:
    """A /v1 router whose operations refuse unknown query fields, numbers beyond storage and bodies that are not
    JSON where they take JSON, and document the common problems."""
    guards = (reject_unknown_query_parameters, reject_numbers_beyond_storage, require_json_for_json_bodies)
    return APIRouter(prefix="/v1", tags=list(tags), responses=problem_responses(400, 401, 403, 422),
                     dependencies=[Depends(guard) for guard in guards])


READ_ERRORS = problem_responses(404)
WRITE_ERRORS = problem_responses(404, 409)
GUARDED_WRITE_ERRORS = problem_responses(404, 409, 412, 428)


def created(response: Response, record: dict, location: str) -> dict:
    """Mark a response as 201 Created at `location`, with the new record's ETag."""
    response.status_code = 201
    response.headers["Location"] = location
    if "version" in record:
        set_etag(response, record["version"])
    return record


def current(response: Response, record: dict) -> dict:
    """A single record with its ETag."""
    set_etag(response, record["version"])
    return record
