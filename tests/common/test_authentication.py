"""Bearer JWTs: what is refused, and why."""

import time

import jwt
import pytest

from services.common.settings import DEVELOPMENT_SECRET
from services.tasks_api.settings import TasksSettings

CLAIMS = {"sub": "someone", "role": "admin", "iss": "duban", "aud": "duban"}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def signed(claims, key=DEVELOPMENT_SECRET, algorithm="HS256"):
    now = int(time.time())
    return jwt.encode({"iat": now, "nbf": now, "exp": now + 600, **claims}, key, algorithm=algorithm)


def refused(response):
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    return response.json()["detail"]


def test_request_without_token_is_401(tasks_client):
    assert "required" in refused(tasks_client.get("/v1/plans"))


def test_health_checks_need_no_token(tasks_client):
    assert tasks_client.get("/healthz").status_code == 200
    assert tasks_client.get("/readyz").json()["status"] == "ready"


def test_the_liveness_probe_answers_under_kubernetes_name_livez_too(tasks_client):
    assert tasks_client.get("/livez").json() == {"status": "ok"}


def test_expired_token_is_401_and_only_the_log_says_why(tasks_client, caplog):
    now = int(time.time())
    token = jwt.encode({**CLAIMS, "iat": now - 100, "exp": now - 10}, DEVELOPMENT_SECRET, algorithm="HS256")
    with caplog.at_level("INFO", logger="duban.auth"):
        assert (
            refused(tasks_client.get("/v1/plans", headers=bearer(token))) == "The bearer token is missing or not valid."
        )
    assert "expired" in caplog.text


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "unit", "unit_id": True},
        {"role": "unit", "unit_id": "7"},
        {"role": "unit", "unit_id": 7.0},
        {"role": "unit", "unit_id": 2**40},
        {"role": "unit", "unit_id": 0},
        {"exp": "tomorrow"},
        {"exp": True},
        {"exp": 1e30},
        {"iat": True},
        {"iat": "now"},
        {"nbf": [1]},
        {"nbf": False},
        {"role": ["admin"]},
        {"role": {"admin": 1}},
    ],
    ids=lambda claims: repr(claims),
)
def test_a_claim_of_the_wrong_type_is_401_not_accepted(tasks_client, claims):
    refused(tasks_client.get("/v1/plans", headers=bearer(signed({**CLAIMS, **claims}))))


def test_token_signed_with_another_key_is_401(tasks_client):
    refused(tasks_client.get("/v1/plans", headers=bearer(signed(CLAIMS, key="another-key-" * 4))))


def test_unsigned_alg_none_token_is_401(tasks_client):
    token = jwt.encode({**CLAIMS, "exp": int(time.time()) + 600}, key=None, algorithm="none")
    refused(tasks_client.get("/v1/plans", headers=bearer(token)))


def test_token_for_another_audience_is_401(tasks_client):
    refused(tasks_client.get("/v1/plans", headers=bearer(signed({**CLAIMS, "aud": "elsewhere"}))))


def test_token_from_another_issuer_is_401(tasks_client):
    refused(tasks_client.get("/v1/plans", headers=bearer(signed({**CLAIMS, "iss": "someone-else"}))))


def test_token_with_unknown_role_is_401(tasks_client):
    refused(tasks_client.get("/v1/plans", headers=bearer(signed({**CLAIMS, "role": "mayor"}))))


def test_unit_token_without_its_unit_is_401(tasks_client):
    refused(tasks_client.get("/v1/plans", headers=bearer(signed({**CLAIMS, "role": "unit"}))))


def test_garbage_token_is_401(tasks_client):
    refused(tasks_client.get("/v1/plans", headers=bearer("not.a.jwt")))


@pytest.mark.parametrize("role", ["viewer", "unit", "service"])
def test_roles_other_than_office_cannot_register_a_plan(tasks_client, auth, role):
    response = tasks_client.post(
        "/v1/plans",
        json={"key": "p", "title": "t", "starts_on": "2019-01-01", "ends_on": "2025-12-31"},
        headers=auth(role, unit_id=1),
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert tasks_client.get("/v1/plans", headers=auth("admin")).json()["data"] == []


def test_production_settings_refuse_the_development_secret():
    with pytest.raises(ValueError, match="TASKS_API_JWT_SECRET"):
        TasksSettings(environment="production")


def test_settings_refuse_the_none_algorithm():
    with pytest.raises(ValueError, match="none"):
        TasksSettings(jwt_algorithms=["HS256", "none"])
