"""Verified tokens are remembered until they expire, and never longer."""

import time

import jwt
import pytest

from services.common.auth import Role, TokenVerifier
from services.common.problems import ProblemError
from services.common.settings import DEVELOPMENT_SECRET
from services.tasks_api.settings import TasksSettings

CLAIMS = {"sub": "someone", "role": "unit", "unit_id": 7, "iss": "duban", "aud": "duban"}


def signed(lifetime_seconds: int) -> str:
    now = int(time.time())
    return jwt.encode(
        {"iat": now, "nbf": now, "exp": now + lifetime_seconds, **CLAIMS}, DEVELOPMENT_SECRET, algorithm="HS256"
    )


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(TasksSettings(environment="test"))


def test_a_token_verified_once_is_answered_from_the_cache(verifier, monkeypatch):
    token = signed(600)
    first = verifier.verify(token)
    monkeypatch.setattr(jwt, "decode", lambda *args, **kwargs: pytest.fail("decoded a cached token again"))
    assert verifier.verify(token) == first
    assert (first.role, first.unit_id) == (Role.UNIT, 7)


def test_a_cached_token_past_its_expiry_is_refused(verifier, monkeypatch):
    token = signed(600)
    verifier.verify(token)
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)

    def decode_later(*args, **kwargs):  # what PyJWT answers for this token 601 s from now
        raise jwt.ExpiredSignatureError("Signature has expired")

    monkeypatch.setattr(jwt, "decode", decode_later)
    with pytest.raises(ProblemError) as refused:
        verifier.verify(token)
    assert refused.value.status == 401
    assert verifier.cached(token) is None


def test_the_cache_keeps_only_the_most_recently_used_tokens():
    verifier = TokenVerifier(TasksSettings(environment="test", token_cache_size=2))
    tokens = [signed(600 + i) for i in range(3)]
    for token in tokens:
        verifier.verify(token)
    assert verifier.cached(tokens[0]) is None
    assert all(verifier.cached(token) is not None for token in tokens[1:])
