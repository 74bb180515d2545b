"""deploy/kubernetes/ runs as written: valid resources (kubernetes-validate's schemas, offline), API Deployments
probing routes the services have, workers and the migration Job running commands that exist, and every setting the
settings classes require given to each container, secrets from the Secret."""

import copy
import json
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from services.common.evidence.settings import EvidenceSettings
from services.common.settings import REPO_ROOT, Environment
from tests.deploy import nginx
from tests.deploy.processes import SETTINGS, accepted, needs, secret_settings, unread

MANIFESTS = REPO_ROOT / "deploy" / "kubernetes"
FILES = sorted(path.name for path in MANIFESTS.glob("*.yaml") if path.name != "kustomization.yaml")
WORKLOADS = {"Deployment", "Job", "CronJob"}
GATEWAY = "duban-gateway"  # nginx before the APIs, not one of duban's processes
A_SECRET = "a-random-secret-long-enough-for-production-0123456789"


def resources(name: str | None = None) -> list[dict]:
    """The manifests' resources (of one file), each call its own copy: a test may change what it is given."""
    return copy.deepcopy([document for file in ([name] if name else FILES) for document in _parsed(file)])


@cache
def _parsed(file: str) -> tuple[dict, ...]:
    """A manifest file's resources, parsed once: the tests look up a ConfigMap or Secret for each variable of each
    container, and parsing every file each time took a minute of CI on a slow machine."""
    return tuple(document for document in yaml.load_all((MANIFESTS / file).read_text(), yaml.CSafeLoader) if document)


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
    """duban's own containers (the gateway runs nginx's image: its tests are below)."""
    found = []
    for resource in resources():
        if resource["kind"] in WORKLOADS:
            pod = resource["spec"]["template"]["spec"]
            if resource["kind"] == "CronJob":
                pod = resource["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            found += [
                Container(resource["metadata"]["name"], spec) for spec in pod["containers"] if spec["image"] == "duban"
            ]
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
        if name == GATEWAY:
            continue
        container_ports, port = listening[name]
        by_name = {entry["name"]: entry["containerPort"] for entry in container_ports}
        assert [by_name[entry["targetPort"]] for entry in service["spec"]["ports"]] == [int(port)], name


def gateway() -> tuple[dict, dict]:
    """The gateway's pod spec and its nginx container."""
    pod = named("Deployment")[GATEWAY]["spec"]["template"]["spec"]
    return pod, pod["containers"][0]


def gateway_site() -> str:
    """The gateway's nginx configuration as the image renders it from the variables the manifest gives it."""
    variables = {variable["name"]: variable["value"] for variable in gateway()[1]["env"]}
    return nginx.rendered({name: value for name, value in variables.items() if name.startswith("DUBAN_GATEWAY_")})


def test_the_gateway_renders_the_nginx_template_from_its_configmap():
    pod, container = gateway()
    mounted = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    [volume] = [volume for volume in pod["volumes"] if "configMap" in volume]
    assert mounted[volume["name"]] == "/etc/nginx/templates"
    template = named("ConfigMap")[volume["configMap"]["name"]]["data"]["default.conf.template"]
    assert template == nginx.TEMPLATE.read_text(), "run `make gateway-configmap` after changing the template"


def test_the_gateway_sets_every_variable_of_the_template():
    assert {variable["name"] for variable in gateway()[1]["env"]} >= nginx.VARIABLES
    assert "${" not in gateway_site()


def test_each_gateway_upstream_is_the_service_of_its_api_on_its_port():
    serving = {
        container.workload: needs(container.argv)[0].service for container in containers() if "ports" in container.spec
    }
    ports = {name: {port["port"] for port in service["spec"]["ports"]} for name, service in named("Service").items()}
    for upstream, server in nginx.upstream_servers(gateway_site()).items():
        host, port = server.rsplit(":", 1)
        assert int(port) in ports.get(host, set()), f"{upstream}: {server}"
        assert (
            serving[named("Service")[host]["spec"]["selector"]["app.kubernetes.io/name"]] == nginx.UPSTREAMS[upstream]
        )


def test_the_gateway_service_reaches_the_port_its_nginx_listens_on():
    by_name = {port["name"]: port["containerPort"] for port in gateway()[1]["ports"]}
    targets = [by_name[port["targetPort"]] for port in named("Service")[GATEWAY]["spec"]["ports"]]
    assert targets == [int(nginx.listen(gateway_site()))]


@pytest.mark.skipif(nginx.NGINX is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_gateways_rendering_for_kubernetes(tmp_path):
    if not nginx.can_fake_hosts():
        pytest.skip("unshare cannot bind a hosts file here, and the Services' names resolve nowhere else")
    result = nginx.nginx_test(tmp_path, gateway_site())
    assert result.returncode == 0, result.stderr


def test_every_worker_serves_its_metrics_on_the_port_its_pod_is_annotated_with():
    workers = [container for container in containers() if container.argv[-1].endswith(".worker")]
    assert len(workers) == 3
    for container in workers:
        annotations = named("Deployment")[container.workload]["spec"]["template"]["metadata"]["annotations"]
        address = next(value for name, value in container.environment().items() if name.endswith("_METRICS_ADDRESS"))
        assert annotations["prometheus.io/scrape"] == "true"
        assert address == f"0.0.0.0:{annotations['prometheus.io/port']}"


def test_every_api_that_keeps_evidence_files_keeps_them_on_a_claim_its_replicas_share():
    claims = named("PersistentVolumeClaim")
    for deployment in named("Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for spec in (spec for spec in pod["containers"] if spec["image"] == "duban" and "ports" in spec):
            service = needs(Container(deployment["metadata"]["name"], spec).argv)[0].service
            if not issubclass(SETTINGS[service], EvidenceSettings):
                continue
            directory = Container(deployment["metadata"]["name"], spec).environment()[f"{service.upper()}_EVIDENCE_DIR"]
            [mount] = [mount for mount in spec["volumeMounts"] if mount["mountPath"] == directory]
            [volume] = [volume for volume in pod["volumes"] if volume["name"] == mount["name"]]
            claim = claims[volume["persistentVolumeClaim"]["claimName"]]
            assert claim["spec"]["accessModes"] == ["ReadWriteMany"] or deployment["spec"]["replicas"] == 1
            assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]
