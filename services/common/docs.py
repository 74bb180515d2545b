"""The interactive docs and the contract a service serves, and who may read them (settings.docs).

Swagger UI and ReDoc come from the service itself: their scripts, styles and icon are the files the fastapi-offline
package ships, served at /docs/assets, so the docs work on an intranet with no way out (FastAPI's own pages load
them from a CDN). Behind the one origin (services/gateway.py, or nginx) a service answers under a prefix it does not
see in its paths; the gateway names it in `X-Forwarded-Prefix` (or an ASGI server in `root_path`), and the pages,
their assets and the contract's `servers` follow it, so "Try it out" calls /tasks/v1/... through the same origin.

In production they are off unless the operator puts them behind a token: the contract names every
operation and field, which helps an attacker map the API, while `openapi/` in the repository serves
the teams that build on it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypedDict

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.auth import CHALLENGE, REFUSAL, REFUSED_TOKEN
from services.common.context import scope_principal
from services.common.problems import Forbidden, problem_response
from services.common.settings import DocsAccess

DOCS_PATHS = {"docs_url": "/docs", "redoc_url": "/redoc", "openapi_url": "/openapi.json"}


class DocsUrls(TypedDict):
    """FastAPI's docs_url, redoc_url and openapi_url: None turns one off."""

    docs_url: str | None
    redoc_url: str | None
    openapi_url: str | None


# FastAPI's own pages load their scripts from a CDN and know only root_path: install_docs serves them instead.
FASTAPI_DOCS_OFF = DocsUrls(docs_url=None, redoc_url=None, openapi_url=None)
ASSETS_PATH = "/docs/assets"
ASSETS = Path(fastapi_offline.__file__).parent / "static"  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
# At most four plain path segments: a prefix is echoed into a page and the contract, so nothing else is believed.
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]{1,40}){1,4}")
# Swagger UI's default asks validator.swagger.io about the contract: a request leaving the intranet.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None, "deepLinking": True, "displayRequestDuration": True}


def mounted_prefix(request: Request) -> str:
    """Where the caller reaches this service: its ASGI root_path, else the proxy's X-Forwarded-Prefix, else ''."""
    root_path: str = request.scope.get("root_path", "").rstrip("/")
    if root_path:
        return root_path
    forwarded = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    return forwarded if _PREFIX.fullmatch(forwarded) else ""


def install_docs(app: FastAPI, access: DocsAccess) -> None:
    """Serve the contract, Swagger UI and ReDoc, with their assets, unless the docs are off."""
    if access is DocsAccess.OFF:
        return

    async def contract(request: Request) -> JSONResponse:
        document = app.openapi()
        prefix = mounted_prefix(request)
        return JSONResponse({**document, "servers": [{"url": prefix}]} if prefix else document)

    async def swagger_ui(request: Request) -> HTMLResponse:
        prefix = mounted_prefix(request)
        return get_swagger_ui_html(
            openapi_url=prefix + DOCS_PATHS["openapi_url"],
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{prefix}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{prefix}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{prefix}{ASSETS_PATH}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    async def redoc(request: Request) -> HTMLResponse:
        prefix = mounted_prefix(request)
        return get_redoc_html(
            openapi_url=prefix + DOCS_PATHS["openapi_url"],
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{prefix}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{prefix}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route(DOCS_PATHS["openapi_url"], contract, include_in_schema=False)
    app.add_route(DOCS_PATHS["docs_url"], swagger_ui, include_in_schema=False)
    app.add_route(DOCS_PATHS["redoc_url"], redoc, include_in_schema=False)
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")


class DocsTokenGuard:
    """With docs behind a token, the docs paths answer only a caller with a valid bearer token (any role)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths = frozenset(DOCS_PATHS.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The caller was resolved by context.RequestContextMiddleware, which runs before this guard.
        if scope["type"] == "http" and scope["path"] in self.paths and scope_principal(scope) is None:
            state = scope.get("state") or {}
            refused = state.get(REFUSAL)
            if isinstance(refused, Forbidden):  # a person the city's sign-on names but duban may not serve
                refusal = problem_response(403, refused.detail, slug=refused.slug)
            elif refused is not None:
                refusal = problem_response(401, REFUSED_TOKEN, slug="unauthorized", headers=CHALLENGE)
            else:
                refusal = problem_response(401, "A bearer token is required to read the docs.", slug="unauthorized")
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
