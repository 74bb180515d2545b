"""What a deployment must give each of its processes, derived from the code: the settings classes say which settings
are required, the command lines say which commands exist. compose.yaml and deploy/kubernetes/ are checked with it.

A setting is required of a deployment when
- its field has no default;
- the service refuses its default in production (the secrets: JWT_SECRET, notify's SECRET_KEY);
- it is the database URL (the default is a SQLite file inside the container);
- it says where a peer service answers (`<peer>_url`), or its default names the loopback address: inside a
  container 127.0.0.1 is the container itself.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from services import cli
from services.common import server
from services.common.settings import REPO_ROOT, Environment, ServiceSettings
from services.notify_api.settings import NotifySettings
from services.reporting_api.settings import ReportingSettings
from services.tasks_api.settings import TasksSettings

SETTINGS: dict[str, type[ServiceSettings]] = {
    "tasks_api": TasksSettings,
    "reporting_api": ReportingSettings,
    "notify_api": NotifySettings,
}
LOOPBACK = ("127.0.0.1", "localhost")


def required_settings(service: str) -> dict[str, str]:
    """The environment variables a deployment must set for `service`, each with why."""
    settings = SETTINGS[service]
    peers = {f"{peer}_url" for peer in SETTINGS if peer != service}
    found: dict[str, str] = {}
    for name, field in settings.model_fields.items():
        default = field.default
        if field.is_required():
            found[name] = "it has no default"
        elif name == "database_url":
            found[name] = "its default is a SQLite file inside the container"
        elif name in peers:
            found[name] = "it says where a peer service answers"
        elif isinstance(default, str) and any(host in default for host in LOOPBACK):
            found[name] = f"its default {default!r} is the container itself"
    production = settings.model_construct(environment=Environment.PRODUCTION)
    for name, why in production.refusals():
        found[name] = f"a secret: {why}"
    return {settings.variable(name): why for name, why in found.items()}


def secret_settings(service: str) -> set[str]:
    """The variables whose default the service refuses in production: its secrets."""
    settings = SETTINGS[service]
    production = settings.model_construct(environment=Environment.PRODUCTION)
    return {settings.variable(name) for name, _ in production.refusals()}


@dataclass(frozen=True)
class Need:
    """A command's need: the settings of a service it reads, all required ones or only the database URL."""

    service: str
    database_only: bool = False

    def variables(self) -> dict[str, str]:
        required = required_settings(self.service)
        if self.database_only:
            variable = SETTINGS[self.service].variable("database_url")
            return {variable: required[variable]}
        return required


def needs(argv: list[str]) -> list[Need]:
    """What the process `argv` reads, once its commands are shown to exist (AssertionError otherwise)."""
    if argv[:2] == ["sh", "-c"]:
        return [need for step in argv[2].split("&&") for need in needs(shlex.split(step))]
    if argv[:1] == ["duban"]:
        return _duban_needs(argv[1:])
    if argv[:3] == ["python", "-m", "services.common.server"]:
        return [Need(_parsed(server.build_parser(), argv[3:]).service)]
    if argv[:2] == ["python", "-m"] and len(argv) == 3:
        return [Need(_worker_service(argv[2]))]
    raise AssertionError(f"{argv}: not a duban command, a service or a worker")


def _duban_needs(arguments: list[str]) -> list[Need]:
    parsed = _parsed(cli.build_parser(), arguments)
    if parsed.command == "migrate":
        services = list(SETTINGS) if parsed.service == "all" else [parsed.service]
        return [Need(service, database_only=True) for service in services]
    if parsed.command == "import":
        assert (REPO_ROOT / parsed.file).is_file(), f"duban import: no {parsed.file} in the image"
        return [Need("tasks_api", database_only=True)]
    raise AssertionError(f"duban {parsed.command}: say here which settings it reads")


def _worker_service(module: str) -> str:
    """The service whose worker `python -m module` runs (AssertionError when it is no worker)."""
    service = module.removeprefix("services.").removesuffix(".worker")
    assert module == f"services.{service}.worker" and service in SETTINGS, f"{module} is not a service's worker"
    assert importlib.util.find_spec(module) is not None, f"no module {module}"
    assert callable(importlib.import_module(module).worker), f"{module} has no worker"
    return service


def _parsed(parser: argparse.ArgumentParser, arguments: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(arguments)
    except SystemExit:
        raise AssertionError(f"{arguments}: the command line refuses these arguments") from None


def accepted(service: str, environment: Mapping[str, str]) -> ServiceSettings:
    """The service's settings from `environment` alone, validated as the service validates them (model_validate reads
    no .env and no process environment); raises ValidationError when a value is refused."""
    settings = SETTINGS[service]
    prefix = settings.variable("")
    fields = {
        name.removeprefix(prefix).lower(): value for name, value in environment.items() if name.startswith(prefix)
    }
    return settings.model_validate(fields)


def unread(service: str, environment: Mapping[str, str]) -> set[str]:
    """The variables with the service's prefix that no setting reads (a misspelt name is silently ignored)."""
    settings = SETTINGS[service]
    prefix = settings.variable("")
    known = {settings.variable(name) for name in settings.model_fields}
    return {name for name in environment if name.startswith(prefix) and name not in known}
