"""deploy/prometheus/rules.yml: valid to promtool, and alerting on the metrics the services really serve."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from services.common.settings import REPO_ROOT

RULES = REPO_ROOT / "deploy" / "prometheus" / "rules.yml"
SERVED = {  # the families the services' /metrics serve (tests/common/test_metrics.py, tests/notify_api/test_metrics.py)
    "duban_outbox_oldest_pending_age_seconds",
    "duban_notifications",
    "duban_deliveries_total",
    "duban_http_requests_total",
    "duban_dispatch_rounds_total",
}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus package) is not installed")
def test_promtool_finds_the_alert_rules_valid() -> None:
    checked = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rules_alert_on_outbox_lag_dead_letters_and_server_errors_by_metrics_that_exist() -> None:
    rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    names = {rule["alert"] for rule in rules}
    assert {"DubanOutboxLagging", "DubanDeadLetters", "DubanHighServerErrorRate"} <= names
    used = {name for rule in rules for name in re.findall(r"\bduban_[a-z_]+", rule["expr"])}
    assert used <= SERVED


# -- the scrape configuration compose mounts (deploy/prometheus/prometheus.yml) ---------------------------------------

SCRAPE = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
COMPOSE = REPO_ROOT / "compose.yaml"


def _targets(job: str) -> set[tuple[str, int]]:
    jobs = {config["job_name"]: config for config in yaml.safe_load(SCRAPE.read_text())["scrape_configs"]}
    return {(name, sd["port"]) for sd in jobs[job]["dns_sd_configs"] for name in sd["names"]}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus package) is not installed")
def test_promtool_finds_the_scrape_configuration_valid_with_its_rules_and_token(tmp_path) -> None:
    for source in (SCRAPE, RULES):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "token").write_text("a-service-token\n")  # as compose mounts it beside them
    checked = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / SCRAPE.name)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheus_scrapes_every_api_with_a_token_where_it_listens_in_compose() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    listening = {
        (alias, int(service["command"][service["command"].index("--port") + 1]))
        for service in services.values()
        if "services.common.server" in service.get("command", [])
        for alias in service["networks"]["default"]["aliases"]
    }
    assert _targets("duban-api") == listening
    jobs = {config["job_name"]: config for config in yaml.safe_load(SCRAPE.read_text())["scrape_configs"]}
    assert jobs["duban-api"]["authorization"] == {"credentials_file": "token"}
    assert "/etc/prometheus/token" in {volume.split(":")[1] for volume in services["prometheus"]["volumes"]}


def test_prometheus_scrapes_every_worker_on_the_port_its_metrics_address_names() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    workers = {
        name: next(value for variable, value in service["environment"].items() if variable.endswith("_METRICS_ADDRESS"))
        for name, service in services.items()
        if ".worker" in " ".join(service.get("command", []))
    }
    assert len(workers) == 3
    assert _targets("duban-worker") == {(name, int(address.rsplit(":", 1)[1])) for name, address in workers.items()}
