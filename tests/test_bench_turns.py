"""The lists and their raw baselines are measured in turns, and each side is the median of its turns."""

from __future__ import annotations

import pytest

from bench import load, reads
from bench.load import WARM_SECONDS, Load, Probe, Throughput, in_turns, median_of


def _measured(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[Throughput]]) -> list[tuple[str, float]]:
    """load.measure answering each URL with its next throughput; the (url, seconds) it is asked, in order."""
    asked: list[tuple[str, float]] = []
    left = {url: iter(runs) for url, runs in answers.items()}

    def measure(url: str, headers: dict[str, str], load: Load) -> Throughput:
        asked.append((url, load.seconds))
        return next(left[url])

    monkeypatch.setattr(load, "measure", measure)
    return asked


COLD = Throughput(100, 50, 300, 0)  # a warm-up turn: whatever it measures is not counted


def test_each_side_is_the_median_of_its_turns_so_one_slow_moment_does_not_decide_the_ratio(monkeypatch):
    asked = _measured(
        monkeypatch,
        {  # the raw's second turn met a slow moment of the machine, and the service's third
            "raw": [COLD, Throughput(3000, 5, 10, 0), Throughput(2000, 9, 30, 0), Throughput(3100, 5, 11, 0)],
            "service": [COLD, Throughput(2400, 6, 12, 0), Throughput(2500, 6, 13, 1), Throughput(1500, 9, 40, 0)],
        },
    )
    [(service, raw)] = in_turns([Probe("service", {"Authorization": "Bearer t"}, "raw")], Load(seconds=9))
    assert asked[2:] == [("raw", 3), ("service", 3)] * 3  # in turns, the raw first, a third of the time each
    assert (service.rps, service.p99_ms, service.errors) == (2400, 13, 1)
    assert (raw.rps, raw.p99_ms) == (3000, 11)


def test_each_side_serves_a_turn_that_is_not_counted_before_its_counted_turns(monkeypatch):
    run = Throughput(1000, 5, 10, 0)
    asked = _measured(monkeypatch, {"raw": [COLD, run, run, run], "service": [COLD, run, run, run]})
    [(service, raw)] = in_turns([Probe("service", {}, "raw")], Load(seconds=9))
    assert asked[:2] == [("raw", WARM_SECONDS), ("service", WARM_SECONDS)]
    assert service == raw == run


def test_a_short_load_warms_for_no_longer_than_a_turn(monkeypatch):
    asked = _measured(monkeypatch, {"raw": [COLD] * 4, "service": [COLD] * 4})
    in_turns([Probe("service", {}, "raw")], Load(seconds=1.5))
    assert {seconds for _, seconds in asked} == {0.5}


def test_the_lists_of_a_group_take_their_turns_in_the_same_rounds(monkeypatch):
    run = Throughput(1000, 5, 10, 0)
    asked = _measured(monkeypatch, {url: [run] * 4 for url in ("p1", "raw p1", "deep", "raw deep")})
    in_turns([Probe("p1", {}, "raw p1"), Probe("deep", {}, "raw deep")], Load(seconds=3))
    assert [url for url, _ in asked] == ["raw p1", "p1", "raw deep", "deep"] * 4  # the warm-up turns, then three


def test_every_list_is_in_a_group_of_turns():
    names = set(reads.list_runs("http://t", "http://r", "http://b", _subjects()))
    grouped = [name for group in reads.TURN_GROUPS for name in group]
    assert sorted(grouped) == sorted(names)


def test_the_median_of_one_run_is_that_run():
    run = Throughput(1234.5, 4.2, 17.0, 2)
    assert median_of([run]) == run


def test_a_median_of_no_run_is_refused():
    with pytest.raises(ValueError):
        median_of([])


def _subjects() -> reads.Subjects:
    return reads.Subjects(1, 2, 3, 4, "c", 5, "c", 6, "c", (1, 2), (10, 5), (20, 8))
