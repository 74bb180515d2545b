"""The `duban` command line: migrate, import, mint tokens and serve, as `make run` uses them."""

import os
import signal
import threading

import jwt
import pytest

from services.cli import main
from services.common.settings import DEVELOPMENT_SECRET
from services.notify_api.settings import NotifySettings
from tests.conftest import QUZHOU_PLAN


@pytest.fixture
def fresh_databases(databases, monkeypatch):
    for service in ("tasks_api", "reporting_api", "notify_api"):
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", databases.create(f"cli_{service}"))


def test_migrate_then_import_twice_loads_the_plan_once(fresh_databases, capsys):
    assert main(["migrate", "all"]) == 0
    assert main(["import", str(QUZHOU_PLAN)]) == 0
    first = capsys.readouterr().out
    assert "item.created 105" in first
    assert main(["import", str(QUZHOU_PLAN)]) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_import_of_a_broken_file_names_the_line_and_changes_nothing(fresh_databases, tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text(QUZHOU_PLAN.read_text(encoding="utf-8").replace("target: 298", "target: many"), encoding="utf-8")
    main(["migrate", "tasks_api"])
    assert main(["import", str(broken)]) == 1
    assert ":709: items[3].children[1].indicators[0].target" in capsys.readouterr().err


def test_token_create_mints_a_unit_token_for_its_unit(capsys):
    assert main(["token", "create", "--role", "unit", "--unit", "7", "--subject", "jtj"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), DEVELOPMENT_SECRET, algorithms=["HS256"], audience="duban")
    assert (claims["role"], claims["unit_id"], claims["sub"]) == ("unit", 7, "jtj")


def test_a_unit_token_needs_its_unit():
    with pytest.raises(SystemExit):
        main(["token", "create", "--role", "unit"])


class _Child:
    """A started service; by default one that has already exited, so `duban serve` returns at once."""

    running = False

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command, self.env, self.signals = command, env, []

    def poll(self) -> int | None:
        return None if self.running else 0

    def send_signal(self, sent: int) -> None:
        self.signals.append(sent)

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.fixture
def served(monkeypatch, tmp_path):
    """Run `duban serve` with its three services replaced by stand-ins; returns each one's environment by app."""
    started: list[_Child] = []
    monkeypatch.setattr("services.common.settings.REPO_ROOT", tmp_path)  # the admin token goes here, not var/
    monkeypatch.setattr("subprocess.Popen", lambda command, env: started.append(_Child(command, env)) or started[-1])

    def serve() -> dict[str, dict[str, str]]:
        main(["serve"])
        # python -m services.common.server SERVICE …: each API child by the service it runs
        return {child.command[3]: child.env for child in started if child.command[2] == "services.common.server"}

    serve.started = started
    return serve


def test_serve_fails_and_stops_the_others_when_a_service_stops(served):
    assert main(["serve"]) == 1
    assert all(child.signals == [signal.SIGTERM] for child in served.started)


def test_serve_stops_its_services_on_sigterm(served, monkeypatch):
    monkeypatch.setattr(_Child, "running", True)
    previous = signal.getsignal(signal.SIGTERM)
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    try:
        with pytest.raises(SystemExit):
            main(["serve"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert [child.signals for child in served.started] == [[signal.SIGTERM]] * 7


def test_serve_starts_a_worker_per_service_beside_its_api(served):
    served()
    workers = [child.command[2:] for child in served.started if child.command[2].endswith(".worker")]
    assert workers == [[f"services.{name}.worker"] for name in ("tasks_api", "reporting_api", "notify_api")]


def test_serve_puts_the_three_services_behind_one_origin_on_port_8000(served):
    served()
    (gateway,) = [child.command[3:] for child in served.started if child.command[2] == "services.gateway"]
    assert gateway == [
        "--upstream=tasks_api=http://127.0.0.1:8001",
        "--upstream=reporting_api=http://127.0.0.1:8002",
        "--upstream=notify_api=http://127.0.0.1:8003",
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
    ]


def test_serve_runs_notify_api_with_its_interval_dispatch_on(served, monkeypatch):
    monkeypatch.delenv("NOTIFY_API_DISPATCH_INTERVAL_SECONDS", raising=False)
    env = served()["notify_api"]
    monkeypatch.setattr("os.environ", env)
    assert NotifySettings().dispatch_interval_seconds == 60
    assert (env["NOTIFY_API_TASKS_API_URL"], env["NOTIFY_API_REPORTING_API_URL"]) == (
        "http://127.0.0.1:8001",
        "http://127.0.0.1:8002",
    )


@pytest.mark.parametrize("chosen", ["0", "300"])
def test_serve_keeps_the_dispatch_interval_the_user_chose(served, monkeypatch, chosen):
    monkeypatch.setenv("NOTIFY_API_DISPATCH_INTERVAL_SECONDS", chosen)
    assert served()["notify_api"]["NOTIFY_API_DISPATCH_INTERVAL_SECONDS"] == chosen
