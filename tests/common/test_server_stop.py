"""A served process stops quietly: SIGTERM (a container stop) or SIGINT (Ctrl-C) ends a service's server and the
gateway after their graceful shutdown, with no traceback an operator would take for a crash (services/common/
server.serve)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bench.processes import free_port

STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM]


def started(module: str, arguments: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`python -m module …` once its port accepts connections."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, *arguments, "--port", str(port), "--log-level", "warning"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{module} did not start: {process.communicate()[1].decode()[-2000:]}")


def stopped(process: subprocess.Popen[bytes], sent: signal.Signals) -> tuple[int, str]:
    """Its exit status and what it wrote to stderr, once `sent` stopped it."""
    process.send_signal(sent)
    _, err = process.communicate(timeout=30)
    return process.returncode, err.decode()


@pytest.fixture
def gateway() -> Iterator[subprocess.Popen[bytes]]:
    process = started("services.gateway", ["--upstream", "tasks_api=http://127.0.0.1:9"], {})
    yield process
    process.kill()


@pytest.fixture
def tasks_server(tasks_database: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {"TASKS_API_DATABASE_URL": tasks_database, "TASKS_API_ENVIRONMENT": "test"}
    process = started("services.common.server", ["tasks_api"], env)
    yield process
    process.kill()


@pytest.mark.parametrize("sent", STOP_SIGNALS, ids=lambda s: s.name)
def test_the_gateway_stops_without_a_traceback(gateway, sent):
    status, err = stopped(gateway, sent)
    assert status in (0, -signal.SIGTERM)
    assert "Traceback" not in err


@pytest.mark.parametrize("sent", STOP_SIGNALS, ids=lambda s: s.name)
def test_a_service_stops_without_a_traceback(tasks_server, sent):
    status, err = stopped(tasks_server, sent)
    assert status in (0, -signal.SIGTERM)
    assert "Traceback" not in err


def test_ctrl_c_ends_a_service_with_status_0(tasks_server):
    assert stopped(tasks_server, signal.SIGINT)[0] == 0
