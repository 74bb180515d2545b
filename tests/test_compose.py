"""compose.yaml describes a valid production stack: PostgreSQL, migrations, the three services."""

import os
import shutil
import subprocess

import pytest
import yaml

from services.common.settings import REPO_ROOT

COMPOSE = REPO_ROOT / "compose.yaml"


def test_compose_file_is_valid_for_docker_compose():
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (.ci/run installs it)")
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DUBAN_JWT_SECRET": "a-long-random-secret-for-the-check",
            "DUBAN_SECRET_KEY": "another-long-random-secret-for-it",
        },
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_each_service_on_its_own_postgres_database_after_migrations():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert {"postgres", "migrate", "tasks_api", "reporting_api", "notify_api"} <= set(services)
    urls = services["migrate"]["environment"]
    databases = {
        urls[f"{name.upper()}_DATABASE_URL"].rsplit("/", 1)[1] for name in ("tasks_api", "reporting_api", "notify_api")
    }
    assert len(databases) == 3
    for name in ("tasks_api", "reporting_api", "notify_api"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["command"][:4] == ["python", "-m", "services.common.server", name]


def test_compose_refuses_to_start_without_a_real_jwt_secret():
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (.ci/run installs it)")
    env = {k: v for k, v in os.environ.items() if k != "DUBAN_JWT_SECRET"} | {"DUBAN_SECRET_KEY": "set-for-the-check"}
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    assert "DUBAN_JWT_SECRET" in result.stderr


def test_compose_runs_a_worker_per_service_with_its_apis_settings():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("tasks_api", "reporting_api", "notify_api"):
        worker = services[name.replace("_api", "_worker")]
        assert worker["command"] == ["python", "-m", f"services.{name}.worker"]
        assert worker["environment"].items() >= services[name]["environment"].items()
        assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
