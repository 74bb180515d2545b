"""What the architecture ratchets measure in services/, read from the source (ast), and the one ratchet rule.

A ratchet holds a number per module or function that may only go down: today's offenders are listed in
tests/architecture/allowances.py at their size when the ratchet was set; anything not listed must be within the
limit. The lists only shrink: when an entry reaches the limit, or its module is gone, the test asks to delete it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "services"

# Parameters and attributes that hold a peer client: tasks, reporting, notify, peer(s), client, *_client, *_peer.
PEER_NAME = re.compile(r"^(tasks|reporting|notify|peers?|client)$|_(client|peer)$|^peer_")
# The questions only services/common/dialect.py and db.py may ask: which database is this? And the modules that
# only they may import: a dialect's own statements (sqlalchemy.dialects.*) and the database drivers.
DIALECT_ASKERS = {"is_sqlite", "get_backend_name"}
DIALECT_MODULES = ("sqlalchemy.dialects", "asyncpg", "aiosqlite", "sqlite3")


def modules(root: Path = SERVICES) -> dict[str, ast.Module]:
    """Every Python module under root, parsed, by its path relative to the repository (services/...)."""
    return {
        path.relative_to(root.parent).as_posix(): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(root.rglob("*.py"))
    }


def module_lines(root: Path = SERVICES) -> dict[str, int]:
    """Physical lines of every module."""
    return {
        path.relative_to(root.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }


def functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Each function and method with its qualified name (Class.method, outer.inner), nested ones included."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield prefix + child.name, child
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    return walk(tree, "")


def function_lines(trees: Mapping[str, ast.Module]) -> dict[str, int]:
    """Each function's length, from its def line to its last line (docstring and comments included), by
    `path::qualified.name`; an outer function's length includes its nested ones."""
    lengths: dict[str, int] = {}
    for path, tree in trees.items():
        for name, node in functions(tree):
            key = f"{path}::{name}"
            lengths[key] = max(lengths.get(key, 0), (node.end_lineno or node.lineno) - node.lineno + 1)
    return lengths


def dict_any_results(tree: ast.Module) -> int:
    """Functions whose return annotation holds dict[str, Any]: bare, `| None`, in a list, a tuple, an iterator."""
    return sum(
        1 for _, node in functions(tree) if node.returns is not None and "dict[str, Any]" in ast.unparse(node.returns)
    )


def _is_any(annotation: ast.expr | None) -> bool:
    return annotation is not None and re.sub(r"\s*\|\s*None\b", "", ast.unparse(annotation)) in {"Any", "'Any'"}


def any_peers(tree: ast.Module) -> int:
    """Parameters and annotated attributes that hold a peer (by name) typed Any (or Any | None)."""
    count = 0
    for _, node in functions(tree):
        arguments = node.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            count += PEER_NAME.search(arg.arg) is not None and _is_any(arg.annotation)
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            target = node.target
            name = (
                target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ""
            )
            count += PEER_NAME.search(name) is not None and _is_any(node.annotation)
    return count


def _is_dialect_module(name: str | None) -> bool:
    return name is not None and any(name == module or name.startswith(f"{module}.") for module in DIALECT_MODULES)


def dialect_questions(tree: ast.Module) -> int:
    """Places that ask which database this is (`<x>.dialect.name`, `dialect.name`, is_sqlite, get_backend_name)
    or import a dialect's statements or a driver (sqlalchemy.dialects.*, asyncpg, aiosqlite, sqlite3)."""
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            count += sum(_is_dialect_module(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            count += _is_dialect_module(node.module)
        elif isinstance(node, ast.Attribute) and node.attr == "name":
            owner = node.value
            count += (isinstance(owner, ast.Name) and owner.id == "dialect") or (
                isinstance(owner, ast.Attribute) and owner.attr == "dialect"
            )
        elif isinstance(node, ast.Attribute):
            count += node.attr in DIALECT_ASKERS
        elif isinstance(node, ast.Name):
            count += node.id in DIALECT_ASKERS
    return count


def per_module(trees: Mapping[str, ast.Module], count: Callable[[ast.Module], int]) -> dict[str, int]:
    return {path: count(tree) for path, tree in trees.items()}


def ratchet(measured: Mapping[str, int], allowed: Mapping[str, int], *, limit: int, unit: str) -> list[str]:
    """What breaks the ratchet: a new offender over the limit, a listed one that grew, and list entries to delete
    (within the limit now, or gone). Empty when the code holds."""
    problems = []
    for key, size in sorted(measured.items()):
        if key not in allowed and size > limit:
            problems.append(f"{key}: {size} {unit}, over the limit of {limit} (a new offender: bring it within)")
        elif key in allowed and size > allowed[key]:
            problems.append(f"{key}: {size} {unit}, grown past its listed {allowed[key]} (it may only shrink)")
    for key in sorted(allowed):
        if key not in measured:
            problems.append(f"{key}: gone; delete its entry from tests/architecture/allowances.py")
        elif measured[key] <= limit:
            problems.append(
                f"{key}: {measured[key]} {unit}, within the limit of {limit} now; "
                "delete its entry from tests/architecture/allowances.py"
            )
    return problems
