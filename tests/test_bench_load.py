"""A list and its raw baseline are measured taking turns, each side's median run kept (bench/load.in_turn)."""

from __future__ import annotations

import pytest

from bench import load
from bench.load import Load, Throughput, in_turn, median_run


def test_a_list_and_its_baseline_take_turns_the_baseline_first_each_round(monkeypatch: pytest.MonkeyPatch):
    asked: list[str] = []

    def measure(url: str, headers: dict[str, str], _: Load) -> Throughput:
        asked.append(url)
        return Throughput(1.0, 1.0, 1.0, 0)

    monkeypatch.setattr(load, "measure", measure)
    in_turn("http://service/list", "http://raw/list", {"Authorization": "Bearer t"}, Load(rounds=3))
    assert asked == ["http://raw/list", "http://service/list"] * 3


def test_each_side_keeps_its_median_run_so_that_one_busy_minute_does_not_decide(monkeypatch: pytest.MonkeyPatch):
    rates = {"http://raw/list": iter([1000, 1000, 400]), "http://service/list": iter([500, 1000, 400])}

    def measure(url: str, headers: dict[str, str], _: Load) -> Throughput:
        return Throughput(float(next(rates[url])), 1.0, 1.0, 0)

    monkeypatch.setattr(load, "measure", measure)
    service, baseline = in_turn("http://service/list", "http://raw/list", {}, Load(rounds=3))
    assert (service.rps, baseline.rps) == (500.0, 1000.0)


def test_the_median_run_takes_each_figures_median_and_every_error():
    runs = [Throughput(900, 2.0, 9.0, 1), Throughput(1000, 3.0, 30.0, 0), Throughput(1100, 1.0, 10.0, 2)]
    assert median_run(runs) == Throughput(1000, 2.0, 10.0, 3)
