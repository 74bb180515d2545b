"""openapi-typescript's types leave a field optional where the server has a default for it: a front end need not send
what the service fills in. (openapi-typescript marks a field with a `default` required unless told
`--default-non-nullable=false`, which tools/contract-lint.sh passes; this test reads the types it makes.) A field the
answers always carry is in the schema's `required`, so it stays required in the types of the answers."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from services.common.json import JsonObject, json_object
from services.common.settings import REPO_ROOT
from services.contract import CONTRACT_DIR, SERVICES

GENERATOR = REPO_ROOT / "contract-lint" / "node_modules" / ".bin" / "openapi-typescript"
# tools/contract-lint.sh names the directory of the types it generated; without it, this test generates its own.
GENERATED = os.environ.get("DUBAN_TYPESCRIPT_DIR")
FLAGS = ("--default-non-nullable=false",)  # as tools/contract-lint.sh runs it

_SCHEMA = re.compile(r"^ {8}(?P<name>[\w-]+): \{$")
_PROPERTY = re.compile(r"^ {12}\"?(?P<name>[\w$-]+)\"?(?P<optional>\??): ")


def typed_required(typescript: str) -> dict[str, set[str]]:
    """Per component schema of the generated types, the properties declared without `?` (required)."""
    found: dict[str, set[str]] = {}
    schemas, current = False, None
    for line in typescript.splitlines():
        if line == "    schemas: {":
            schemas = True
        elif schemas and line.startswith("    }"):
            break
        elif schemas and (schema := _SCHEMA.match(line)):
            current = found.setdefault(schema["name"], set())
        elif current is not None and (prop := _PROPERTY.match(line)) and not prop["optional"]:
            current.add(prop["name"])
    return found


def defaulted_not_required(contract: JsonObject) -> dict[str, set[str]]:
    """Per schema, the properties with a default that the contract does not mark required."""
    found: dict[str, set[str]] = {}
    for name, schema in json_object(json_object(contract["components"])["schemas"]).items():
        shown = json_object(schema)
        required = set(shown.get("required") or [])  # type: ignore[arg-type]
        properties = json_object(shown.get("properties") or {})
        found[name] = {p for p, field in properties.items() if "default" in json_object(field)} - required
    return found


def offenders(contract: JsonObject, typescript: str) -> list[str]:
    required = typed_required(typescript)
    return sorted(
        f"{schema}.{field}"
        for schema, fields in defaulted_not_required(contract).items()
        for field in fields & required.get(schema, set())
    )


def test_a_defaulted_field_typed_required_is_found():
    contract = {
        "components": {
            "schemas": {
                "PlanCreate": {
                    "required": ["title"],
                    "properties": {"title": {"type": "string"}, "summary": {"type": "string", "default": ""}},
                },
                "PlanPublic": {
                    "required": ["title", "summary"],
                    "properties": {"title": {"type": "string"}, "summary": {"type": "string", "default": ""}},
                },
            }
        }
    }
    typescript = (
        "    schemas: {\n"
        "        PlanCreate: {\n            title: string;\n            summary: string;\n        };\n"
        "        PlanPublic: {\n            title: string;\n            summary: string;\n        };\n"
        "    };\n"
    )
    assert offenders(contract, typescript) == ["PlanCreate.summary"]
    assert (
        offenders(
            contract,
            typescript.replace(
                "summary: string;\n        };\n        PlanPublic", "summary?: string;\n        };\n        PlanPublic"
            ),
        )
        == []
    )


@pytest.mark.skipif(
    GENERATED is None and not GENERATOR.exists(),
    reason="openapi-typescript is installed by tools/contract-lint.sh (npm ci in contract-lint/)",
)
@pytest.mark.parametrize("service", SERVICES)
def test_no_field_the_server_defaults_is_required_in_the_typescript_types(service, tmp_path):
    contract = json.loads((CONTRACT_DIR / f"{service}.json").read_text(encoding="utf-8"))
    output = Path(GENERATED) / f"{service}.ts" if GENERATED else tmp_path / f"{service}.ts"
    if GENERATED is None:
        command = [str(GENERATOR), str(CONTRACT_DIR / f"{service}.json"), *FLAGS, "--output", str(output), "--silent"]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert offenders(contract, output.read_text(encoding="utf-8")) == []
