"""compose.yaml runs as written: PostgreSQL, the migrations, the three services and their workers with every setting
their settings classes require, secrets from the .env that `make env` writes, and the gateway."""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from services.common.evidence.settings import EvidenceSettings
from services.common.settings import REPO_ROOT, Environment
from tests.deploy import nginx
from tests.deploy.processes import SETTINGS, accepted, needs, secret_settings, unread

COMPOSE = REPO_ROOT / "compose.yaml"
EXAMPLE = REPO_ROOT / ".env.example"
needs_docker_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose is not installed (.ci/run installs it)"
)


def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def processes(document: dict) -> dict[str, dict]:
    """The services built from the repository (the others run a stock image: PostgreSQL, nginx)."""
    return {name: service for name, service in document.items() if "build" in service}


def make_env(directory: Path) -> Path:
    out = directory / ".env"
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "deploy" / "make_env.py"), "--example", str(EXAMPLE), "--out", str(out)],
        check=True,
    )
    return out


def compose_config(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker-compose", "--project-directory", str(REPO_ROOT), "-f", str(COMPOSE), *arguments, "config"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin"},  # nothing from this process's environment leaks in
    )


@pytest.fixture(scope="module")
def interpolated(tmp_path_factory) -> dict:
    """compose.yaml as docker-compose reads it with the .env `make env` writes."""
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (.ci/run installs it)")
    result = compose_config("--env-file", str(make_env(tmp_path_factory.mktemp("env"))))
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def test_compose_is_valid_for_docker_compose_with_the_env_make_env_writes(interpolated):
    assert {"postgres", "migrate", "gateway", *SETTINGS} <= set(interpolated)


@needs_docker_compose
def test_compose_refuses_to_start_without_an_env(tmp_path):
    empty = tmp_path / ".env"
    empty.write_text("")
    result = compose_config("--env-file", str(empty))
    assert result.returncode != 0
    assert "run make env" in result.stderr


def test_every_variable_compose_reads_is_in_env_example():
    variables = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    example = {line.split("=", 1)[0] for line in EXAMPLE.read_text().splitlines() if "=" in line and line[0] != "#"}
    assert variables - example == set()


def test_every_command_in_compose_exists_in_the_code():
    for name, service in processes(services()).items():
        assert needs(service["command"]), name


def test_every_process_is_given_each_setting_its_settings_class_requires():
    missing = {
        name: sorted(set(need.variables()) - set(service["environment"]))
        for name, service in processes(services()).items()
        for need in needs(service["command"])
    }
    assert {name: variables for name, variables in missing.items() if variables} == {}


def test_every_secret_comes_from_a_variable_that_make_env_generates():
    empty_in_example = {line[:-1] for line in EXAMPLE.read_text().splitlines() if line.endswith("=")}
    for name, service in processes(services()).items():
        for need in needs(service["command"]):
            for variable in secret_settings(need.service) & set(service["environment"]):
                source = re.fullmatch(r"\$\{(\w+)[:?}].*", service["environment"][variable])
                assert source, f"{name}: {variable} is written in compose.yaml, not read from .env"
                assert source[1] in empty_in_example, f"{name}: make env does not generate {source[1]}"


def test_every_api_and_worker_accepts_its_settings_in_production(interpolated):
    for name, service in processes(interpolated).items():
        for need in needs(service["command"]):
            if not need.database_only:
                assert accepted(need.service, service["environment"]).environment is Environment.PRODUCTION, name


def test_compose_sets_no_setting_that_no_service_reads():
    for name, service in processes(services()).items():
        for service_name in SETTINGS:
            assert unread(service_name, service["environment"]) == set(), name


def test_every_peer_url_names_a_compose_service_on_its_port():
    listening = {
        alias: service["command"][service["command"].index("--port") + 1]
        for service in processes(services()).values()
        if "--port" in service["command"]
        for alias in service["networks"]["default"]["aliases"]
    }
    for service in processes(services()).values():
        for variable, value in service["environment"].items():
            if variable.endswith(tuple(f"_{peer.upper()}_URL" for peer in SETTINGS)):
                url = urlsplit(value)
                assert listening.get(url.hostname) == str(url.port), f"{variable}={value}"


def test_compose_runs_each_service_on_its_own_postgres_database_after_migrations():
    document = services()
    urls = document["migrate"]["environment"]
    assert len({urls[f"{name.upper()}_DATABASE_URL"].rsplit("/", 1)[1] for name in SETTINGS}) == 3
    assert document["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name, service in processes(document).items():
        if name != "migrate":
            assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}, name


def test_compose_runs_a_worker_per_service_with_its_apis_settings():
    document = services()
    for name in SETTINGS:
        worker = document[name.replace("_api", "_worker")]
        assert worker["command"] == ["python", "-m", f"services.{name}.worker"]
        assert worker["environment"].items() >= document[name]["environment"].items()


def gateway_site(environment: dict[str, str]) -> str:
    """The gateway's nginx configuration as the image renders it from the environment compose gives it."""
    return nginx.rendered({name: value for name, value in environment.items() if name.startswith("DUBAN_GATEWAY_")})


def test_the_gateway_renders_the_nginx_template_once_the_services_are_ready():
    gateway = services()["gateway"]
    assert gateway["volumes"] == ["./deploy/nginx/duban.conf.template:/etc/nginx/templates/default.conf.template:ro"]
    assert {name: dependency["condition"] for name, dependency in gateway["depends_on"].items()} == dict.fromkeys(
        SETTINGS, "service_healthy"
    )


def test_the_gateway_sets_every_variable_of_the_template_and_the_image_fills_in_those_only():
    environment = services()["gateway"]["environment"]
    assert set(environment) >= nginx.VARIABLES
    assert all(re.match(environment["NGINX_ENVSUBST_FILTER"], name) for name in nginx.VARIABLES)
    assert not re.match(environment["NGINX_ENVSUBST_FILTER"], "duban_prefix")  # one of nginx's own variables


def test_each_gateway_upstream_is_its_compose_service_on_the_port_it_listens_on():
    listening = {
        alias: (name, service["command"][service["command"].index("--port") + 1])
        for name, service in processes(services()).items()
        if "--port" in service["command"]
        for alias in [name, *service["networks"]["default"]["aliases"]]
    }
    servers = nginx.upstream_servers(gateway_site(services()["gateway"]["environment"]))
    assert set(servers) == set(nginx.UPSTREAMS)
    for upstream, server in servers.items():
        host, port = server.rsplit(":", 1)
        assert listening.get(host) == (nginx.UPSTREAMS[upstream], port), f"{upstream}: {server}"


def test_the_gateway_publishes_the_port_its_nginx_listens_on():
    gateway = services()["gateway"]
    assert [mapping.rsplit(":", 1)[1] for mapping in gateway["ports"]] == [
        nginx.listen(gateway_site(gateway["environment"]))
    ]


@pytest.mark.skipif(nginx.NGINX is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_gateways_rendering_for_compose(interpolated, tmp_path):
    if not nginx.can_fake_hosts():
        pytest.skip("unshare cannot bind a hosts file here, and compose's service names resolve nowhere else")
    site = gateway_site(interpolated["gateway"]["environment"])
    assert "${" not in site
    result = nginx.nginx_test(tmp_path, site)
    assert result.returncode == 0, result.stderr


def test_every_api_that_keeps_evidence_files_keeps_them_on_a_named_volume():
    document = yaml.safe_load(COMPOSE.read_text())
    for name, service in processes(document["services"]).items():
        for need in needs(service["command"]):
            if "--port" in service["command"] and issubclass(SETTINGS[need.service], EvidenceSettings):
                directory = service["environment"][f"{need.service.upper()}_EVIDENCE_DIR"]
                volume, _, path = next(v for v in service["volumes"] if v.split(":")[1] == directory).partition(":")
                assert (path, volume in document["volumes"]) == (directory, True), name
