"""The instructions and cache misses one list page costs, counted by callgrind: figures the load does not move.

On a shared two-core machine the wrk figures and even CPU time per request (bench.list_cost) move by a third from one
minute to the next, so a change worth 3 % cannot be seen in them. Callgrind counts what the process executes: each
side (the service's whole ASGI stack, the raw baseline) runs in a process of its own under valgrind, started with
counting off, warmed, then counted over `--requests` requests (ten at a time, as the pool sees them under load) and
dumped. Counts repeat to within 1-2 %. Besides instructions (Ir), the first-level instruction and data cache misses
(I1mr, D1mr+D1mw) are counted: a Python service pays more for running more distinct code than for its instructions,
and `estimate` weighs each miss as 12 instructions (a second-level cache hit).

    apt-get install valgrind
    python -m bench.instructions --prefix bench --requests 500            # items p1, service against raw
    python -m bench.instructions --prefix bench --only "reports by plan+period"

The two sides run side by side, a minute or two: valgrind runs a process about fifty times slower.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import baseline, list_cost, reads
from bench.generate import ADMIN_DSN, Target
from services.common import loops
from services.common.auth import mint_token
from services.reporting_api.app import create_app as create_reporting
from services.reporting_api.settings import ReportingSettings
from services.tasks_api.app import create_app as create_tasks
from services.tasks_api.settings import TasksSettings

MISS_WEIGHT = 12  # instructions a first-level miss is worth: about a second-level cache hit's cycles
WARM_UP = 200
AT_ONCE = 10
SIDES = ("service", "raw")


@dataclass(frozen=True, slots=True)
class Counts:
    """What one request executed, on average."""

    instructions: float
    instruction_misses: float
    data_misses: float

    @property
    def estimate(self) -> float:
        return self.instructions + MISS_WEIGHT * (self.instruction_misses + self.data_misses)


def per_request(dump: str, requests: int) -> Counts:
    """The counts per request of a callgrind dump (its `events:` and `summary:` lines) over `requests` requests."""
    lines = dump.splitlines()
    events = next(line.split()[1:] for line in lines if line.startswith("events:"))
    totals = next(line.split()[1:] for line in lines if line.startswith("summary:"))
    found = dict(zip(events, map(int, totals), strict=True))
    return Counts(found["Ir"] / requests, found["I1mr"] / requests, (found["D1mr"] + found["D1mw"]) / requests)


def count_both(figure: str, prefix: str, requests: int, scratch: Path) -> dict[str, Counts]:
    """Start each side under callgrind with counting off (side by side: the counts are each process's own), count
    their requests, and read the dumps."""
    children = {side: _counted_child(side, figure, prefix, requests, scratch / side) for side in SIDES}
    try:
        for step, command in (("ready", "--instr=on"), ("done", "--dump")):
            for side, child in children.items():
                _expect(child, step, scratch / f"{side}.log")
            for child in children.values():
                subprocess.run(["callgrind_control", command, str(child.pid)], check=True, capture_output=True)
                if step == "ready":
                    _say(child, "go")
    finally:
        for child in children.values():
            child.kill()
            child.wait()
    return {side: per_request((scratch / f"{side}.1").read_text(), requests) for side in SIDES}


def _counted_child(side: str, figure: str, prefix: str, requests: int, out: Path) -> subprocess.Popen[str]:
    command = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", "--cache-sim=yes", f"--callgrind-out-file={out}",
        sys.executable, "-m", "bench.instructions", "--prefix", prefix, "--child", side, "--only", figure,
        "--requests", str(requests),
    ]  # fmt: skip
    with open(out.with_suffix(".log"), "w") as log:  # valgrind's own lines, and the child's errors
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)


def _say(child: subprocess.Popen[str], word: str) -> None:
    assert child.stdin is not None
    child.stdin.write(word + "\n")
    child.stdin.flush()


def _expect(child: subprocess.Popen[str], word: str, log: Path) -> None:
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if line != word:
        tail = log.read_text().splitlines()[-5:]
        raise RuntimeError(f"the counted process said {line!r}, not {word!r}: " + " / ".join(tail))


async def serve_counted(side: str, figure: str, target: Target, requests: int) -> None:
    """The child: warm up, say ready, wait for the go (counting is on then), make the requests, say done."""
    os.environ["BENCH_TASKS_DSN"] = target.dsn("tasks_api")
    os.environ["BENCH_REPORTING_DSN"] = target.dsn("reporting_api")
    subjects = await reads.find_subjects(target)
    url, raw_url = reads.list_runs("http://tasks", "http://reporting", "http://raw", subjects)[figure]
    if side == "raw":
        app: list_cost.App = baseline.Baseline()
        url, headers = raw_url, {}
    elif figure.startswith("items"):
        settings = TasksSettings(environment="test", database_url=target.url("tasks_api"))
        app, headers = create_tasks(settings), {"Authorization": f"Bearer {_token(settings)}"}
    else:
        reporting = ReportingSettings(environment="test", database_url=target.url("reporting_api"))
        app, headers = create_reporting(reporting), {"Authorization": f"Bearer {_token(reporting)}"}
    async with list_cost.serving(app):
        for _ in range(WARM_UP):
            await _one(app, url, headers)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        async def some(n: int) -> None:
            for _ in range(n):
                await _one(app, url, headers)

        await asyncio.gather(*(some(requests // AT_ONCE) for _ in range(AT_ONCE)))
        print("done", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # killed while waiting


def _token(settings: TasksSettings | ReportingSettings) -> str:
    return mint_token(settings, role="office", subject="bench")


async def _one(app: list_cost.App, url: str, headers: dict[str, str]) -> None:
    status = await list_cost.call(app, url, headers)
    if status != 200:
        raise RuntimeError(f"{url} answered {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--admin-dsn", default=ADMIN_DSN)
    parser.add_argument("--requests", type=int, default=500, help="requests counted on each side")
    parser.add_argument("--only", default="items p1", help="the list figure (bench/reads.list_runs)")
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    target = Target(args.prefix, args.admin_dsn)
    if args.child:
        loops.run(serve_counted(args.child, args.only, target, args.requests))  # the loop the services run on
        return
    requests = args.requests // AT_ONCE * AT_ONCE
    with tempfile.TemporaryDirectory() as scratch:
        found = count_both(args.only, args.prefix, requests, Path(scratch))
    for side, counts in found.items():
        print(
            f"{args.only}, {side:7}  instructions {counts.instructions / 1e3:7.1f}k  I1 misses "
            f"{counts.instruction_misses / 1e3:5.2f}k  D1 misses {counts.data_misses / 1e3:5.2f}k  "
            f"estimate {counts.estimate / 1e3:7.1f}k"
        )
    ours, theirs = found["service"], found["raw"]
    print(
        f"service / raw: {ours.estimate / theirs.estimate:.2f}× the estimate, "
        f"{ours.instructions / theirs.instructions:.2f}× the instructions"
    )


if __name__ == "__main__":
    main()
