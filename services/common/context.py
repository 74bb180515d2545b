"""The request context: who the caller is, resolved once per request, before anything else asks.

`RequestContextMiddleware` is the only place a bearer token is verified (starlette's AuthenticationMiddleware
shape: one backend resolves credentials into the scope). It reads the verifier's cache first; a token not seen
before is checked on the loop, with the local key or an OIDC issuer's key (its JWKS fetched asynchronously when
needed, services/common/jwks.py). It refuses nothing itself: it writes the caller, or why the token was refused,
into `scope["state"]`, and `PrincipalDep` (auth.current_principal), the idempotency middleware and the docs guard
read that, so a request answers 401 (or SSO's 403) exactly where and as it did before (after the guards that come
first in a route).
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.auth import PRINCIPAL, REFUSAL, Principal, TokenVerifier, parse_bearer
from services.common.problems import Forbidden, Unauthorized


class RequestContextMiddleware:
    """Pure ASGI: puts the verified caller (or the refusal) of each HTTP request into `scope["state"]`."""

    def __init__(self, app: ASGIApp, *, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: the caller of a token verified before is set, and the request handed on, without a frame
        # of this layer, which every await of the request would pass through again.
        if scope["type"] == "http":
            token = bearer_token(scope)
            if token is not None:
                principal = self.verifier.cached(token)
                if principal is None:
                    return self._verifying(token, scope, receive, send)
                scope.setdefault("state", {})[PRINCIPAL] = principal
        return self.app(scope, receive, send)

    async def _verifying(self, token: str, scope: Scope, receive: Receive, send: Send) -> None:
        """A token not verified before (or expired from the cache): checked, then the request handed on."""
        state = scope.setdefault("state", {})
        try:
            state[PRINCIPAL] = await self.verifier.resolve_fresh(token)
        except (Unauthorized, Forbidden) as refused:
            state[REFUSAL] = refused
        await self.app(scope, receive, send)


def bearer_token(scope: Scope) -> str | None:
    """The token of the request's first Authorization header, when it is a Bearer one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return parse_bearer(value.decode("latin-1"))
    return None


def scope_principal(scope: Scope) -> Principal | None:
    """The caller the middleware resolved, or None (no token, or a refused one)."""
    state = scope.get("state")
    return state.get(PRINCIPAL) if state else None
