"""Reading a plan file: YAML parsing, validation and the reference checks.

Errors name the key path and the line, so the office can fix a file without reading code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

import yaml
from pydantic import ValidationError

from services.common.safe_yaml import YAMLDuplicateKey, load_bounded
from services.common.wire_types import mistyped_fields
from services.tasks_api.plans.files.plan_file import (
    ItemEntry,
    PlanFile,
)
from services.tasks_api.units.models import name_key

# No database column takes NUL (PostgreSQL refuses it); said alike wherever a plan's text is read.
NUL_REFUSED = "text may not hold the NUL character (\\u0000)"


class PlanFileProblem(TypedDict):
    """One problem of a plan file: the key path (items[2].units[0]), its line where known, and what is wrong."""

    location: str
    line: int | None
    message: str


class PlanFileError(ValueError):
    """The file is not a valid plan; `errors` lists each problem with its location and line. `kind` is plan_file, or
    duplicate_key for a file that is ambiguous rather than invalid (a JSON body's duplicate key is a 400 too)."""

    def __init__(self, errors: list[PlanFileProblem], kind: str = "plan_file") -> None:
        self.errors, self.kind = errors, kind
        first = errors[0]
        where = f"line {first['line']}, " if first.get("line") else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{where}{first['location']}: {first['message']}{more}")


def parse_plan_file(text: str | bytes) -> PlanFile:
    """Parse and validate a plan file; PlanFileError names every bad key with its line. CPU-bound: a server calls
    it off the event loop."""
    try:
        data, root = load_bounded(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PlanFileError(
            [
                {
                    "location": "(file)",
                    "line": mark.line + 1 if mark else None,
                    "message": f"not valid YAML: {getattr(exc, 'problem', exc)}",
                }
            ],
            "duplicate_key" if isinstance(exc, YAMLDuplicateKey) else "plan_file",
        ) from exc
    except RecursionError as exc:  # PyYAML composes nodes recursively; a hostile file nests thousands deep
        raise PlanFileError([{"location": "(file)", "line": None, "message": "nested too deeply"}]) from exc
    # The JSON import's rule for types and 32-bit integers (the router's _json), which pydantic alone would not keep
    if mistyped := mistyped_fields(PlanFile, data, ()):
        raise PlanFileError([_located(root, error["loc"], error["msg"]) for error in mistyped])
    return validate_plan_data(data, root)


def validate_plan_data(data: Any, root: yaml.Node | None = None) -> PlanFile:
    """Validate already-parsed data (YAML or JSON); `root` gives line numbers when known."""
    if (at := _nul_at(data)) is not None:
        raise PlanFileError([_located(root, at, NUL_REFUSED)])
    try:
        plan_file = PlanFile.model_validate(data)
    except ValidationError as exc:
        raise PlanFileError([_located(root, e["loc"], e["msg"]) for e in exc.errors()]) from exc
    problems = reference_problems(plan_file)
    if problems:
        raise PlanFileError([_located(root, loc, message) for loc, message in problems])
    return plan_file


def _nul_at(data: Any, at: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where the first text holding NUL is: no database column takes it (PostgreSQL: an error, a 500 until
    2026-12-07). The request guard refuses it in JSON bodies; a YAML file writes it as "\\0"."""
    if isinstance(data, str):
        return at if "\x00" in data else None
    children: Iterable[tuple[Any, Any]] = (
        data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    )
    return next((found for key, value in children if (found := _nul_at(value, (*at, key))) is not None), None)


def reference_problems(plan_file: PlanFile) -> list[tuple[tuple[Any, ...], str]]:
    """Names that resolve to nothing and keys used twice."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    spellings = _unit_spellings(plan_file, problems)
    leaders = {leader.name for leader in plan_file.leaders}
    _duplicates(problems, "leaders", [leader.name for leader in plan_file.leaders], "leader name")
    _duplicates(problems, "groups", [group.key for group in plan_file.groups], "group key")
    for g, group in enumerate(plan_file.groups):
        if group.unit and name_key(group.unit) not in spellings:
            problems.append((("groups", g, "unit"), f"unknown unit {group.unit!r}"))
        for m, member in enumerate(group.members):
            if member.leader not in leaders:
                problems.append((("groups", g, "members", m, "leader"), f"unknown leader {member.leader!r}"))
    return problems + _item_problems(plan_file, spellings, leaders)


def _unit_spellings(plan_file: PlanFile, problems: list[tuple[tuple[Any, ...], str]]) -> dict[str, str]:
    """Each spelling's (name_key) unit; a spelling that two entries claim is a problem, even two entries of the same
    name (until 2026-12-07 those were both written, and the second broke the unique name: a 500)."""
    spellings: dict[str, str] = {}
    entries: dict[str, int] = {}  # the entry that claimed each spelling first
    for i, unit in enumerate(plan_file.units):
        for spelling in [unit.name, *unit.aliases]:
            key = name_key(spelling)
            owner, first = spellings.setdefault(key, unit.name), entries.setdefault(key, i)
            if owner != unit.name:
                problems.append((("units", i), f"spelling {spelling!r} already belongs to unit {owner!r}"))
            elif first != i:
                problems.append((("units", i), f"unit {unit.name!r} is listed twice (also units[{first}])"))
    parents = {unit.name: spellings.get(name_key(unit.parent)) for unit in plan_file.units if unit.parent}
    for i, unit in enumerate(plan_file.units):
        above, seen = parents.get(unit.name), {unit.name}
        while above is not None and above not in seen:
            seen.add(above)
            above = parents.get(above)
        if above == unit.name:
            problems.append((("units", i, "parent"), f"unit {unit.name!r} would be under itself (a cycle of parents)"))
    return spellings


def _item_problems(
    plan_file: PlanFile, spellings: dict[str, str], leaders: set[str]
) -> list[tuple[tuple[Any, ...], str]]:
    """Item keys used twice, units, leaders and indicator keys of the items that do not resolve or repeat, and links
    into the file's own plan."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    seen_keys: set[str] = set()
    for item, _parent, loc in plan_file.walk():
        if item.key in seen_keys:
            problems.append(((*loc, "key"), f"item key {item.key!r} is used twice"))
        seen_keys.add(item.key)
        problems += _responsible_problems(item, loc, spellings)
        for n, leader in enumerate(item.lead_leaders):
            if leader not in leaders:
                problems.append(((*loc, "lead_leaders", n), f"unknown leader {leader!r}"))
        _duplicates(problems, (*loc, "indicators"), [i.key for i in item.indicators], "indicator key")
        if item.serves is not None and item.serves.plan == plan_file.plan.key:
            problems.append(((*loc, "serves", "plan"), "an item serves an item of another plan, not of its own"))
    return problems


def _responsible_problems(
    item: ItemEntry, loc: tuple[Any, ...], spellings: dict[str, str]
) -> list[tuple[tuple[Any, ...], str]]:
    """Units that resolve to nothing or twice, and printed groups that go backwards."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    named = [entry for entry in item.responsible if entry.unit is not None]
    for u, entry in enumerate(item.responsible):
        if entry.unit is not None and name_key(entry.unit) not in spellings:
            problems.append(((*loc, "units", u), f"unknown unit {entry.unit!r}"))
        if u and entry.group < item.responsible[u - 1].group:
            problems.append(((*loc, "units", u, "group"), "printed groups must not go backwards"))
    if len({spellings.get(name_key(e.unit or ""), e.unit) for e in named}) != len(named):
        problems.append(((*loc, "units"), "a unit is listed twice"))
    placeholders = [e.printed for e in item.responsible if e.unit is None]
    if len(set(placeholders)) != len(placeholders):
        problems.append(((*loc, "units"), "a placeholder is listed twice"))
    return problems


def _duplicates(problems: list[tuple[tuple[Any, ...], str]], loc: Any, values: list[str], what: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            base = loc if isinstance(loc, tuple) else (loc,)
            problems.append(((*base, index), f"{what} {value!r} is used twice"))
        seen.add(value)


def _located(root: yaml.Node | None, loc: tuple[Any, ...], message: str) -> PlanFileProblem:
    path = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))
    return {"location": path or "(file)", "line": _line_of(root, loc), "message": message}


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest node the location reaches in the composed YAML."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
