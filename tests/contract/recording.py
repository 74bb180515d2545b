"""Consumer-driven contract checking: record the calls a consumer makes and judge each by the provider's contract.

A `RecordingTransport` sits between a consumer's client and the real provider and keeps every exchange.
`ProviderContract` reads the provider's committed openapi/*.json and says what is wrong with an exchange:
a path or method the contract does not have, a query parameter it does not declare or a value its schema
refuses, a missing required parameter, a body it does not accept, an undocumented status, or a response
that does not match the documented schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
from jsonschema_rs import Draft202012Validator

from services.contract import CONTRACT_DIR

Schema = dict[str, Any]


@dataclass(frozen=True)
class Exchange:
    """One call as it crossed the wire."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    request_type: str | None
    request_body: bytes
    status: int
    response_type: str
    response_body: bytes

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}"


class RecordingTransport(httpx.AsyncBaseTransport):
    """Forwards to the real provider and keeps each request and response."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._real.handle_async_request(request)
        body = await response.aread()
        self.exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                tuple(request.url.params.multi_items()),
                request.headers.get("content-type"),
                request.content,
                response.status_code,
                response.headers.get("content-type", ""),
                body,
            )
        )
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)

    async def aclose(self) -> None:
        await self._real.aclose()


class ProviderContract:
    """The committed contract of a provider, as a judge of exchanges."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.document = json.loads((CONTRACT_DIR / f"{service}.json").read_text(encoding="utf-8"))
        # Literal paths before templated ones, so /v1/plans/import is not read as /v1/plans/{plan_id}.
        self._routes = sorted(
            ((template, _template_pattern(template)) for template in self.document["paths"]),
            key=lambda route: route[0].count("{"),
        )

    def operation(self, method: str, path: str) -> tuple[str, Schema, dict[str, str]] | None:
        """The template, operation and path values a concrete call matches, or None."""
        for template, pattern in self._routes:
            if (match := pattern.fullmatch(path)) and method.lower() in self.document["paths"][template]:
                return template, self.document["paths"][template][method.lower()], match.groupdict()
        return None

    def template_of(self, exchange: Exchange) -> str | None:
        found = self.operation(exchange.method, exchange.path)
        return found[0] if found else None

    def violations(self, exchange: Exchange) -> list[str]:
        """Everything in the exchange the provider's contract does not allow; empty when it conforms."""
        found = self.operation(exchange.method, exchange.path)
        if found is None:
            return [f"{exchange.method} {exchange.path} is not in openapi/{self.service}.json"]
        _, operation, path_values = found
        problems = self._parameter_violations(operation, path_values, exchange.query)
        problems += self._body_violations(operation, exchange)
        problems += self._response_violations(operation, exchange)
        return problems

    def _parameter_violations(
        self, operation: Schema, path_values: dict[str, str], query: tuple[tuple[str, str], ...]
    ) -> list[str]:
        declared = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
        sent = {("path", name): value for name, value in path_values.items()}
        sent.update({("query", name): value for name, value in query})
        problems = [
            f"{where} parameter {name!r} is not declared" for where, name in sent if (where, name) not in declared
        ]
        problems += [
            f"required {where} parameter {name!r} is missing"
            for (where, name), p in declared.items()
            if p.get("required") and where in ("path", "query") and (where, name) not in sent
        ]
        for key, value in sent.items():
            if key in declared and (
                errors := self._errors(declared[key]["schema"], _coerce(value, self._types(declared[key]["schema"])))
            ):
                problems.append(f"{key[0]} parameter {key[1]!r}={value!r}: {errors}")
        return problems

    def _body_violations(self, operation: Schema, exchange: Exchange) -> list[str]:
        if not exchange.request_body:
            return ["the request body is required"] if operation.get("requestBody", {}).get("required") else []
        media = operation.get("requestBody", {}).get("content", {}).get(_media(exchange.request_type))
        if media is None:
            return [f"a {exchange.request_type} body is not accepted"]
        errors = self._errors(media.get("schema", {}), json.loads(exchange.request_body))
        return [f"request body: {errors}"] if errors else []

    def _response_violations(self, operation: Schema, exchange: Exchange) -> list[str]:
        responses = operation["responses"]
        documented = (
            responses.get(str(exchange.status))
            or responses.get(f"{str(exchange.status)[0]}XX")
            or responses.get("default")
        )
        if documented is None:
            return [f"status {exchange.status} is not documented"]
        media = documented.get("content", {}).get(_media(exchange.response_type))
        if not documented.get("content"):
            return [] if not exchange.response_body else ["a body was sent where none is documented"]
        if media is None:
            return [f"response content type {exchange.response_type} is not documented for {exchange.status}"]
        if "json" not in exchange.response_type:
            return []
        errors = self._errors(media.get("schema", {}), json.loads(exchange.response_body))
        return [f"response {exchange.status}: {errors}"] if errors else []

    def _errors(self, schema: Schema, value: Any) -> str:
        validator = Draft202012Validator({**schema, "components": self.document["components"]}, validate_formats=True)
        return "; ".join(
            f"/{'/'.join(map(str, e.instance_path))}: {e.message}"[:300] for e in validator.iter_errors(value)
        )

    def _types(self, schema: Schema) -> set[str]:
        while "$ref" in schema:
            schema = self.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        branches = schema.get("anyOf") or schema.get("oneOf") or [schema]
        return {
            kind
            for branch in branches
            for kind in ([*self._types(branch)] if "$ref" in branch else [branch.get("type", "string")])
        }


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    return re.compile("".join(f"(?P<{p[1:-1]}>[^/]+?)" if p.startswith("{") else re.escape(p) for p in parts))


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip()


def _coerce(value: str, types: set[str]) -> Any:
    """A query or path value as the JSON value its schema means (a query string carries only text)."""
    for kind, convert in (("integer", int), ("number", float)):
        if kind in types:
            try:
                return convert(value)
            except ValueError:
                pass
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value
