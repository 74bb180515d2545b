"""Single sign-on: a person signed in at the city's identity provider (OpenID Connect) reaches duban with the role
their groups map to and, for a unit role, the unit their department code maps to; anyone else is refused."""

import json
import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.common.auth import mint_token
from services.tasks_api.app import create_app
from services.tasks_api.models import metadata as tasks_metadata
from services.tasks_api.settings import TasksSettings
from tests.conftest import serve_in_thread
from tests.databases import empty_tables

ISSUER = "https://idp.quzhou.gov.cn/realms/zwfw"
CITY_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PROBLEMS = "https://duban.quzhou.gov.cn/problems/"
FGW_UNIT = 7  # the unit id the office linked 市发改委's department code to

MAPPING = {
    "jwt_algorithms": ["RS256"],
    "jwt_issuer": ISSUER,
    "jwt_audience": "duban",
    "oidc_groups_claim": "groups",
    "oidc_department_claim": "dept_code",
    "oidc_group_roles": {"duban-office": "office", "duban-unit": "unit", "duban-reader": "viewer"},
    "oidc_department_units": {"330800-FGW": FGW_UNIT},
}


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, object]:
    return {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig"}


async def jwks(_request: Request) -> JSONResponse:
    return JSONResponse({"keys": [public_jwk(CITY_KEY, "city-2026")]})


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    with serve_in_thread(Starlette(routes=[Route("/protocol/openid-connect/certs", jwks)])) as url:
        yield f"{url}/protocol/openid-connect/certs"


def sso_settings(database_url: str, jwks_url: str, **more: object) -> TasksSettings:
    """tasks_api's test settings, trusting the city's issuer with the mapping above (validated, as from the env)."""
    return TasksSettings(database_url=database_url, environment="test", oidc_jwks_url=jwks_url, **MAPPING, **more)


@pytest.fixture
def client(tasks_database: str, jwks_url: str) -> Iterator[TestClient]:
    empty_tables(tasks_database, tasks_metadata)
    with TestClient(create_app(sso_settings(tasks_database, jwks_url)), raise_server_exceptions=False) as test_client:
        yield test_client


def signed_in(key: rsa.RSAPrivateKey = CITY_KEY, kid: str = "city-2026", **claims: object) -> dict[str, str]:
    """The Authorization header of a token the city's issuer gave 张三 of 市发改委, with `claims` changed."""
    now = int(time.time())
    body = {"sub": "zhangsan", "iss": ISSUER, "aud": "duban", "iat": now, "exp": now + 300, **claims}
    body.setdefault("groups", ["staff"])
    body.setdefault("dept_code", "330800-FGW")
    return {"Authorization": f"Bearer {jwt.encode(body, key, algorithm='RS256', headers={'kid': kid})}"}


def test_a_person_in_the_office_group_acts_as_the_office(client):
    response = client.post(
        "/v1/units",
        json={"name": "市发改委", "kind": "department"},
        headers=signed_in(groups=["staff", "duban-office"]),
    )
    assert response.status_code == 201


def test_a_person_in_the_unit_group_acts_for_the_unit_of_their_department(client):
    auth = signed_in(groups=["duban-unit"], dept_code="330800-FGW")
    assert client.get(f"/v1/extensions?unit_id={FGW_UNIT}", headers=auth).status_code == 200
    other = client.get(f"/v1/extensions?unit_id={FGW_UNIT + 1}", headers=auth)
    assert (other.status_code, other.json()["type"]) == (403, PROBLEMS + "forbidden")


def test_a_unit_person_whose_department_is_not_linked_to_a_unit_is_refused_with_403(client):
    response = client.get("/v1/plans", headers=signed_in(groups=["duban-unit"], dept_code="330800-XXX"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEMS + "unknown-department"
    assert "330800-XXX" in problem["detail"] and "督查室" in problem["detail"]


def test_a_person_whose_groups_map_to_no_role_is_refused_with_403(client):
    response = client.get("/v1/plans", headers=signed_in(groups=["staff", "canteen"]))
    assert (response.status_code, response.json()["type"]) == (
        403,
        PROBLEMS + "no-mapped-group",
    )


def refused(response) -> bool:
    return response.status_code == 401 and response.json()["detail"] == "The bearer token is missing or not valid."


def test_a_token_for_another_audience_is_refused_with_401(client):
    assert refused(client.get("/v1/plans", headers=signed_in(groups=["duban-office"], aud="oa-system")))


def test_a_token_from_another_issuer_is_refused_with_401(client):
    assert refused(client.get("/v1/plans", headers=signed_in(groups=["duban-office"], iss="https://evil.example")))


def test_an_expired_token_is_refused_with_401_before_its_groups_are_judged(client):
    past = int(time.time()) - 600
    auth = signed_in(groups=["canteen"], iat=past - 300, exp=past)
    assert refused(client.get("/v1/plans", headers=auth))


def test_a_token_signed_by_a_key_not_in_the_issuers_set_is_refused_with_401(client):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refused(client.get("/v1/plans", headers=signed_in(forger, kid="city-2027", groups=["duban-office"])))


def test_with_docs_behind_a_token_a_person_sso_refuses_gets_the_same_403(tasks_database, jwks_url):
    with TestClient(create_app(sso_settings(tasks_database, jwks_url, docs="token"))) as docs_client:
        response = docs_client.get("/openapi.json", headers=signed_in(groups=["duban-unit"], dept_code="330800-XXX"))
    assert (response.status_code, response.json()["type"]) == (403, PROBLEMS + "unknown-department")


def test_the_services_own_tokens_still_serve_calls_between_services(client):
    service = mint_token(client.app.state.settings, role="service", subject="reporting_api")
    assert client.get("/v1/units", headers={"Authorization": f"Bearer {service}"}).status_code == 200


def test_a_locally_signed_token_for_a_person_is_refused_beside_the_issuer(client):
    office = mint_token(client.app.state.settings, role="office", subject="someone")
    response = client.get("/v1/units", headers={"Authorization": f"Bearer {office}"})
    assert response.status_code == 401
