"""A list and its raw baseline are measured in turns, and each side is the median of its turns."""

from __future__ import annotations

import pytest

from bench import load
from bench.load import Load, Throughput, in_turns, median_of


def test_each_side_is_the_median_of_its_turns_so_one_slow_moment_does_not_decide_the_ratio(monkeypatch):
    answers = {  # the raw's second turn met a slow moment of the machine, and the service's third
        "raw": iter([Throughput(3000, 5, 10, 0), Throughput(2000, 9, 30, 0), Throughput(3100, 5, 11, 0)]),
        "service": iter([Throughput(2400, 6, 12, 0), Throughput(2500, 6, 13, 1), Throughput(1500, 9, 40, 0)]),
    }
    asked: list[tuple[str, float]] = []

    def measure(url: str, headers: dict[str, str], load: Load) -> Throughput:
        asked.append((url, load.seconds))
        return next(answers[url])

    monkeypatch.setattr(load, "measure", measure)
    service, raw = in_turns(("service", {"Authorization": "Bearer t"}), "raw", Load(seconds=9))
    assert asked == [("raw", 3), ("service", 3)] * 3  # in turns, the raw first, a third of the time each
    assert (service.rps, service.p99_ms, service.errors) == (2400, 13, 1)
    assert (raw.rps, raw.p99_ms) == (3000, 11)


def test_the_median_of_one_run_is_that_run():
    run = Throughput(1234.5, 4.2, 17.0, 2)
    assert median_of([run]) == run


def test_a_median_of_no_run_is_refused():
    with pytest.raises(ValueError):
        median_of([])
