"""In production the services may trust an OpenID Connect issuer through its JWKS instead of a shared secret."""

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.common.auth import mint_token
from services.tasks_api.app import create_app
from tests.conftest import serve_in_thread, tasks_settings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(_request):
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return JSONResponse({"keys": [{**public, "kid": "city-idp-1", "use": "sig", "alg": "RS256"}]})


@pytest.fixture(scope="module")
def issuer():
    with serve_in_thread(Starlette(routes=[Route("/jwks.json", jwks)])) as url:
        yield f"{url}/jwks.json"


@pytest.fixture
def client(tasks_database, issuer):
    settings = tasks_settings(tasks_database).model_copy(
        update={"oidc_jwks_url": issuer, "jwt_algorithms": ["RS256"], "jwt_issuer": "https://idp.quzhou.gov.cn"}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client, settings


def idp_token(**claims):
    now = int(time.time())
    body = {
        "sub": "zhang.san",
        "role": "viewer",
        "iss": "https://idp.quzhou.gov.cn",
        "aud": "duban",
        "iat": now,
        "exp": now + 300,
        **claims,
    }
    return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": "city-idp-1"})


def test_a_token_signed_by_the_city_issuer_is_accepted(client):
    test_client, _ = client
    response = test_client.get("/v1/plans", headers={"Authorization": f"Bearer {idp_token()}"})
    assert response.status_code == 200


def test_a_locally_minted_token_is_refused_when_the_issuer_is_trusted(client):
    test_client, settings = client
    local = mint_token(settings, role="admin")
    assert test_client.get("/v1/plans", headers={"Authorization": f"Bearer {local}"}).status_code == 401


def test_a_token_with_an_unknown_key_id_is_refused(client):
    test_client, _ = client
    token = jwt.encode(
        {"sub": "x", "role": "admin", "aud": "duban", "iss": "https://idp.quzhou.gov.cn", "exp": int(time.time()) + 60},
        rsa.generate_private_key(65537, 2048),
        algorithm="RS256",
        headers={"kid": "forged"},
    )
    assert test_client.get("/v1/plans", headers={"Authorization": f"Bearer {token}"}).status_code == 401
