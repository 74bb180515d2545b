"""The clients of the replica test: a balancer that spreads requests over a service's two replicas and moves a request
the dead one did not answer to the live one (same Idempotency-Key, same If-Match, as a load balancer's retry), and the
writers that drive each service, keeping what every write they sent became."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

FULL_CONTENT = {"progress": "推进中", "achievements": "完成阶段目标", "problems": "无", "next_steps": "继续推进"}


@dataclass(frozen=True)
class Answer:
    """One request to one replica: its status, or None when the replica did not answer (killed)."""

    service: str
    replica: int
    status: int | None
    at: float


class Balancer:
    """Round robin over a service's replicas; a replica that does not answer is taken out and the request retried on
    the other. Shared by the writer threads, as one load balancer in front of the service."""

    def __init__(self, service: str, urls: list[str], answers: list[Answer]) -> None:
        self.service, self.answers = service, answers
        self.clients = [httpx.Client(base_url=url, timeout=60) for url in urls]
        self.down: set[int] = set()
        self._turns = itertools.count()

    def request(self, method: str, path: str, **options: object) -> httpx.Response:
        first = next(self._turns) % len(self.clients)
        for replica in (first, *(r for r in range(len(self.clients)) if r != first)):
            if replica in self.down:
                continue
            try:
                response = self.clients[replica].request(method, path, **options)  # type: ignore[arg-type]
            except httpx.TransportError:
                self.answers.append(Answer(self.service, replica, None, time.monotonic()))
                self.down.add(replica)
                continue
            self.answers.append(Answer(self.service, replica, response.status_code, time.monotonic()))
            return response
        raise AssertionError(f"no replica of {self.service} answered {method} {path}")

    def close(self) -> None:
        for client in self.clients:
            client.close()


@dataclass
class Ledger:
    """What the writers know of their writes: for each record, the states it may be in (one when acknowledged)."""

    units: dict[int, set[str]] = field(default_factory=dict)  # unit id → its possible names
    duties: set[int] = field(default_factory=set)  # units acknowledged as assigned to the item
    reports: dict[int, set[str]] = field(default_factory=dict)  # report id → its possible statuses
    dispatches: set[int] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)  # what a writer thread failed with
    acknowledged: int = 0  # 2xx answers to writes
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self) -> None:
        with self.lock:
            self.acknowledged += 1

    def thread(self, target: Callable[..., None], *args: object) -> threading.Thread:
        """A writer thread whose failure is kept for the test to see."""

        def run() -> None:
            began = time.monotonic()
            try:
                target(*args)
                print(f"{target.__name__} wrote for {time.monotonic() - began:.1f} s")
            except BaseException as exc:
                self.errors.append(exc)
                raise

        return threading.Thread(target=run, name=target.__name__)


@dataclass(frozen=True)
class Writers:
    """Who the writers act as: the office, and a unit by its id."""

    office: dict[str, str]
    unit: Callable[[int], dict[str, str]]


def _register(tasks: Balancer, office: dict[str, str], name: str, key: str, ledger: Ledger) -> tuple[int, str] | None:
    """A new unit's id and ETag; None when a retry found that the dead replica never made it."""
    created = tasks.request(
        "POST", "/v1/units", json={"name": name, "kind": "department"}, headers={**office, "Idempotency-Key": key}
    )
    if created.status_code == 201:
        ledger.ack()
        return created.json()["id"], created.headers["etag"]
    assert created.status_code == 409, created.text  # the retry of a request the dead replica took: made or not
    found = tasks.request("GET", "/v1/units", params={"name": name}, headers=office).json()["data"]
    assert len(found) <= 1, "a retried unit was made twice"
    return (found[0]["id"], f'"{found[0]["version"]}"') if found else None


def write_units(
    tasks: Balancer, reporting: Balancer, who: Writers, item_id: int, writer: int, count: int, ledger: Ledger
) -> None:
    """Register a unit, rename it (If-Match), assign it to the item (an item.assigned event) and have it file a report
    at once through reporting_api, whose replicas must see the assignment: `count` times."""
    for n in range(count):
        name = f"副本测试单位-{writer}-{n}"
        if (made := _register(tasks, who.office, name, f"unit-{writer}-{n}", ledger)) is None:
            continue
        unit_id, etag = made
        ledger.units[unit_id] = {name}
        renamed = tasks.request(
            "PATCH", f"/v1/units/{unit_id}", json={"name": f"{name}-更名"}, headers={**who.office, "If-Match": etag}
        )
        assert renamed.status_code in (200, 412), renamed.text  # 412: the dead replica renamed it (or not)
        ledger.units[unit_id] = {f"{name}-更名"} if renamed.status_code == 200 else {name, f"{name}-更名"}
        assigned = tasks.request(
            "POST",
            f"/v1/items/{item_id}/responsibilities",
            json={"unit_id": unit_id, "role": "co"},
            headers={**who.office, "Idempotency-Key": f"duty-{writer}-{n}"},
        )
        assert assigned.status_code in (201, 409), assigned.text
        if assigned.status_code != 201:
            continue
        ledger.duties.add(unit_id)
        filed = reporting.request(
            "POST",
            "/v1/reports",
            json={"item_id": item_id, "period": "2020-Q1", **FULL_CONTENT},
            headers={**who.unit(unit_id), "Idempotency-Key": "first-report"},
        )
        assert filed.status_code in (201, 409), filed.text  # 403 would be a replica's stale view of the item
        if filed.status_code == 201:
            ledger.reports[filed.json()["id"]] = {"draft"}
        for answer in (renamed, assigned, filed):
            if answer.status_code < 300:
                ledger.ack()


def write_reports(
    reporting: Balancer, office: dict[str, str], unit: dict[str, str], slots: list[tuple[int, str]], ledger: Ledger
) -> None:
    """File, submit and accept a report for each (item, period) as the unit: a report.submitted and a report.accepted
    event each."""
    for item_id, period in slots:
        key = f"report-{item_id}-{period}"  # keys are the caller's own: the unit's
        filed = reporting.request(
            "POST",
            "/v1/reports",
            json={"item_id": item_id, "period": period, **FULL_CONTENT},
            headers={**unit, "Idempotency-Key": key},
        )
        if filed.status_code != 201:
            assert filed.status_code == 409, filed.text
            continue  # made by the dead replica or not at all; the test counts the copies
        ledger.ack()
        report_id, etag = filed.json()["id"], filed.headers["etag"]
        ledger.reports[report_id] = {"draft"}
        for step, body, headers, after in (
            ("submit", None, unit, "submitted"),
            ("review", {"decision": "accept"}, office, "accepted"),
        ):
            done = reporting.request(
                "POST", f"/v1/reports/{report_id}/{step}", json=body, headers={**headers, "If-Match": etag}
            )
            if done.status_code == 200:
                ledger.ack()
                ledger.reports[report_id] = {after}
                etag = done.headers["etag"]
                continue
            assert done.status_code == 412, done.text  # the dead replica took this step, or not
            ledger.reports[report_id] |= {after}
            read = reporting.request("GET", f"/v1/reports/{report_id}", headers=office)
            if read.json()["status"] != after:
                break
            etag = read.headers["etag"]


def dispatch(notify: Balancer, office: dict[str, str], moments: list[str], ledger: Ledger) -> None:
    """Ask for a dispatch as of each moment (the same moment twice runs once), reading the outbox between."""
    for as_of in moments:
        run = notify.request("POST", "/v1/dispatches", json={"as_of": as_of}, headers=office)
        assert run.status_code in (200, 201), run.text
        ledger.ack()
        ledger.dispatches.add(run.json()["id"])
        assert notify.request("GET", "/v1/notifications", params={"limit": 20}, headers=office).status_code == 200
