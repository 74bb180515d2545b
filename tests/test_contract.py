"""The committed OpenAPI contract in openapi/ is exactly what the code serves, and it is complete: tags,
security, examples that fit their schemas, descriptions, and the shared components the same in every file."""

import json
import re

import pytest
from jsonschema_rs import Draft202012Validator

from services.common.problems import PROBLEM_SLUGS
from services.common.settings import REPO_ROOT
from services.contract import CONTRACT_DIR, generated, service_apps


@pytest.mark.parametrize("service", list(service_apps()))
def test_committed_contract_matches_the_app(service):
    committed = (CONTRACT_DIR / f"{service}.json").read_text(encoding="utf-8")
    assert committed == generated(service), f"openapi/{service}.json is stale: run `make openapi` and commit it"


@pytest.mark.parametrize("service", list(service_apps()))
def test_every_operation_has_an_id_a_summary_and_documents_problems(service):
    schema = service_apps()[service]().openapi()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("operationId"), f"{method} {path} has no operationId"
            assert operation.get("summary"), f"{method} {path} has no summary"
            problems = [r for status, r in operation["responses"].items() if status[0] in "45"]
            assert problems, f"{method} {path} documents no error response"
            for response in problems:
                assert "application/problem+json" in response.get("content", {}), f"{method} {path}"


# -- the contract is complete (read from the committed files, as consumers read it) ---------------------------

SERVICES = list(service_apps())
SHARED_COMPONENTS = ("FieldError", "Id", "NextCursor", "PeriodId", "Problem", "ProblemType")


def committed(service: str) -> dict:
    return json.loads((CONTRACT_DIR / f"{service}.json").read_text(encoding="utf-8"))


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def documents(operation: dict):
    """Each JSON or text document an operation takes or answers with (files excepted), by where it is."""
    sides = {"request": operation.get("requestBody", {}).get("content", {})}
    sides.update(
        {
            f"response {status}": response.get("content", {})
            for status, response in operation["responses"].items()
            if status.startswith("2")
        }
    )
    for side, content in sides.items():
        for media_type, media in content.items():
            if media.get("schema", {}).get("format") != "binary":
                yield f"{side} {media_type}", media


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_is_tagged(service):
    untagged = [name for name, operation in operations(committed(service)) if not operation.get("tags")]
    assert untagged == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_states_its_security_and_names_only_declared_schemes(service):
    document = committed(service)
    declared = set(document["components"].get("securitySchemes", {}))
    for name, operation in operations(document):
        assert "security" in operation, f"{name} does not say how it is authenticated"
        named = {scheme for requirement in operation["security"] for scheme in requirement}
        assert named <= declared, f"{name} names undeclared schemes {named - declared}"


@pytest.mark.parametrize("service", SERVICES)
def test_only_health_probes_are_open_to_anyone(service):
    open_operations = [name for name, operation in operations(committed(service)) if operation["security"] == []]
    assert open_operations == ["GET /healthz", "GET /livez", "GET /readyz"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_body_and_response_document_has_an_example(service):
    missing = [
        f"{name}: {where}"
        for name, operation in operations(committed(service))
        for where, media in documents(operation)
        if "example" not in media and "examples" not in media
    ]
    assert missing == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_json_example_is_valid_against_its_schema(service):
    document = committed(service)
    for name, operation in operations(document):
        for where, media in documents(operation):
            if "json" in where and "example" in media:
                validator = Draft202012Validator(
                    {**media["schema"], "components": document["components"]}, validate_formats=True
                )
                errors = [
                    f"{'.'.join(map(str, e.instance_path))}: {e.message}"
                    for e in validator.iter_errors(media["example"])
                ]
                assert errors == [], f"{name} {where} example"


@pytest.mark.parametrize("service", SERVICES)
def test_every_schema_is_described(service):
    schemas = committed(service)["components"]["schemas"]
    assert [name for name, schema in schemas.items() if not schema.get("description")] == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_field_is_described(service):
    schemas = committed(service)["components"]["schemas"]
    undescribed = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, definition in schema.get("properties", {}).items()
        if not definition.get("description")
    ]
    assert undescribed == []


@pytest.mark.parametrize("component", SHARED_COMPONENTS)
def test_shared_components_are_identical_in_every_contract(component):
    renderings = {
        service: json.dumps(committed(service)["components"]["schemas"][component], ensure_ascii=False)
        for service in SERVICES
    }
    assert len(set(renderings.values())) == 1, renderings


def test_every_problem_type_the_code_answers_with_is_a_published_error_code():
    used = set()
    for source in (REPO_ROOT / "services").rglob("*.py"):
        used |= set(re.findall(r'slug="([a-z-]+)"', source.read_text(encoding="utf-8")))
        used |= set(re.findall(r'_subclass\("\w+", \d+, "([a-z-]+)"\)', source.read_text(encoding="utf-8")))
    assert used and used <= set(PROBLEM_SLUGS), used - set(PROBLEM_SLUGS)


@pytest.mark.parametrize("service", SERVICES)
def test_every_contract_names_its_servers_and_a_semver_version_that_is_its_apps(service):
    contract = committed(service)
    assert [server["url"] for server in contract["servers"]] == ["/"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", contract["info"]["version"])
    assert contract["info"]["version"] == service_apps()[service]().version


def test_every_list_answers_a_page_with_data_and_next_cursor():
    """No list answers a bare array: versions and histories are pages like every other list (the plan's tree is
    one document, not a list)."""
    for service in SERVICES:
        for path, operations in committed(service)["paths"].items():
            answer = operations.get("get", {}).get("responses", {}).get("200", {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("type") == "array":
                assert path == "/v1/plans/{plan_id}/tree", f"{service} {path} answers a bare array"
