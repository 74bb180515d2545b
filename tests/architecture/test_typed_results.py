"""Typed results ratchet (issue 14 part 7): functions returning dict[str, Any] and peers typed Any, counted per
module in services/; a module's count may only go down, and a module not listed in allowances.py has none."""

from __future__ import annotations

import ast

from tests.architecture import allowances
from tests.architecture.measure import any_peers, dict_any_results, modules, per_module, ratchet


def test_functions_returning_dict_str_any_only_become_fewer():
    problems = ratchet(
        per_module(modules(), dict_any_results),
        allowances.DICT_ANY_RESULTS,
        limit=0,
        unit="functions returning dict[str, Any]",
    )
    assert not problems, "\n".join(problems)


def test_peers_typed_any_only_become_fewer():
    problems = ratchet(per_module(modules(), any_peers), allowances.ANY_PEERS, limit=0, unit="peers typed Any")
    assert not problems, "\n".join(problems)


def test_every_form_of_a_dict_str_any_result_is_counted_and_typed_ones_are_not():
    source = (
        "def a() -> dict[str, Any]: ...\n"
        "async def b() -> dict[str, Any] | None: ...\n"
        "def c() -> list[dict[str, Any]]: ...\n"
        "def d() -> tuple[dict[str, Any], bool]: ...\n"
        "class K:\n"
        "    def e(self) -> AsyncIterator[dict[str, Any]]: ...\n"
        "def typed() -> dict[str, int]: ...\n"
        "def model() -> Report: ...\n"
        "def unannotated(): ...\n"
    )
    assert dict_any_results(ast.parse(source)) == 5


def test_peer_parameters_and_attributes_typed_any_are_counted_and_other_any_values_are_not():
    source = (
        "def f(tasks: Any, *, reporting: Any | None = None, value: Any = 1, peer: TasksClient) -> None: ...\n"
        "async def g(db, tasks_client: Any, notify: 'Any') -> None: ...\n"
        "class Holder:\n"
        "    client: Any\n"
        "    rows: Any\n"
        "    def __init__(self) -> None:\n"
        "        self.reporting_peer: Any = None\n"
    )
    assert any_peers(ast.parse(source)) == 6
