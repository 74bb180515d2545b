"""The services scale out (issue 16 §5): two replicas of each service and two workers each serve a mixed load through
both replicas; one replica of each service and one worker of each are killed with SIGKILL in the middle. Every
acknowledged write is there, every outbox event reached notify_api and its subscriber, no reminder or event went out
under two webhook-ids and a webhook-id twice only for a send whose deliverer was killed before it could record it,
and the surviving replicas answered every request sent to them.

PostgreSQL only: replicas share their service's database over the network, which SQLite (one file, one host) is not.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from services.common.events.catalogue import EVENT_TYPES
from tests.databases import BACKEND
from tests.replicas.checks import delivered, settle
from tests.replicas.cluster import Cluster, running_cluster
from tests.replicas.load import Answer, Balancer, Ledger, Writers, dispatch, write_reports, write_units
from tests.tasks_api.factories import SMALL_PLAN

pytestmark = [
    pytest.mark.skipif(BACKEND != "postgresql", reason="replicas share a database server; SQLite is one local file"),
    pytest.mark.timeout(300),
]

UNITS_PER_WRITER = 8
PERIODS = ("2020-Q1", "2020-Q3")
# Moments a reminder is due for the small plan's deadlines (Beijing time), each dispatched once.
MOMENTS = [
    f"{day}T10:00:00+08:00"
    for day in ("2020-06-29", "2020-12-24", "2020-12-30", "2021-03-30", "2021-06-23", "2021-06-30")
]


@pytest.fixture(scope="module")
def cluster(databases, tmp_path_factory):
    with running_cluster(databases, tmp_path_factory.mktemp("replicas")) as running:
        yield running


def _setup(cluster: Cluster, auth) -> dict[str, int]:
    """The small plan, a subscription to every event and a webhook per unit, through the second replicas."""
    office = auth("office")
    tasks, notify = cluster.tasks.urls[1], cluster.notify.urls[1]
    hooks = cluster.receiver.url + "/hooks"
    subscribed = httpx.post(  # first: the plan's own item.assigned events are delivered too
        f"{notify}/v1/subscriptions",
        json={"url": f"{hooks}/events", "event_types": sorted(EVENT_TYPES)},
        headers=office,
        timeout=30,
    )
    assert subscribed.status_code == 201, subscribed.text
    imported = httpx.post(f"{tasks}/v1/plans/import", json=SMALL_PLAN, headers=office, timeout=60)
    assert imported.status_code == 200, imported.text
    plan_id = imported.json()["plan_id"]
    items = httpx.get(f"{tasks}/v1/plans/{plan_id}/items", headers=office, timeout=30).json()["data"]
    ids = {item["key"]: item["id"] for item in items}
    for unit in httpx.get(f"{tasks}/v1/units", headers=office, timeout=30).json()["data"]:
        ids[unit["name"]] = unit["id"]
        contact = {
            "owner_kind": "unit",
            "owner_id": unit["id"],
            "channel": "webhook",
            "target": f"{hooks}/{unit['id']}",
        }
        assert httpx.post(f"{notify}/v1/contacts", json=contact, headers=office, timeout=30).status_code == 201
    return ids


def _writers(
    cluster: Cluster, auth, ids: dict[str, int], ledger: Ledger, answers: list[Answer]
) -> list[threading.Thread]:
    office = auth("office")
    tasks, reporting, notify = (Balancer(r.service, r.urls, answers) for r in cluster.services)
    duties = {"市交通运输局": ["T1"], "市发改委": ["T1", "T3"], "市水利局": ["T2"]}
    who = Writers(office, lambda unit_id: auth("unit", unit_id=unit_id))
    jobs = [(write_units, (tasks, reporting, who, ids["T3"], w, UNITS_PER_WRITER, ledger)) for w in range(2)]
    jobs += [
        (
            write_reports,
            (
                reporting,
                office,
                auth("unit", unit_id=ids[unit]),
                [(ids[key], period) for key in keys for period in PERIODS],
                ledger,
            ),
        )
        for unit, keys in duties.items()
    ]
    jobs.append((dispatch, (notify, office, MOMENTS, ledger)))
    return [ledger.thread(target, *args) for target, args in jobs]


def test_two_replicas_of_each_service_lose_nothing_and_send_nothing_twice_when_one_of_each_is_killed(cluster, auth):
    started = time.monotonic()
    print(f"cluster up in {started - cluster.started:.1f} s")
    ids = _setup(cluster, auth)
    ledger, answers = Ledger(), []
    writers = _writers(cluster, auth, ids, ledger, answers)
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 60
    while ledger.acknowledged < 25 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed_at, acknowledged_before = time.monotonic(), ledger.acknowledged
    for replicas in cluster.services:
        replicas.apis[0].kill()
        replicas.workers[0].kill()
    for writer in writers:
        writer.join(timeout=120)
    assert not any(writer.is_alive() for writer in writers)
    assert ledger.errors == []
    assert ledger.acknowledged > acknowledged_before, "the kill came after the load, not in the middle of it"
    unanswered = sum(a.status is None for a in answers)
    print(
        f"load done in {time.monotonic() - started:.1f} s: {ledger.acknowledged} writes acknowledged, {len(answers)}"
        f" answers, {unanswered} requests the killed replicas did not answer (retried on the others)"
    )

    # The survivors answered every request sent to them; only the killed replicas failed, and only once killed.
    assert [a for a in answers if a.status is not None and a.status >= 500] == []
    assert all(a.replica == 0 and a.at >= killed_at for a in answers if a.status is None)
    assert sum(a.replica == 1 and a.at > killed_at for a in answers) > 0

    office = auth("office")
    tasks, reporting, notify = (replicas.urls[1] for replicas in cluster.services)
    for unit_id, names in ledger.units.items():
        assert httpx.get(f"{tasks}/v1/units/{unit_id}", headers=office).json()["name"] in names
    duties = httpx.get(f"{tasks}/v1/items/{ids['T3']}/responsibilities", params={"limit": 500}, headers=office)
    assert ledger.duties <= {duty["unit_id"] for duty in duties.json()["data"]}
    reports = httpx.get(f"{reporting}/v1/reports", params={"limit": 500}, headers=office).json()["data"]
    statuses = {report["id"]: report["status"] for report in reports}
    assert all(statuses[report_id] in possible for report_id, possible in ledger.reports.items())
    slots = [(r["item_id"], r["unit_id"], r["period"]) for r in reports]
    assert len(slots) == len(set(slots)), "a retried report was filed twice"
    assert all(
        httpx.get(f"{notify}/v1/dispatches/{run}", headers=office).status_code == 200 for run in ledger.dispatches
    )

    settle(cluster, deadline=time.monotonic() + 45)
    delivered(cluster)
    print(f"settled {time.monotonic() - started:.1f} s after the start")
