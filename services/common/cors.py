"""CORS for a front end served from another origin (settings.cors_origins), by Starlette's CORSMiddleware.

Added only when origins are configured: a service without them pays nothing per request. The headers a page may
send and read are the ones the API speaks (deploy/nginx/duban.conf.template answers with the same lists in production).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from services.common.settings import ServiceSettings

ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-ID",
)
# Without these a page's script cannot read them: the ETag that If-Match needs, the next page, the new record.
EXPOSED_HEADERS = ("ETag", "Link", "Location", "Retry-After", "Idempotent-Replayed", "X-Request-ID")
PREFLIGHT_MAX_AGE_SECONDS = 600


def add_cors(app: FastAPI, settings: ServiceSettings) -> None:
    """Answer CORS for the configured origins, outside every other layer (a preflight carries no token)."""
    if not settings.cors_origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
