"""The signing keys of the city's OpenID Connect issuer, fetched from its JWKS URL and kept.

Fetched with httpx's async client on the event loop, so a slow or dead issuer never holds a thread or the loop.
The keys are fetched on the first token, again once they are older than `oidc_jwks_max_age_seconds`, and again
when a token names a key id not in the set (the issuer rotated its keys) — but never more often than once per
`oidc_jwks_refresh_seconds`: tokens with made-up key ids cannot turn duban into a flood against the issuer.
Concurrent requests that need a fetch share one. A failed fetch keeps the keys already held.
"""

from __future__ import annotations

import logging
import math

import anyio
import httpx
import jwt

from services.common import clock
from services.common.cookieless import CookielessClient
from services.common.settings import ServiceSettings

logger = logging.getLogger("duban.auth")

MAX_KEYS = 16  # an issuer publishes two or three (the current one and the next); more is not a key set
MAX_JWKS_BYTES = 256 * 1024


class JwksCache:
    """The issuer's signing keys by key id, for the event loop only."""

    def __init__(self, settings: ServiceSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = settings.oidc_jwks_url
        self._refresh_after = settings.oidc_jwks_refresh_seconds
        self._max_age = settings.oidc_jwks_max_age_seconds
        self._timeout = settings.oidc_jwks_timeout_seconds
        self._transport = transport
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -math.inf  # the last attempt, successful or not: the rate limit counts both
        self._lock = anyio.Lock()
        self.fetches = 0

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The signing key a token's header names, fetching the set when it is old or lacks that key; else None."""
        if self._age() >= self._max_age:
            await self._refresh()
        found = self._find(kid)
        if found is None and self._age() >= self._refresh_after:
            await self._refresh()
            found = self._find(kid)
        return found

    def _age(self) -> float:
        return clock.epoch_seconds() - self._fetched_at

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        return self._keys.get(kid) if kid else None  # an issuer's token names its key; one that does not is refused

    async def _refresh(self) -> None:
        seen = self._fetched_at
        async with self._lock:
            if self._fetched_at != seen:  # another request fetched while this one waited
                return
            self._fetched_at = clock.epoch_seconds()
            self.fetches += 1
            try:
                self._keys = await self._fetch()
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                logger.warning("JWKS fetch from %s failed, keeping %d keys: %s", self.url, len(self._keys), exc)

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        async with CookielessClient(transport=self._transport, timeout=self._timeout) as client:
            response = await client.get(self.url, headers={"Accept": "application/json"})
        response.raise_for_status()
        if len(response.content) > MAX_JWKS_BYTES:
            raise ValueError(f"the key set is over {MAX_JWKS_BYTES} bytes")
        keys = jwt.PyJWKSet.from_dict(response.json()).keys
        signing = [k for k in keys if k.public_key_use in (None, "sig") and k.key_id][:MAX_KEYS]
        return {k.key_id: k for k in signing if k.key_id is not None}
