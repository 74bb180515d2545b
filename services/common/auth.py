"""Bearer JWT authentication and role checks, shared by every service.

Locally minted tokens are HS256 with the service secret; in production the services may
instead trust an OpenID Connect issuer through its JWKS, so that people sign in there. Beside the issuer, a
local token is still accepted for the service role alone: the services' calls to each other carry one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from services.common import clock
from services.common.caching import BoundedCache, lru_cache
from services.common.claims import LIFETIME_BY_US, check_claim_types, lifetime_checked
from services.common.jwks import JwksCache
from services.common.problems import Forbidden, Unauthorized
from services.common.roles import Role as Role  # re-exported: every route names roles through auth
from services.common.settings import ServiceSettings
from services.common.sso import ClaimsMapping

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="duban"'}
REFUSED_TOKEN = "The bearer token is missing or not valid."

logger = logging.getLogger("duban.auth")


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller of a request."""

    subject: str
    role: Role
    unit_id: int | None = None

    @property
    def is_staff(self) -> bool:
        """Office and admin see and manage everything."""
        return self.role in (Role.ADMIN, Role.OFFICE)

    def scoped_unit(self, unit_id: int | None) -> int | None:
        """The unit a listing is restricted to: a unit token sees only its own unit's rows (403 for another's)."""
        if self.role is not Role.UNIT:
            return unit_id
        if unit_id not in (None, self.unit_id):
            raise Forbidden("A unit token sees only its own unit's records.")
        return self.unit_id

    def party_to(self, *units: int | None) -> bool:
        """Whether a record of these units (its owner, or the parties to it) is the caller's as far as units go: a
        unit token's when its unit is one of them. Another unit's record is answered 404, as if it did not exist
        (README, Security); every other role passes here, and what it may do is its role's (403 when wrong)."""
        return self.role is not Role.UNIT or self.unit_id in units

    @property
    def own_unit(self) -> int:
        """The caller's own unit, for a unit token (which always names one: see TokenVerifier)."""
        if self.unit_id is None:
            raise Forbidden("The token names no unit.")
        return self.unit_id


_LOCAL_ALGORITHM = "HS256"  # duban's own tokens (mint_token), signed with the service secret


class TokenVerifier:
    """Verifies bearer tokens against the local secret or an OIDC issuer's JWKS."""

    def __init__(self, settings: ServiceSettings, *, jwks_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._jwks = JwksCache(settings, transport=jwks_transport) if settings.oidc_jwks_url else None
        self._mapping = ClaimsMapping.of(settings) if self._jwks else None
        # Verified tokens, by their text, until they expire: a client sends the same token on every request, and
        # decoding and checking it again cost a tenth of a list page. Touched on the event loop only.
        self.verified: BoundedCache[str, tuple[Principal, float]] = lru_cache(
            "verified tokens", settings.token_cache_size
        )

    def cached(self, token: str) -> Principal | None:
        """The caller of a token verified before and not yet expired, or None."""
        found = self.verified.get(token)
        if found is None:
            return None
        if clock.epoch_seconds() >= found[1]:
            self.verified.pop(token)
            return None
        return found[0]

    def verify(self, token: str) -> Principal:
        """The caller of a locally signed token (tests, tools); remembered until it expires."""
        return self.cached(token) or self.remember(token, self.check(token))

    async def resolve(self, token: str) -> Principal:
        """The caller of a token: from the cache, else checked and remembered. The issuer's keys are fetched
        asynchronously when needed (jwks.py); the check itself is one signature, quick enough for the loop."""
        principal = self.cached(token)
        return principal if principal is not None else await self.resolve_fresh(token)

    async def resolve_fresh(self, token: str) -> Principal:
        """The caller of a token not in the cache: checked and remembered."""
        key = await _issuer_key(self._jwks, token) if self._jwks and not locally_signed(token) else None
        return self.remember(token, self.check(token, key))

    def remember(self, token: str, checked: tuple[Principal, float]) -> Principal:
        self.verified.put(token, checked)
        return checked[0]

    def check(self, token: str, issuer_key: jwt.PyJWK | None = None) -> tuple[Principal, float]:
        """The caller and expiry of a token, or 401 (403 for an issuer's person duban may not serve)."""
        try:
            claims = self._claims(token, issuer_key)
            check_claim_types(claims)
            expires_at = lifetime_checked(claims)  # an expired token is 401, before any 403 about its groups
            role, unit_id = self._role_and_unit(claims, local=issuer_key is None)
            return Principal(subject=str(claims["sub"]), role=role, unit_id=unit_id), expires_at
        except Unauthorized as exc:
            # The reason is for the operator; the caller learns only that the token was refused, so a forger
            # cannot tell which check it failed.
            logger.info("bearer token refused: %s", exc.detail)
            raise Unauthorized(REFUSED_TOKEN, headers=CHALLENGE) from exc

    def _claims(self, token: str, issuer_key: jwt.PyJWK | None) -> Mapping[str, object]:
        s = self._settings
        # Beside an issuer, a token without one of its keys is checked as a local one (HS256 with the secret only):
        # the services' calls to each other carry those (ServiceToken); _role_and_unit lets nothing else through.
        local = issuer_key is None
        if self._jwks is not None and local and not locally_signed(token):
            raise Unauthorized(f"No key of the issuer's set ({self._jwks.url}) signs this token.")
        # With a mapping, the issuer's tokens carry groups, not duban's role claim.
        required = ["exp", "sub"] if self._mapping and not local else ["exp", "sub", "role"]
        try:
            return jwt.decode(
                token,
                issuer_key.key if issuer_key is not None else s.jwt_secret,
                algorithms=[_LOCAL_ALGORITHM] if self._jwks is not None and local else s.jwt_algorithms,
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                options={"require": required, **LIFETIME_BY_US},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"The token is not valid: {exc}.") from exc

    def _role_and_unit(self, claims: Mapping[str, object], *, local: bool) -> tuple[Role, int | None]:
        if self._mapping is not None and not local:
            return self._mapping.role_and_unit(str(claims["sub"]), claims)
        try:
            role = Role(str(claims["role"]))
        except ValueError as exc:
            raise Unauthorized(f"Unknown role {claims['role']!r} in token.") from exc
        if local and self._jwks is not None and role is not Role.SERVICE:  # people sign in at the issuer
            raise Unauthorized(
                "Beside an identity provider, a locally signed token serves calls between services only."
            )
        if role is not Role.UNIT:
            return role, None
        unit_id = claims.get("unit_id")  # absent, or an int in 1..MAX_UNIT_ID (check_claim_types)
        if not isinstance(unit_id, int):
            raise Unauthorized("A unit token must name its unit (claim unit_id).")
        return role, unit_id


def locally_signed(token: str) -> bool:
    """Whether the token's header says it was signed as duban signs its own (HS256, no key id)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return False
    return header.get("alg") == _LOCAL_ALGORITHM and "kid" not in header


async def _issuer_key(jwks: JwksCache, token: str) -> jwt.PyJWK | None:
    """The key of the issuer's set that the token's header names (None: TokenVerifier.check refuses it)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    return await jwks.key(kid if isinstance(kid, str) else None)


def mint_token(
    settings: ServiceSettings,
    *,
    role: Role | str,
    unit_id: int | None = None,
    subject: str | None = None,
    ttl_seconds: int = 30 * 24 * 3600,
) -> str:
    """A locally signed token, for `duban token create`, tests and calls between services."""
    now = int(clock.epoch_seconds())
    claims: dict[str, object] = {
        "sub": subject or f"{role}-{uuid.uuid4().hex[:8]}",
        "role": str(Role(role)),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }  # no nbf: it would only repeat iat
    if unit_id is not None:
        claims["unit_id"] = unit_id
    return jwt.encode(claims, settings.jwt_secret, algorithm=_LOCAL_ALGORITHM)


def parse_bearer(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer …` header value, or None."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# Where services/common/context.py's middleware leaves the caller of a request, or why its token was refused.
PRINCIPAL = "principal"
REFUSAL = "principal_refusal"


class _DocumentedBearer(HTTPBearer):
    """The bearer scheme as the contract shows it. The token itself is read once per request, by
    context.RequestContextMiddleware, so this dependency reads nothing."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


_bearer_scheme = _DocumentedBearer(
    scheme_name="HTTPBearer",
    auto_error=False,
    bearerFormat="JWT",
    description="A JWT from `duban token create` or the city's OIDC issuer.",
)


async def current_principal(request: Request, _: Annotated[None, Depends(_bearer_scheme)]) -> Principal:
    """FastAPI dependency: the caller the request context resolved, or 401 (403 for a person SSO may not serve)."""
    state = request.scope.get("state") or {}
    principal: Principal | None = state.get(PRINCIPAL)
    if principal is not None:
        return principal
    refusal = state.get(REFUSAL)
    if isinstance(refusal, Forbidden):
        raise refusal
    if refusal is not None:
        raise Unauthorized(REFUSED_TOKEN, headers=CHALLENGE)
    raise Unauthorized("A bearer token is required.", headers=CHALLENGE)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class RoleCheck:
    """The dependency `require_roles` makes: the caller, if their role is one of `allowed`; else 403. A class, so a
    route compiled once (services/common/list_route.py) can run the same check on the caller it already has."""

    def __init__(self, allowed: frozenset[Role]) -> None:
        self.allowed = allowed

    async def __call__(self, principal: PrincipalDep) -> Principal:
        return self.checked(principal)

    def checked(self, principal: Principal) -> Principal:
        if principal.role not in self.allowed:
            names = ", ".join(sorted(r.value for r in self.allowed))
            raise Forbidden(f"This operation needs one of the roles: {names}; the token has {principal.role}.")
        return principal


def require_roles(*roles: Role) -> RoleCheck:
    """Dependency factory: the caller, if their role is one of `roles` (or admin); else 403."""
    return RoleCheck(frozenset(roles) | {Role.ADMIN})


Staff = Annotated[Principal, Depends(require_roles(Role.OFFICE))]
Writer = Annotated[Principal, Depends(require_roles(Role.OFFICE, Role.UNIT))]
ServiceCaller = Annotated[Principal, Depends(require_roles(Role.SERVICE))]  # another service of ours, not a person


class ServiceToken:
    """The bearer token this service presents to its peers, re-minted before it expires."""

    def __init__(self, settings: ServiceSettings, *, ttl_seconds: int = 3600) -> None:
        self._settings = settings
        self._ttl = ttl_seconds
        self._token = ""
        self._renew_at = 0.0

    def __call__(self) -> str:
        if clock.epoch_seconds() >= self._renew_at:
            self._token = mint_token(
                self._settings, role=Role.SERVICE, subject=self._settings.service_name, ttl_seconds=self._ttl
            )
            self._renew_at = clock.epoch_seconds() + self._ttl / 2
        return self._token
