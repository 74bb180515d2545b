"""Who may read the interactive docs and the contract a service serves (settings.docs).

In production they are off unless the operator puts them behind a token: the contract names every
operation and field, which helps an attacker map the API, while `openapi/` in the repository serves
the teams that build on it.
"""

from __future__ import annotations

from typing import TypedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.auth import CHALLENGE, REFUSAL, REFUSED_TOKEN
from services.common.context import scope_principal
from services.common.problems import problem_response
from services.common.settings import DocsAccess

DOCS_PATHS = {"docs_url": "/docs", "redoc_url": "/redoc", "openapi_url": "/openapi.json"}


class DocsUrls(TypedDict):
    """FastAPI's docs_url, redoc_url and openapi_url: None turns one off."""

    docs_url: str | None
    redoc_url: str | None
    openapi_url: str | None


def docs_urls(access: DocsAccess) -> DocsUrls:
    """The docs URLs for this access: all off, or all at DOCS_PATHS."""
    if access is DocsAccess.OFF:
        return DocsUrls(docs_url=None, redoc_url=None, openapi_url=None)
    return DocsUrls(
        docs_url=DOCS_PATHS["docs_url"], redoc_url=DOCS_PATHS["redoc_url"], openapi_url=DOCS_PATHS["openapi_url"]
    )


class DocsTokenGuard:
    """With docs behind a token, the docs paths answer only a caller with a valid bearer token (any role)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths = frozenset(DOCS_PATHS.values()) | {"/docs/oauth2-redirect"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The caller was resolved by context.RequestContextMiddleware, which runs before this guard.
        if scope["type"] == "http" and scope["path"] in self.paths and scope_principal(scope) is None:
            state = scope.get("state") or {}
            if REFUSAL in state:
                refusal = problem_response(401, REFUSED_TOKEN, slug="unauthorized", headers=CHALLENGE)
            else:
                refusal = problem_response(401, "A bearer token is required to read the docs.", slug="unauthorized")
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
