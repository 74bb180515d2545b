"""The committed OpenAPI contract in openapi/ is exactly what the code serves."""

import pytest

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
