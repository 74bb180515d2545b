"""The contract makes a working Python client: openapi-python-client (pinned in contract-lint/python-tools.txt, its
own venv made by tools/contract-lint.sh) generates a package from each committed file without a warning, the package
imports, and every example the contract shows reads into its generated model and writes back unchanged."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from services.common.problems import PROBLEM_TYPE_BASE
from services.common.settings import REPO_ROOT
from services.contract import CONTRACT_DIR, SERVICES

GENERATOR = REPO_ROOT / "contract-lint" / ".pyvenv" / "bin" / "openapi-python-client"
CONFIG = REPO_ROOT / "contract-lint" / "python-client.yaml"

pytestmark = pytest.mark.skipif(
    not GENERATOR.exists(), reason="the pinned generator is installed by tools/contract-lint.sh (run in .ci/run)"
)


def package_name(service: str) -> str:
    return f"duban_{service}_client"


def generate(service: str, parent: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(CONTRACT_DIR / f"{service}.json"),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(parent / package_name(service)),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module", params=SERVICES)
def client(request, tmp_path_factory) -> tuple[str, subprocess.CompletedProcess[str], Path]:
    service = request.param
    parent = tmp_path_factory.mktemp("python_client")
    return service, generate(service, parent), parent


def load(service: str, parent: Path) -> ModuleType:
    sys.path.insert(0, str(parent))
    try:
        return importlib.import_module(f"{package_name(service)}.models")
    finally:
        sys.path.remove(str(parent))


def shown_examples(contract: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, component name, example) for each JSON example of a request or response whose schema is a model."""
    for path, item in contract["paths"].items():
        for method, operation in item.items():
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(f"response {status}", answer) for status, answer in operation["responses"].items()]
            for label, body in bodies:
                media = body.get("content", {}).get("application/json", {})
                reference = media.get("schema", {}).get("$ref", "")
                if "example" in media and reference:
                    yield f"{method.upper()} {path} {label}", reference.rsplit("/", 1)[1], media["example"]


def model_named(models: ModuleType, component: str) -> type:
    wanted = re.sub(r"[^a-z0-9]", "", component.lower())
    by_name = {re.sub(r"[^a-z0-9]", "", name.lower()): getattr(models, name) for name in models.__all__}
    return by_name[wanted]


def test_the_generator_succeeds_without_warnings(client):
    service, run, _ = client
    assert run.returncode == 0, run.stdout + run.stderr
    assert "WARNING" not in run.stdout + run.stderr, f"openapi/{service}.json: {run.stdout}{run.stderr}"


def test_every_operation_gets_a_client_function(client):
    service, run, parent = client
    assert run.returncode == 0, run.stdout + run.stderr
    contract = json.loads((CONTRACT_DIR / f"{service}.json").read_text(encoding="utf-8"))
    operations = {op["operationId"] for item in contract["paths"].values() for op in item.values()}
    generated = {module.stem for module in (parent / package_name(service) / "api").rglob("*.py")}
    assert operations - generated == set()


def test_every_example_round_trips_through_the_generated_models(client):
    service, run, parent = client
    assert run.returncode == 0, run.stdout + run.stderr
    models = load(service, parent)
    contract = json.loads((CONTRACT_DIR / f"{service}.json").read_text(encoding="utf-8"))
    examples = list(shown_examples(contract))
    assert examples, f"openapi/{service}.json shows no example"
    for where, component, example in examples:
        model = model_named(models, component)
        assert model.from_dict(example).to_dict() == example, where


def load_package(service: str, parent: Path, module: str) -> ModuleType:
    sys.path.insert(0, str(parent))
    try:
        return importlib.import_module(f"{package_name(service)}.{module}")
    finally:
        sys.path.remove(str(parent))


def answering(service: str, parent: Path, status: int, media_type: str, body: bytes) -> Any:
    """A generated client whose every request is answered with this response."""
    client = load_package(service, parent, "client")

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Content-Type": media_type}, content=body)

    return client.AuthenticatedClient(
        base_url="http://reporting.test", token="t", httpx_args={"transport": httpx.MockTransport(answer)}
    )


def test_the_generated_client_reads_the_ledger_csv_as_text(client):
    service, _run, parent = client
    if service != "reporting_api":
        pytest.skip("the ledger is reporting_api's")
    csv = "事项编号,单位\r\n（三）1,市发改委\r\n".encode()
    download = load_package(service, parent, "api.ledger.export_ledger_csv")
    answered = download.sync(plan_id=1, period="2026-Q1", client=answering(service, parent, 200, "text/csv", csv))
    assert answered == csv.decode()


def test_the_generated_models_read_a_problem_type_added_later(client):
    service, _run, parent = client
    problem = {"type": f"{PROBLEM_TYPE_BASE}a-code-added-later", "title": "Teapot", "status": 418}
    assert model_named(load(service, parent), "Problem").from_dict(problem).to_dict() == problem
