"""Typed results ratchet (issue 14 part 7): functions returning dict[str, Any] (or Mapping[str, Any]) and peers
typed Any, counted per module in services/ with every type alias read as what it stands for; a module's count may
only go down, and a module not listed in allowances.py has none."""

from __future__ import annotations

import ast

from tests.architecture import allowances
from tests.architecture.measure import (
    TypeAliases,
    any_peers,
    dict_any_results,
    modules,
    per_module_with_aliases,
    ratchet,
)


def _modules(**sources: str) -> dict[str, ast.Module]:
    """Parsed modules by path, from `services__common__rows="..."` (double underscores for slashes)."""
    return {name.replace("__", "/") + ".py": ast.parse(source) for name, source in sources.items()}


def _results(sources: dict[str, ast.Module], path: str) -> int:
    return dict_any_results(sources[path], path, TypeAliases(sources))


def test_functions_returning_dict_str_any_only_become_fewer():
    problems = ratchet(
        per_module_with_aliases(modules(), dict_any_results),
        allowances.DICT_ANY_RESULTS,
        limit=0,
        unit="functions returning dict[str, Any]",
    )
    assert not problems, "\n".join(problems)


def test_peers_typed_any_only_become_fewer():
    problems = ratchet(
        per_module_with_aliases(modules(), any_peers), allowances.ANY_PEERS, limit=0, unit="peers typed Any"
    )
    assert not problems, "\n".join(problems)


def test_every_form_of_a_dict_str_any_result_is_counted_and_typed_ones_are_not():
    source = (
        "def a() -> dict[str, Any]: ...\n"
        "async def b() -> dict[str, Any] | None: ...\n"
        "def c() -> list[dict[str, Any]]: ...\n"
        "def d() -> tuple[dict[str, Any], bool]: ...\n"
        "class K:\n"
        "    def e(self) -> AsyncIterator[dict[str, Any]]: ...\n"
        "def f() -> Sequence[Mapping[str, Any]]: ...\n"
        "def g() -> 'typing.Mapping[str, Any]': ...\n"
        "def typed() -> dict[str, int]: ...\n"
        "def json() -> Mapping[str, object]: ...\n"
        "def model() -> Report: ...\n"
        "def unannotated(): ...\n"
    )
    assert dict_any_results(ast.parse(source)) == 7


def test_records_of_dict_str_any_rows_at_module_level_are_counted():
    source = (
        "item_records: Records[dict[str, Any]] = Records(items, 'item', change_log)\n"
        "typed_records: Records[ItemRow] = Records(items, 'item', change_log)\n"
        "LIMIT: int = 10\n"
    )
    assert dict_any_results(ast.parse(source)) == 1


def test_a_callable_result_counts_for_what_it_returns_not_what_it_takes():
    source = (
        "def reader() -> Callable[[Mapping[str, Any]], Hashable]: ...\n"
        "def maker() -> Callable[[int], Awaitable[dict[str, Any]]]: ...\n"
    )
    assert dict_any_results(ast.parse(source)) == 1


def test_an_alias_defined_in_the_module_is_read_as_what_it_stands_for():
    sources = _modules(
        services__common__examples=(
            "Schema = dict[str, Any]\n"
            "Schemas: TypeAlias = list[Schema]\n"
            "Result = Schema | None\n"
            "def one() -> Schema: ...\n"
            "def many() -> Schemas: ...\n"
            "def maybe() -> 'Result': ...\n"
            "def other() -> Other: ...\n"
        )
    )
    assert _results(sources, "services/common/examples.py") == 3


def test_an_alias_imported_from_another_services_module_is_read_as_what_it_stands_for():
    sources = _modules(
        services__common__driver_reads="Rows = Sequence[Mapping[str, Any]]\nRow = Mapping[str, Any]\n",
        services__common__jobs="from services.common.driver_reads import Row as JobResult\n",
        services__common__oversight=(
            "from services.common import driver_reads\n"
            "from services.common.driver_reads import Rows\n"
            "from services.common.jobs import JobResult\n"
            "import services.common.driver_reads as reads\n"
            "def read() -> Rows: ...\n"
            "def run() -> Awaitable[JobResult]: ...\n"
            "def qualified() -> driver_reads.Row: ...\n"
            "def renamed() -> list[reads.Rows]: ...\n"
        ),
    )
    assert _results(sources, "services/common/oversight.py") == 4


def test_an_alias_of_a_typed_value_or_of_itself_is_not_counted():
    sources = _modules(
        services__common__json=(
            'JsonValue: TypeAlias = str | int | list["JsonValue"] | dict[str, "JsonValue"] | None\n'
            "JsonObject = dict[str, JsonValue]\n"
            "RowT = TypeVar('RowT', bound=Mapping[str, Any])\n"
            "def document() -> JsonObject: ...\n"
            "def generic() -> RowT: ...\n"
        )
    )
    assert _results(sources, "services/common/json.py") == 0


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


def test_a_peer_typed_with_an_alias_of_any_is_counted():
    sources = _modules(
        services__common__peers="Peer = Any\nMaybe = Peer | None\ndef f(tasks: Peer, notify: Maybe): ...\n"
    )
    assert any_peers(sources["services/common/peers.py"], "services/common/peers.py", TypeAliases(sources)) == 2
