"""A real tasks_api process killed with SIGKILL in the middle of a burst of writes loses no acknowledged write and
leaves no unacknowledged one half there; started without its database it stays up and says why."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import QUZHOU_PLAN

DUBAN = str(Path(sys.executable).parent / "duban")
SEED_ITEMS = 105  # the items of the Quzhou plan: an import is complete only with all of them
UNIT_WRITERS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def tasks_api_process(database_url: str, log: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """`python -m uvicorn` serving tasks_api on a free port; yields the process and its base URL."""
    port = _free_port()
    env = {**os.environ, "TASKS_API_DATABASE_URL": database_url, "TASKS_API_ENVIRONMENT": "test"}
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "services.tasks_api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen, path: str = "/healthz") -> httpx.Response:
    deadline = time.monotonic() + 60  # a busy machine imports the app slowly; a crashed one ends at once
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(url + path, timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"tasks_api did not come up (exit code {process.poll()})")


class Burst:
    """Writers creating units (one Idempotency-Key each) and importing copies of the Quzhou plan, until killed."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.units: dict[str, int] = {}  # acknowledged: name → id
        self.unanswered: dict[str, str] = {}  # sent, no answer yet: Idempotency-Key → name
        self.plans: dict[str, int] = {}  # acknowledged: plan key → id
        self.imports_sent = 0
        self.stop = threading.Event()

    def create_units(self, writer: int) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as client:
            for n in range(10_000):
                name, key = f"崩溃测试单位-{writer}-{n}", f"crash-unit-{writer}-{n}"
                self.unanswered[key] = name
                try:
                    response = client.post(
                        "/v1/units", json={"name": name, "kind": "department"}, headers={"Idempotency-Key": key}
                    )
                except httpx.TransportError:
                    return
                del self.unanswered[key]
                if response.status_code == 201:
                    self.units[name] = response.json()["id"]

    def import_plans(self) -> None:
        seed = QUZHOU_PLAN.read_text(encoding="utf-8")
        with httpx.Client(
            base_url=self.url, headers={**self.headers, "Content-Type": "application/yaml"}, timeout=60
        ) as client:
            for n in range(1000):
                key = f"crash-{n}"
                self.imports_sent += 1
                try:
                    response = client.post(
                        "/v1/plans/import", content=seed.replace("key: quzhou-yrd-2019-2025", f"key: {key}", 1).encode()
                    )
                except httpx.TransportError:
                    return
                if response.status_code in (200, 201):
                    self.plans[key] = response.json()["plan_id"]
                time.sleep(0.1)  # SQLite has one writer: let the unit writers in between imports

    def run_until(self, process: subprocess.Popen) -> None:
        """Write until an import and some units are acknowledged and another import was sent a moment ago, then
        SIGKILL."""
        writers = [threading.Thread(target=self.create_units, args=(w,)) for w in range(UNIT_WRITERS)]
        writers.append(threading.Thread(target=self.import_plans))
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 15
        while (
            not (self.plans and len(self.units) >= 10 and self.imports_sent > len(self.plans))
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        time.sleep(0.3)  # into the second import's transaction
        os.kill(process.pid, signal.SIGKILL)
        for writer in writers:
            writer.join(timeout=30)


@pytest.fixture
def crash_database(databases) -> str:
    url = databases.create("crash")
    subprocess.run(
        [DUBAN, "migrate", "tasks_api"],
        env={**os.environ, "TASKS_API_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    return url


def test_after_a_sigkill_mid_burst_every_acknowledged_write_is_there_and_no_import_is_half_there(
    crash_database, auth, tmp_path
):
    log = tmp_path / "tasks_api.log"
    with tasks_api_process(crash_database, log) as (process, url):
        _wait_until_up(url, process)
        burst = Burst(url, auth("office"))
        burst.run_until(process)
        assert process.wait(timeout=10) == -signal.SIGKILL
    assert burst.plans and burst.units, "the burst was killed before anything was acknowledged"

    with (
        tasks_api_process(crash_database, log) as (process, url),
        httpx.Client(base_url=url, headers=auth("viewer"), timeout=30) as client,
    ):
        assert _wait_until_up(url, process, "/readyz").status_code == 200
        for name, unit_id in burst.units.items():
            assert client.get(f"/v1/units/{unit_id}").json()["name"] == name
        plans = {p["key"]: p["id"] for p in client.get("/v1/plans", params={"limit": 500}).json()["data"]}
        assert burst.plans.items() <= plans.items()
        for key, plan_id in plans.items():  # acknowledged or not: every plan there is whole
            items = client.get(f"/v1/plans/{plan_id}/items", params={"limit": 500}).json()["data"]
            assert len(items) == SEED_ITEMS, f"plan {key} has {len(items)} of its {SEED_ITEMS} items"
        # A retry of a write the crash left unanswered never makes a second unit: it is made, or still in flight.
        for key, name in burst.unanswered.items():
            retry = client.post(
                "/v1/units",
                json={"name": name, "kind": "department"},
                headers={**auth("office"), "Idempotency-Key": key},
            )
            assert retry.status_code in (201, 409), retry.text
            assert len(client.get("/v1/units", params={"name": name}).json()["data"]) <= 1


def test_a_tasks_api_process_without_its_database_stays_up_answers_not_ready_and_logs_why(tmp_path):
    log = tmp_path / "tasks_api.log"
    missing = "postgresql+asyncpg://postgres@127.0.0.1:5432/duban_no_such_database"
    with tasks_api_process(missing, log) as (process, url):
        for _ in range(3):
            response = _wait_until_up(url, process, "/readyz")
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
        assert process.poll() is None
    lines = log.read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith("tasks_api: the database at ") and "not reachable" in line]
