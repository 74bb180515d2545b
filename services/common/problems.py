"""RFC 9457 problem documents: one small exception tree and the handlers that render it."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.field_errors import FieldError, FieldErrorEntry, field_error
from services.common.json import JsonObject, dumps
from services.common.language import LANGUAGE, language_headers
from services.common.messages import BUSINESS_RULE, english_title, localise

logger = logging.getLogger("duban")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://duban.quzhou.gov.cn/problems/"


class Problem(BaseModel):
    """An RFC 9457 problem document (错误说明)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://duban.quzhou.gov.cn/problems/not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "Item 42 does not exist.",
                    "instance": "/v1/items/42",
                }
            ]
        }
    )

    type: str = Field(
        "about:blank", description="URI identifying the problem type: one of the error codes in ProblemType."
    )
    title: str = Field(description="Short, human-readable summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(None, description="Explanation specific to this occurrence.")
    instance: str | None = Field(None, description="The request path the problem occurred on.")
    errors: list[FieldError] | None = Field(None, description="Invalid inputs, for validation problems.")


class ProblemError(Exception):
    """An error that knows its HTTP status and renders itself as a problem document."""

    status: int = 500
    slug: str = "internal-error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


class BadRequest(ProblemError):
    status = 400
    slug = "bad-request"


class Unauthorized(ProblemError):
    status = 401
    slug = "unauthorized"


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"


class NotFound(ProblemError):
    status = 404
    slug = "not-found"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"


class PreconditionFailed(ProblemError):
    status = 412
    slug = "precondition-failed"


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"


class Unprocessable(ProblemError):
    """A business rule refused the input; `errors` names it (`at`, else the body), as for invalid input."""

    status = 422
    slug = "unprocessable"

    def __init__(self, detail: str, *, at: tuple[str | int, ...] = ("body",), **extra: Any) -> None:
        extra.setdefault("errors", [field_error(at, detail, BUSINESS_RULE)])
        super().__init__(detail, **extra)


class PreconditionRequired(ProblemError):
    status = 428
    slug = "precondition-required"


class ServiceUnavailable(ProblemError):
    status = 503
    slug = "service-unavailable"


class GatewayTimeout(ProblemError):
    status = 504
    slug = "gateway-timeout"


# The exception classes' own codes (a code per status), which also name the problems raised without one.
_CLASSES: tuple[type[ProblemError], ...] = (
    *(BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, PayloadTooLarge),
    *(UnsupportedMediaType, Unprocessable, PreconditionRequired, ServiceUnavailable, GatewayTimeout, ProblemError),
)
# Every problem type the services answer with: the error codes of the contract (its ProblemType).
# Slugs passed to problem_response directly are listed here too; a test finds any that is not.
PROBLEM_SLUGS = tuple(
    sorted(
        {error.slug for error in _CLASSES}
        | {
            "method-not-allowed",
            "validation-error",
            "not-ready",
            "uri-too-long",
            "request-header-fields-too-large",
            "bad-idempotency-key",
            "bad-gateway",
            "too-many-requests",  # from the gateway (deploy/nginx/duban.conf.template), per token
            "idempotency-key-reused",
            "idempotency-key-in-flight",
            "idempotency-key-outcome-unknown",
            "no-mapped-group",  # single sign-on (services/common/sso.py): the person's groups grant no role
            "unknown-department",  # single sign-on: a unit role whose department is linked to no unit
        }
    )
)
PROBLEM_TYPES = ("about:blank", *(PROBLEM_TYPE_BASE + slug for slug in PROBLEM_SLUGS))


def problem_response(
    status: int,
    detail: str | None,
    *,
    request: Request | None = None,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Render a problem document, in the caller's language; the one place every error leaves the services through."""
    slug = slug or status_slug(status)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title or english_title(slug) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
    body.update({k: v for k, v in extra.items() if v is not None})
    localise(body, slug, LANGUAGE.get())
    headers = {**(headers or {}), **language_headers()}
    return Response(_bounded(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


MAX_ERRORS = 50
MAX_PROBLEM_BYTES = 8192
_MAX_TEXT = 500  # characters of one detail or message: a hostile input echoed back is cut, not reflected whole


def _bounded(body: dict[str, Any]) -> bytes:
    """The encoded problem, at most MAX_ERRORS errors and MAX_PROBLEM_BYTES: a hostile input can make thousands of
    errors (or one huge one), and the answer must not grow with it. The detail says how many were left out."""
    encoded = dumps(body)
    if len(encoded) <= MAX_PROBLEM_BYTES and len(body.get("errors") or ()) <= MAX_ERRORS:
        return encoded
    errors = [{**e, "message": _cut(e.get("message"))} if isinstance(e, dict) else e for e in body.get("errors") or ()]
    body = {**body, "detail": _cut(body.get("detail"))}
    kept = errors[:MAX_ERRORS]
    while True:
        omitted = len(errors) - len(kept)
        note = f" ({omitted} more errors not shown)" if omitted else ""
        encoded = dumps({**body, "detail": (body["detail"] or "") + note, **({"errors": kept} if errors else {})})
        if len(encoded) <= MAX_PROBLEM_BYTES or not kept:
            return encoded
        kept = kept[: len(kept) // 2]


def _cut(text: Any) -> Any:
    return text[:_MAX_TEXT] + "…" if isinstance(text, str) and len(text) > _MAX_TEXT else text


# Every status has a code: no problem leaves as about:blank.
_STATUS_SLUGS = {error.status: error.slug for error in _CLASSES} | {405: "method-not-allowed"}


def status_slug(status: int) -> str:
    """The code of a problem raised without one: its status's (a 4xx without its own is a bad request)."""
    return _STATUS_SLUGS.get(status, "bad-request" if status < 500 else "internal-error")


async def _handle_problem(request: Request, exc: ProblemError) -> Response:
    return problem_response(exc.status, exc.detail, request=request, slug=exc.slug, headers=exc.headers, **exc.extra)


async def _handle_http(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem_response(
        exc.status_code,
        detail,
        request=request,
        slug=status_slug(exc.status_code),
        headers=getattr(exc, "headers", None),
    )


def _field_error(error: dict[str, Any]) -> FieldErrorEntry:
    location = tuple(str(p) if not isinstance(p, int) else p for p in error.get("loc", ()))
    return field_error(location, error.get("msg", "invalid"), error.get("type", "value_error"))


async def _handle_validation(request: Request, exc: RequestValidationError) -> Response:
    errors = [_field_error(e) for e in exc.errors()]
    first = errors[0] if errors else None
    where = ".".join(str(p) for p in first["location"]) if first else "request"
    detail = f"{where}: {first['message']}" if first else "The request is invalid."
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem_response(
        422, detail, request=request, slug="validation-error", title="Invalid request", errors=errors
    )


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500, "An unexpected error occurred; it has been logged.", request=request, slug="internal-error"
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of the app, expected or not, an RFC 9457 document."""
    app.add_exception_handler(ProblemError, _handle_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _handle_http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _handle_validation)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _handle_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, JsonObject]:
    """The `responses=` entry that puts problem documents for these statuses into the contract."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
