"""Load generators: wrk (as in issue 6: `wrk -t2 -c32 -d8s`), or a Python one for smoke runs without wrk.

Both return requests per second and latency percentiles in milliseconds. The Python generator (httpx, one
event loop) saturates at a few hundred requests per second on this machine, so it only proves the pipeline
works; the figures of record come from wrk.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import httpx

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True, slots=True)
class Load:
    """How hard and how long: wrk's threads, connections and duration."""

    threads: int = 2
    connections: int = 32
    seconds: float = 8.0
    tool: str = "wrk"


@dataclass(frozen=True, slots=True)
class Throughput:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


ROUNDS = 3  # turns each list and its raw baseline take (in_turns)
WARM_SECONDS = 1.0  # a turn of each side before the counted ones (in_turns), not counted


@dataclass(frozen=True, slots=True)
class Probe:
    """A list as the service serves it (its URL and headers) and as the raw baseline serves it (its URL)."""

    url: str
    headers: dict[str, str]
    raw: str


def in_turns(probes: Sequence[Probe], load: Load) -> list[tuple[Throughput, Throughput]]:
    """Each probe's service and raw baseline, measured in ROUNDS rounds of turns (each probe's raw, then its service,
    probe after probe), each turn a ROUNDS-th of the load's time; each side the median of its turns (median_of).

    One measurement a side made a ratio a draw on a shared two-core machine: a moment the machine was slower (an
    autovacuum, a checkpoint, a neighbour) fell on one side of it. The same code gave items p1 0.84x against a raw of
    3,113 req/s and, measured right after, items deep page 0.67x against a raw of 3,753 (2026-12-06); five turns of
    each gave 0.66-0.90x and 0.67-0.78x, medians 0.70x both. Turns put such a moment on one turn of each side, and
    the medians leave it out; the probes a flatness figure compares (page 1 and a deep page, plan 1 and a typical
    plan) take their turns in the same rounds, so their medians are of the same minute of the machine.

    Each side first serves a turn of WARM_SECONDS that is not counted (since 2026-12-07): the first list measured
    in a run met processes just started and pools still opening (its service read 2,923-3,882 req/s in six runs, the
    list measured in the same rounds after it 3,686-3,965), so its median was the lower of two warm turns."""
    warm = replace(load, seconds=min(WARM_SECONDS, load.seconds / ROUNDS))
    for probe in probes:
        measure(probe.raw, {}, warm), measure(probe.url, probe.headers, warm)
    turn = replace(load, seconds=load.seconds / ROUNDS)
    runs: list[tuple[list[Throughput], list[Throughput]]] = [([], []) for _ in probes]
    for _ in range(ROUNDS):
        for probe, (services, raws) in zip(probes, runs, strict=True):
            raws.append(measure(probe.raw, {}, turn))
            services.append(measure(probe.url, probe.headers, turn))
    return [(median_of(services), median_of(raws)) for services, raws in runs]


def median_of(runs: list[Throughput]) -> Throughput:
    """Each figure's median over the runs (requests a second, p50, p99), and every run's errors."""
    return Throughput(
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.errors for r in runs),
    )


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def measure(url: str, headers: dict[str, str], load: Load) -> Throughput:
    if load.tool == "wrk":
        return run_wrk(url, headers, load)
    return asyncio.run(run_python(url, headers, load))


def run_wrk(url: str, headers: dict[str, str], load: Load) -> Throughput:
    command = ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{max(1, round(load.seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> Throughput:
    """Requests/sec, the 50 % and 99 % latencies, and non-2xx or socket errors, from `wrk --latency` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latencies = {p: _ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Throughput(rps, latencies["50"], latencies["99"], errors)


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


async def run_python(url: str, headers: dict[str, str], load: Load) -> Throughput:
    latencies: list[float] = []
    errors = 0
    stop = 0.0
    limits = httpx.Limits(max_connections=load.connections)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status_code >= 300

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        # The clock starts once the client is built: building it (its TLS context) can take longer than a smoke
        # run's whole duration on a busy machine, and then no request would be sent at all.
        started = time.perf_counter()
        stop = started + load.seconds
        await asyncio.gather(*(worker(client) for _ in range(load.connections)))
    elapsed = time.perf_counter() - started
    return Throughput(len(latencies) / elapsed, percentile(latencies, 50), percentile(latencies, 99), errors)


def percentile(values: list[float], pct: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(pct) - 1]


def timings_ms(call: callable, times: int) -> list[float]:
    """Run `call` (a blocking request) `times` times in a row; its durations in milliseconds."""
    found = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found
