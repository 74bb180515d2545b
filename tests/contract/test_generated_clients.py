"""The contract is consumable: a standard generator (datamodel-code-generator) makes typed models of each
committed file without a warning, and the models it makes import and read the services' documents."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from services.contract import CONTRACT_DIR, SERVICES

GENERATOR = Path(sys.executable).parent / "datamodel-codegen"


def generate(service: str, output: Path) -> subprocess.CompletedProcess[str]:
    """Run the generator as a front-end or a municipal system would, with the options pinned."""
    return subprocess.run(
        [
            str(GENERATOR),
            "--input",
            str(CONTRACT_DIR / f"{service}.json"),
            "--input-file-type",
            "openapi",
            "--output-model-type",
            "pydantic_v2.BaseModel",
            "--target-python-version",
            "3.11",
            "--formatters",
            "builtin",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves generic models through the module registry
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=SERVICES)
def generated(request, tmp_path_factory) -> tuple[str, subprocess.CompletedProcess[str], Path]:
    service = request.param
    output = tmp_path_factory.mktemp("generated") / f"{service}_models.py"
    return service, generate(service, output), output


def test_the_generator_succeeds_without_warnings(generated):
    service, run, _ = generated
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip() == "", f"openapi/{service}.json: {run.stderr}"


def test_the_generated_models_import_and_read_a_problem_document(generated):
    service, run, output = generated
    assert run.returncode == 0, run.stderr
    models = load(output, f"generated_{service}_models")
    example = json.loads((CONTRACT_DIR / f"{service}.json").read_text(encoding="utf-8"))["components"]["schemas"][
        "Problem"
    ]["examples"][0]
    problem = models.Problem.model_validate(example)
    assert problem.status == example["status"]
    assert problem.type == models.ProblemType(example["type"])
