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
