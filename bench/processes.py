"""The processes a benchmark (or a multi-process test) runs against: the services, their workers, the raw baseline
and the webhook receiver.

Each is a uvicorn process on a free loopback port (a worker: its own metrics port), started and stopped by this run
only, with its memory (resident set and its peak, from /proc) readable while it runs. The services are served as
production serves them (`services.common.server`: the HTTP edge's protocol and limits); until 2026-12-05 the bench
served them with uvicorn's defaults, whose HTTP protocol then cost ~85 µs less a request than the edge's did. A
test that needs a dozen of them forks them from a server that imported the services once (`fork_module`): each
would otherwise spend seconds of CPU importing the same modules.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.generate import Target
from services.common.settings import REPO_ROOT


def status_mb(pid: int, field: str = "VmRSS") -> float:
    """A memory field of a process's /proc status (VmRSS: resident now; VmHWM: its peak since the last reset), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found for process {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen | Forked
    command: list[str]
    env: dict[str, str]
    log: Path | None = None
    ready_path: str = "/healthz"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory_mb(self, field: str = "VmRSS") -> float:
        """Resident memory (VmRSS) or its peak since the last reset (VmHWM), in MB."""
        return status_mb(self.popen.pid, field)

    def reset_peak(self) -> None:
        # Writing 5 to clear_refs resets VmHWM to the current RSS, so a peak can be measured per step.
        Path(f"/proc/{self.popen.pid}/clear_refs").write_text("5")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def restart(self) -> None:
        """Stopped and started again on its port: every in-process cache empty (a cold figure's restart)."""
        self.stop()
        self.popen = _spawn(self.command, self.env, self.log)
        _wait_ready(self)

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer ends a process: no shutdown, whatever it was doing left half done."""
        self.popen.kill()
        self.popen.wait(timeout=15)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start(
    name: str,
    app: str,
    env: dict[str, str],
    *,
    factory: bool,
    ready_path: str = "/healthz",
    port: int | None = None,
    log: Path | None = None,
) -> Process:
    """A uvicorn process serving `app`; returns once it answers `ready_path`."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        *(["--factory"] if factory else []),
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return _started(name, port, command, env, log, ready_path)


def start_service(service: str, env: dict[str, str], *, port: int, log: Path | None = None) -> Process:
    """A service as production serves it (`python -m services.common.server`: the HTTP edge's protocol and limits,
    JSON logs), not by uvicorn's defaults; returns once it answers /healthz."""
    command = [sys.executable, "-m", "services.common.server", service, "--host", "127.0.0.1", "--port", str(port)]
    return _started(service, port, [*command, "--log-level", "warning"], env, log, "/healthz")


def _started(
    name: str, port: int, command: list[str], env: dict[str, str], log: Path | None, ready_path: str
) -> Process:
    process = Process(name, port, _spawn(command, env, log), command, env, log, ready_path)
    _wait_ready(process)
    return process


# What a forked process would import anyway: imported once, by the server every fork_module child is forked from.
PRELOADED = (
    "services.common.server",
    "services.tasks_api.app",
    "services.reporting_api.app",
    "services.notify_api.app",
    "services.tasks_api.worker",
    "services.reporting_api.worker",
    "services.notify_api.worker",
    "bench.receiver",
    "uvicorn.main",
)


class Forked:
    """A forked child behind the few methods of subprocess.Popen a Process uses."""

    def __init__(self, child: multiprocessing.process.BaseProcess) -> None:
        self.child = child

    @property
    def pid(self) -> int:
        assert self.child.pid is not None
        return self.child.pid

    def poll(self) -> int | None:
        return self.child.exitcode

    def kill(self) -> None:
        self.child.kill()

    def terminate(self) -> None:
        self.child.terminate()

    def wait(self, timeout: float | None = None) -> int:
        self.child.join(timeout)
        if self.child.exitcode is None:
            raise subprocess.TimeoutExpired(str(self.child.name), timeout or 0)
        return self.child.exitcode


def fork_module(
    name: str,
    module: str,
    argv: Sequence[str],
    env: dict[str, str],
    *,
    port: int,
    ready_path: str = "/healthz",
    log: Path | None = None,
) -> Process:
    """`python -m module argv…` with `env` added, forked from a server that imported PRELOADED once, answering on
    `port`; `wait_ready` waits for it (several start side by side)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOADED))
    child = context.Process(target=_run_module, args=(module, list(argv), env, log), name=name)
    child.start()
    return Process(name, port, Forked(child), [module, *argv], env, log, ready_path)


def _run_module(module: str, argv: list[str], env: dict[str, str], log: Path | None) -> None:
    os.environ.update(env)  # before the module reads its settings
    out = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.argv = [module, *argv]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def wait_ready(*processes: Process) -> None:
    """Wait for each process to answer its ready path."""
    for process in processes:
        _wait_ready(process)


def _spawn(command: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen:
    with open(log or os.devnull, "ab") as out:  # the child has its own copy of the descriptor
        return subprocess.Popen(command, env={**os.environ, **env}, cwd=REPO_ROOT, stdout=out, stderr=out)


def _wait_ready(process: Process) -> None:
    deadline = time.monotonic() + 240  # two loaded cores start a service slowly
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited at start; see {process.log}")
        try:
            if httpx.get(process.url + process.ready_path, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.stop()
    raise RuntimeError(f"{process.name} did not start within 240 s")


@dataclass
class Stack:
    tasks: Process
    reporting: Process
    notify: Process
    baseline: Process
    receiver: Process

    @property
    def services(self) -> list[Process]:
        return [self.tasks, self.reporting, self.notify]


@contextmanager
def running_stack(target: Target, receiver_port: int, log_dir: Path) -> Iterator[Stack]:
    """The three services against the target's databases, the baseline, and the receiver."""
    log_dir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("tasks", "reporting", "notify")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    # The peer budget is raised from 5 s: reading all of plan 1 (50,000 items, 100,000 responsibilities) from
    # tasks_api takes longer, so its ledger and the dispatch would answer 503 instead of giving a figure.
    common = {
        "ENVIRONMENT": "test",
        "DATABASE_POOL_SIZE": "10",
        "PEER_BUDGET_SECONDS": "300",
        "PEER_TIMEOUT_SECONDS": "60",
    }
    env = {
        **{f"{prefix}_{k}": v for prefix in ("TASKS_API", "REPORTING_API", "NOTIFY_API") for k, v in common.items()},
        "TASKS_API_DATABASE_URL": target.url("tasks_api"),
        "REPORTING_API_DATABASE_URL": target.url("reporting_api"),
        "NOTIFY_API_DATABASE_URL": target.url("notify_api"),
        "REPORTING_API_TASKS_API_URL": urls["tasks"],
        "NOTIFY_API_TASKS_API_URL": urls["tasks"],
        "NOTIFY_API_REPORTING_API_URL": urls["reporting"],
        # The outbox relays stay off (no *_NOTIFY_API_URL): the bulk import's 300,000 item.assigned events
        # would be relayed in the background of every figure, and relaying is not one of them.
        "TASKS_API_NOTIFY_API_URL": "",
        "REPORTING_API_NOTIFY_API_URL": "",
        # No worker runs beside these services: a ledger request runs its export job itself at once (the fallback
        # without a worker), so the ledger figure is the export's own time, not a grace period spent waiting for one.
        "REPORTING_API_JOB_GRACE_SECONDS": "0",
        "BENCH_TASKS_DSN": target.dsn("tasks_api"),
        "BENCH_REPORTING_DSN": target.dsn("reporting_api"),
    }
    started: list[Process] = []
    try:
        for name, service in (("tasks", "tasks_api"), ("reporting", "reporting_api"), ("notify", "notify_api")):
            started.append(start_service(service, env, port=ports[name], log=log_dir / f"{service}.log"))
        started.append(
            start(
                "baseline",
                "bench.baseline:app",
                env,
                factory=False,
                ready_path="/nothing",
                log=log_dir / "baseline.log",
            )
        )
        started.append(
            start(
                "receiver",
                "bench.receiver:app",
                env,
                factory=False,
                ready_path="/stats",
                port=receiver_port,
                log=log_dir / "receiver.log",
            )
        )
        yield Stack(*started)
    finally:
        for process in reversed(started):
            process.stop()
