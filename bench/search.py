"""The search figures (issue 17 §5): p95 of `GET /v1/search` for typical Chinese queries over the data set, on
tasks_api (its 100,000 items and their indicators at scale 1) and reporting_api (its 1,000,000 reports), as the
office and as a unit; target ≤ 50 ms. A first page each time, sequentially, after one warm-up per query.

The queries mix the ways a word is found: one in nearly every record (the newest ones are read), one in a few per
cent of them, two words together, one found nowhere (the index answers alone), and a unit's own hits."""

from __future__ import annotations

from collections.abc import Callable

from bench.caller import Caller
from bench.figures import SEARCH_NAMES, Figure, at_most
from bench.load import percentile, timings_ms
from bench.processes import Stack
from bench.reads import Subjects
from services.common.auth import mint_token
from services.tasks_api.settings import TasksSettings

TARGET_MS = 50.0
ITEM_QUERIES = ("推进", "重点工作", "计划事项 指标", "事项 1234", "碳达峰")
REPORT_QUERIES = ("推进", "长三角一体化", "生态环境 水质", "数字化改革", "人才", "碳达峰")


def search_figures(stack: Stack, subjects: Subjects, headers: dict[str, str], samples: int) -> list[Figure]:
    unit = {"Authorization": f"Bearer {_unit_token(subjects.unit_id)}"}
    figures = []
    for name, url, queries in (
        (SEARCH_NAMES[0], stack.tasks.url, ITEM_QUERIES),
        (SEARCH_NAMES[1], stack.reporting.url, REPORT_QUERIES),
    ):
        with Caller(url, {}, timeout=60) as caller:  # http.client, as the oversight figures (bench/caller.py)
            office = _timings(caller, queries, headers, samples)
            own = _timings(caller, queries[:2], unit, samples)
        note = f"{len(queries)} queries as the office, 2 as a unit; unit p95 {percentile(own, 95):.1f} ms"
        figures.append(at_most(name, percentile(office + own, 95), "ms", TARGET_MS, note=note))
    return figures


def _timings(caller: Caller, queries: tuple[str, ...], headers: dict[str, str], samples: int) -> list[float]:
    times: list[float] = []
    for query in queries:
        call = _search(caller, query, headers)
        call()  # warm-up: the connection, the statement's plan
        times += timings_ms(call, samples)
    return times


def _search(caller: Caller, query: str, headers: dict[str, str]) -> Callable[[], None]:
    def call() -> None:
        caller.get("/v1/search", {"q": query, "limit": 20}, headers)

    return call


def _unit_token(unit_id: int) -> str:
    return mint_token(TasksSettings(environment="test"), role="unit", unit_id=unit_id, subject="bench-unit")
