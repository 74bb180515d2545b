"""deploy/kubernetes/ runs as written: valid resources (kubernetes-validate's schemas, offline), API Deployments
probing routes the services have, workers and the migration Job running commands that exist, and every setting the
settings classes require given to each container, secrets from the Secret."""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from services.common.settings import REPO_ROOT, Environment
from tests.deploy.processes import SETTINGS, accepted, needs, secret_settings, unread

MANIFESTS = REPO_ROOT / "deploy" / "kubernetes"
FILES = sorted(path.name for path in MANIFESTS.glob("*.yaml") if path.name != "kustomization.yaml")
WORKLOADS = {"Deployment", "Job", "CronJob"}
A_SECRET = "a-random-secret-long-enough-for-production-0123456789"


def resources(name: str | None = None) -> list[dict]:
    paths = [MANIFESTS / name] if name else [MANIFESTS / file for file in FILES]
    return [document for path in paths for document in yaml.safe_load_all(path.read_text()) if document]


def named(kind: str) -> dict[str, dict]:
    return {resource["metadata"]["name"]: resource for resource in resources() if resource["kind"] == kind}


@dataclass(frozen=True)
class Container:
    workload: str
    spec: dict

    @property
    def argv(self) -> list[str]:
        return [*self.spec.get("command", []), *self.spec.get("args", [])]

    def environment(self, fill_secrets: bool = False) -> dict[str, str]:
        """The variables the container gets, each with its value from the manifests (a secret's: A_SECRET)."""
        found: dict[str, str] = {}
        for source in self.spec.get("envFrom", []):
            kind, reference = (
                ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
            )
            found |= _data(kind, reference["name"])
        for variable in self.spec.get("env", []):
            found[variable["name"]] = _value(variable, fill_secrets)
        return found


def _data(kind: str, name: str) -> dict[str, str]:
    resource = named(kind)[name]
    return resource.get("data", {}) | resource.get("stringData", {})


def _value(variable: dict, fill_secrets: bool) -> str:
    if "value" in variable:
        return variable["value"]
    source = variable["valueFrom"]
    kind, reference = (
        ("Secret", source["secretKeyRef"]) if "secretKeyRef" in source else ("ConfigMap", source["configMapKeyRef"])
    )
    value = _data(kind, reference["name"])[reference["key"]]
    return A_SECRET if fill_secrets and kind == "Secret" and value == "REPLACE-ME" else value


def containers() -> list[Container]:
    found = []
    for resource in resources():
        if resource["kind"] in WORKLOADS:
            pod = resource["spec"]["template"]["spec"]
            if resource["kind"] == "CronJob":
                pod = resource["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            found += [Container(resource["metadata"]["name"], spec) for spec in pod["containers"]]
    return found


@pytest.mark.parametrize("file", FILES)
def test_every_manifest_is_a_valid_kubernetes_resource(file):
    for resource in resources(file):
        kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)


def test_the_validation_catches_a_misspelt_field():
    deployment = named("Deployment")["tasks-api"]
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


def test_kustomization_applies_every_manifest_but_the_secret_template():
    listed = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [file for file in FILES if file != "secret.template.yaml"]


def test_each_service_has_an_api_a_worker_and_the_migration_job():
    run = [tuple(need.service for need in needs(container.argv)) for container in containers()]
    assert sorted(run) == sorted([*[(s,) for s in SETTINGS], *[(s,) for s in SETTINGS], (*SETTINGS, "tasks_api")])


def test_every_api_is_probed_on_livez_and_readyz_and_its_contract_has_both():
    for container in containers():
        if "ports" in container.spec:
            service = needs(container.argv)[0].service
            paths = json.loads((REPO_ROOT / "openapi" / f"{service}.json").read_text())["paths"]
            probes = {probe: container.spec[probe]["httpGet"]["path"] for probe in ("livenessProbe", "readinessProbe")}
            assert probes == {"livenessProbe": "/livez", "readinessProbe": "/readyz"}
            assert {"/livez", "/readyz"} <= set(paths)


def test_every_container_is_given_each_setting_its_settings_class_requires():
    missing = {
        container.workload: sorted(set(need.variables()) - set(container.environment()))
        for container in containers()
        for need in needs(container.argv)
    }
    assert {workload: variables for workload, variables in missing.items() if variables} == {}


def test_every_secret_comes_from_the_secret_and_the_template_holds_no_real_one():
    for container in containers():
        for need in needs(container.argv):
            given = {variable["name"]: variable for variable in container.spec.get("env", [])}
            for variable in secret_settings(need.service) & set(container.environment()):
                reference = given[variable]["valueFrom"]["secretKeyRef"]
                assert _data("Secret", reference["name"])[reference["key"]] == "REPLACE-ME"


def test_every_api_and_worker_accepts_its_settings_in_production_once_the_secrets_are_filled():
    for container in containers():
        for need in needs(container.argv):
            if not need.database_only:
                settings = accepted(need.service, container.environment(fill_secrets=True))
                assert settings.environment is Environment.PRODUCTION, container.workload


def test_the_manifests_set_no_setting_that_no_service_reads():
    for container in containers():
        for service in SETTINGS:
            assert unread(service, container.environment()) == set(), container.workload


def test_every_peer_url_names_a_kubernetes_service_and_its_port():
    ports = {name: {port["port"] for port in service["spec"]["ports"]} for name, service in named("Service").items()}
    for container in containers():
        for variable, value in container.environment().items():
            if variable.endswith(tuple(f"_{peer.upper()}_URL" for peer in SETTINGS)):
                url = urlsplit(value)
                assert url.port in ports.get(url.hostname or "", set()), f"{variable}={value}"


def test_every_service_reaches_the_port_its_api_listens_on():
    listening = {
        container.workload: (container.spec["ports"], container.argv[container.argv.index("--port") + 1])
        for container in containers()
        if "ports" in container.spec
    }
    for name, service in named("Service").items():
        container_ports, port = listening[name]
        by_name = {entry["name"]: entry["containerPort"] for entry in container_ports}
        assert [by_name[entry["targetPort"]] for entry in service["spec"]["ports"]] == [int(port)], name
