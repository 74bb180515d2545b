"""The city issuer's signing keys: fetched without blocking, kept, fetched again when the issuer rotates them, and
never fetched more than once per refresh interval however many unknown key ids arrive."""

import json
from datetime import UTC, datetime, timedelta

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.common import clock
from services.common.jwks import JwksCache
from services.tasks_api.settings import TasksSettings

URL = "https://idp.quzhou.gov.cn/realms/zwfw/protocol/openid-connect/certs"
START = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


class Issuer:
    """A JWKS endpoint on an httpx MockTransport that counts its fetches; `kids` are the keys it publishes."""

    def __init__(self, *kids: str) -> None:
        self.kids = list(kids)
        self.fetches = 0
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return httpx.Response(200, json={"keys": [{**public, "kid": kid, "use": "sig"} for kid in self.kids]})

    def cache(self, **settings: float) -> JwksCache:
        config = TasksSettings(environment="test", oidc_jwks_url=URL, **settings)
        return JwksCache(config, transport=httpx.MockTransport(lambda request: self.handle(request)))


def key_ids(cache: JwksCache, *kids: str, at: datetime = START) -> list[str | None]:
    """The key id of the key the cache finds for each of `kids`, asked one after the other at the instant `at`."""

    async def ask() -> list[str | None]:
        return [None if (key := await cache.key(kid)) is None else key.key_id for kid in kids]

    with clock.frozen(at):
        return anyio.run(ask)


def test_the_first_token_fetches_the_key_set_and_later_ones_reuse_it():
    issuer = Issuer("city-2026")
    assert key_ids(issuer.cache(), "city-2026", "city-2026", "city-2026") == ["city-2026"] * 3
    assert issuer.fetches == 1


def test_a_key_the_issuer_rotated_in_is_found_by_fetching_the_set_again():
    issuer = Issuer("city-2026")
    cache = issuer.cache(oidc_jwks_refresh_seconds=60)
    key_ids(cache, "city-2026")
    issuer.kids.append("city-2027")
    assert key_ids(cache, "city-2027", at=START + timedelta(seconds=61)) == ["city-2027"]
    assert issuer.fetches == 2


def test_an_unknown_key_id_is_still_unknown_after_the_refresh_it_caused():
    issuer = Issuer("city-2026")
    assert key_ids(issuer.cache(oidc_jwks_refresh_seconds=0), "city-2026", "forged") == ["city-2026", None]
    assert issuer.fetches == 2


def test_unknown_key_ids_within_the_refresh_interval_fetch_nothing_more():
    issuer = Issuer("city-2026")
    assert key_ids(issuer.cache(oidc_jwks_refresh_seconds=60), "forged-1", "forged-2", "forged-3") == [None] * 3
    assert issuer.fetches == 1


def test_keys_older_than_their_maximum_age_are_fetched_again():
    issuer = Issuer("city-2026")
    cache = issuer.cache(oidc_jwks_max_age_seconds=3600)
    key_ids(cache, "city-2026")
    key_ids(cache, "city-2026", at=START + timedelta(hours=1))
    assert issuer.fetches == 2


def test_requests_arriving_together_share_one_fetch():
    issuer = Issuer("city-2026")
    cache = issuer.cache()
    found: list[str | None] = []
    answer = issuer.handle

    async def slowly(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.05)  # the others arrive while the first fetch is on the wire
        return answer(request)

    issuer.handle = slowly  # type: ignore[assignment,method-assign]

    async def ask() -> None:
        key = await cache.key("city-2026")
        found.append(key and key.key_id)

    async def together() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(ask)

    anyio.run(together)
    assert (found, issuer.fetches) == (["city-2026"] * 5, 1)


@pytest.mark.parametrize("answer", [httpx.Response(503), httpx.Response(200, text="<html>")], ids=["down", "garbled"])
def test_a_failed_fetch_keeps_the_keys_already_held(answer):
    issuer = Issuer("city-2026")
    cache = issuer.cache(oidc_jwks_max_age_seconds=60)
    key_ids(cache, "city-2026")
    issuer.handle = lambda _request: answer  # type: ignore[method-assign]
    assert key_ids(cache, "city-2026", at=START + timedelta(minutes=2)) == ["city-2026"]
