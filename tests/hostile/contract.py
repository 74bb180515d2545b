"""The operations of each service, read from its published contract: every hostile case covers new endpoints too."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from services.common.settings import REPO_ROOT

SERVICES = ("tasks_api", "reporting_api", "notify_api")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
BEARER_SCHEMES = {"HTTPBearer"}  # the name FastAPI gives services.common.auth's scheme


@dataclass(frozen=True)
class Operation:
    """One operation of a service's contract."""

    service: str
    method: str
    path: str
    spec: dict[str, Any] = field(compare=False, repr=False)
    schemas: dict[str, Any] = field(compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"\{([^}]+)\}", self.path)

    @property
    def query_parameters(self) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.spec.get("parameters", []) if p["in"] == "query"}

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def is_list(self) -> bool:
        """A paginated list: it takes `limit` and `cursor`."""
        return self.method == "GET" and {"limit", "cursor"} <= self.query_parameters.keys()

    @property
    def is_public(self) -> bool:
        """Open without a bearer token (health checks; the calendar feed, keyed by a token of its own)."""
        requirements = self.spec.get("security", [])
        return not any(name in BEARER_SCHEMES for requirement in requirements for name in requirement)

    @property
    def body_schema(self) -> dict[str, Any] | None:
        """The JSON request body's object schema, with its $ref and nullable wrapper resolved."""
        content = self.spec.get("requestBody", {}).get("content", {})
        return self.resolve(content[JSON]["schema"]) if JSON in content else None

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A schema without its $ref and without the `anyOf: [X, null]` of optional values."""
        if "$ref" in schema:
            return self.resolve(self.schemas[schema["$ref"].rsplit("/", 1)[1]])
        variants = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
        if len(variants) == 1:
            return self.resolve(variants[0])
        return schema

    def url(self, ids: dict[str, Any]) -> str:
        """The path with each parameter replaced by the value `ids` holds for it."""
        missing = [name for name in self.path_parameters if name not in ids]
        assert not missing, f"{self}: no object for {missing}; add one to the service's world in tests/hostile"
        return re.sub(r"\{([^}]+)\}", lambda m: str(ids[m.group(1)]), self.path)


@cache
def contract(service: str) -> dict[str, Any]:
    """The service's published contract (tests/test_contract.py keeps it equal to what the app serves)."""
    return json.loads((REPO_ROOT / "openapi" / f"{service}.json").read_text())


def operations(service: str) -> list[Operation]:
    """Every operation of the service's contract, in contract order."""
    document = contract(service)
    schemas = document.get("components", {}).get("schemas", {})
    return [
        Operation(service, method.upper(), path, spec, schemas)
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    ]


def every(predicate, services: tuple[str, ...] = SERVICES) -> list[Operation]:
    """The operations of the services that satisfy `predicate`, for pytest's parametrize."""
    return [op for service in services for op in operations(service) if predicate(op)]
