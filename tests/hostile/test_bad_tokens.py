"""Operations behind a bearer token refuse forged, expired, foreign and unsigned tokens: 401, nothing changed.

Every kind of bad token is sent to every write operation; every guarded operation, reads too, refuses no token.

RFC 8725: an allow-list of algorithms (never `none`), a verified signature, and `exp`, `iss`, `aud` checked.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from services.common.auth import mint_token
from services.tasks_api.settings import TasksSettings
from tests.hostile.contract import every
from tests.problems import assert_problem

GUARDED = every(lambda op: not op.is_public)
GUARDED_WRITES = [op for op in GUARDED if op.is_write]
SETTINGS = TasksSettings(environment="test")  # the three services share the JWT settings


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "intruder",
        "role": "admin",
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        **changes,
    }


def _b64(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _unsigned() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."


def _tampered() -> str:
    """A genuine viewer token whose claims were rewritten to admin, keeping the viewer's signature."""
    header, _, signature = mint_token(SETTINGS, role="viewer").split(".")
    return f"{header}.{_b64(_claims())}.{signature}"


BAD_TOKENS = {
    "garbage": lambda: "not-a-jwt",
    "alg-none": _unsigned,
    "tampered-claims": _tampered,
    "signed-with-another-key": lambda: jwt.encode(_claims(), "someone-elses-secret-" * 3, algorithm="HS256"),
    "expired": lambda: mint_token(SETTINGS, role="admin", ttl_seconds=-120),
    "not-yet-valid": lambda: jwt.encode(_claims(nbf=int(time.time()) + 3600), SETTINGS.jwt_secret, algorithm="HS256"),
    "other-issuer": lambda: jwt.encode(_claims(iss="elsewhere"), SETTINGS.jwt_secret, algorithm="HS256"),
    "other-audience": lambda: jwt.encode(_claims(aud="elsewhere"), SETTINGS.jwt_secret, algorithm="HS256"),
    "without-expiry": lambda: jwt.encode(
        {k: v for k, v in _claims().items() if k != "exp"}, SETTINGS.jwt_secret, algorithm="HS256"
    ),
    "unknown-role": lambda: jwt.encode(_claims(role="superuser"), SETTINGS.jwt_secret, algorithm="HS256"),
    "unit-without-unit": lambda: jwt.encode(_claims(role="unit"), SETTINGS.jwt_secret, algorithm="HS256"),
    "unit-id-true": lambda: jwt.encode(_claims(role="unit", unit_id=True), SETTINGS.jwt_secret, algorithm="HS256"),
    "unit-id-string": lambda: jwt.encode(_claims(role="unit", unit_id="1"), SETTINGS.jwt_secret, algorithm="HS256"),
    "unit-id-float": lambda: jwt.encode(_claims(role="unit", unit_id=1.0), SETTINGS.jwt_secret, algorithm="HS256"),
    "exp-not-a-date": lambda: jwt.encode(_claims(exp="never"), SETTINGS.jwt_secret, algorithm="HS256"),
    "iat-boolean": lambda: jwt.encode(_claims(iat=True), SETTINGS.jwt_secret, algorithm="HS256"),
    # A subject is every change's actor (255 characters): one no column can keep was a 500, or stored a NUL.
    "sub-lone-surrogate": lambda: jwt.encode(_claims(sub="office-\ud800"), SETTINGS.jwt_secret, algorithm="HS256"),
    "sub-nul": lambda: jwt.encode(_claims(sub="office-\x00-x"), SETTINGS.jwt_secret, algorithm="HS256"),
    "sub-over-255": lambda: jwt.encode(_claims(sub="o" * 256), SETTINGS.jwt_secret, algorithm="HS256"),
    "sub-empty": lambda: jwt.encode(_claims(sub=""), SETTINGS.jwt_secret, algorithm="HS256"),
}


@pytest.mark.parametrize("op", GUARDED_WRITES, ids=str)
def test_every_kind_of_bad_token_is_401_and_changes_nothing(world, op):
    w = world(op.service)
    with w.changing_nothing():
        for kind, token in BAD_TOKENS.items():
            response = w.call(op, {"Authorization": f"Bearer {token()}"})
            assert_problem(response, 401, case=f"a token {kind}:")
            assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("op", GUARDED, ids=str)
def test_no_token_is_401_and_changes_nothing(world, op):
    w = world(op.service)
    response = w.request_changing_nothing(
        op.method, op.url(w.ids), **({"json": {}} if op.body_schema is not None else {})
    )
    assert_problem(response, 401)
