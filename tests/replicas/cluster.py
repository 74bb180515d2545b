"""Two replicas of each service and two workers each, on their own migrated databases, with a webhook receiver that
counts deliveries by webhook-id: the processes of bench/processes.py, started side by side.

The peers a service calls (reporting_api → tasks_api, notify_api → both, the outbox relays → notify_api) are the
second replica of each, the one the test keeps alive: in production a Service or load balancer sends them to the
live replicas, which is not what this test is about.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.processes import Process, fork_module, free_port, wait_ready
from tests.databases import TestDatabases

SERVICES = ("tasks_api", "reporting_api", "notify_api")
LEASE_SECONDS = "3"  # a dead worker's job, and a dead deliverer's notifications, are taken over after this


@dataclass
class Replicas:
    """One service: its two API processes, its two workers and its database."""

    service: str
    apis: list[Process]
    workers: list[Process]
    database: str

    @property
    def urls(self) -> list[str]:
        return [api.url for api in self.apis]


@dataclass
class Cluster:
    tasks: Replicas
    reporting: Replicas
    notify: Replicas
    receiver: Process
    started: float  # time.monotonic() when the processes were started

    @property
    def services(self) -> list[Replicas]:
        return [self.tasks, self.reporting, self.notify]


def cluster_env(databases: dict[str, str], ports: dict[str, list[int]]) -> dict[str, str]:
    """The environment of every process: each service's database, its peers (their second replica), short leases."""
    common = {
        "ENVIRONMENT": "test",
        "DATABASE_POOL_SIZE": "4",
        "JOB_LEASE_SECONDS": LEASE_SECONDS,
        "JOB_GRACE_SECONDS": "3",  # the workers run the dispatches (conftest sets 0 for in-process apps)
        "JOB_WAIT_SECONDS": "40",
        "PEER_BUDGET_SECONDS": "20",
        "PEER_TIMEOUT_SECONDS": "10",
    }
    survivor = {service: f"http://127.0.0.1:{ports[service][1]}" for service in SERVICES}
    return {
        **{f"{s.upper()}_{k}": v for s in SERVICES for k, v in common.items()},
        **{f"{s.upper()}_DATABASE_URL": databases[s] for s in SERVICES},
        "REPORTING_API_TASKS_API_URL": survivor["tasks_api"],
        "NOTIFY_API_TASKS_API_URL": survivor["tasks_api"],
        "NOTIFY_API_REPORTING_API_URL": survivor["reporting_api"],
        "TASKS_API_NOTIFY_API_URL": survivor["notify_api"],
        "REPORTING_API_NOTIFY_API_URL": survivor["notify_api"],
        "NOTIFY_API_LEASE_SECONDS": LEASE_SECONDS,
        "NOTIFY_API_DISPATCH_INTERVAL_SECONDS": "0",  # dispatches are asked for by the load
    }


def _api(service: str, n: int, port: int, env: dict[str, str], log_dir: Path) -> Process:
    """One replica, served as production serves it (`python -m services.common.server SERVICE --port P`)."""
    argv = [service, "--port", str(port), "--log-level", "warning"]
    return fork_module(
        f"{service}-{n}", "services.common.server", argv, env, port=port, log=log_dir / f"{service}-{n}.log"
    )


def _worker(service: str, n: int, env: dict[str, str], log_dir: Path) -> Process:
    """One worker (`python -m services.SERVICE.worker`), up once its metrics port answers."""
    port = free_port()
    env = {**env, f"{service.upper()}_WORKER_METRICS_ADDRESS": f"127.0.0.1:{port}"}
    name = f"{service}-worker-{n}"
    return fork_module(
        name, f"services.{service}.worker", [], env, port=port, ready_path="/metrics", log=log_dir / f"{name}.log"
    )


def _receiver(log_dir: Path) -> Process:
    port = free_port()
    argv = ["bench.receiver:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return fork_module("receiver", "uvicorn", argv, {}, port=port, ready_path="/stats", log=log_dir / "receiver.log")


@contextmanager
def running_cluster(test_databases: TestDatabases, log_dir: Path) -> Iterator[Cluster]:
    """Every process started at once, then waited for; all stopped at the end (those still running)."""
    databases = {service: test_databases.migrated(f"replicas_{service}", service) for service in SERVICES}
    ports = {service: [free_port(), free_port()] for service in SERVICES}
    started_at = time.monotonic()
    env = cluster_env(databases, ports)
    with ExitStack() as stack:

        def started(process: Process) -> Process:
            stack.callback(process.stop)
            return process

        replicas = [
            Replicas(
                service,
                [started(_api(service, n, port, env, log_dir)) for n, port in enumerate(ports[service])],
                [started(_worker(service, n, env, log_dir)) for n in range(2)],
                databases[service],
            )
            for service in SERVICES
        ]
        receiver = started(_receiver(log_dir))
        wait_ready(*(p for r in replicas for p in (*r.apis, *r.workers)), receiver)
        yield Cluster(*replicas, receiver, started_at)
        alive = [p for r in replicas for p in (*r.apis, *r.workers) if p.popen.poll() is None]
        print(f"CPU seconds of the surviving processes: {sum(_cpu_seconds(p.pid) for p in alive):.1f}")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
