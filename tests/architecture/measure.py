"""What the architecture ratchets measure in services/, read from the source (ast), and the one ratchet rule.

A ratchet holds a number per module or function that may only go down: today's offenders are listed in
tests/architecture/allowances.py at their size when the ratchet was set; anything not listed must be within the
limit. The lists only shrink: when an entry reaches the limit, or its module is gone, the test asks to delete it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
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


def _module_path(dotted: str, trees: Mapping[str, ast.Module]) -> str | None:
    """services.common.examples -> services/common/examples.py (or the package's __init__.py), if parsed."""
    base = dotted.replace(".", "/")
    return next((path for path in (f"{base}.py", f"{base}/__init__.py") if path in trees), None)


def _is_type_expression(value: ast.expr) -> bool:
    """What a module-level alias may name: a subscripted type, a union, another name, a module's name."""
    return isinstance(value, ast.Subscript | ast.Name | ast.Attribute) or (
        isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr)
    )


def _aliases_defined(tree: ast.Module) -> dict[str, ast.expr]:
    """`Name = <type>`, `Name: TypeAlias = <type>` and `type Name = <type>` at module level."""
    defined: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if _is_type_expression(node.value):
                defined[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            if ast.unparse(node.annotation).endswith("TypeAlias"):
                defined[node.target.id] = node.value
        elif type(node).__name__ == "TypeAlias":  # `type Name = ...` (Python 3.12)
            defined[node.name.id] = node.value  # type: ignore[attr-defined]
    return defined


class TypeAliases:
    """The module-level type aliases of services/, so that a ratchet reads `def f() -> Rows` as what Rows stands
    for: an alias defined in the module, or imported from another services/ module (by name, as another name, or
    reached as `module.Name`), expanded until only names that are not aliases are left."""

    def __init__(self, trees: Mapping[str, ast.Module]) -> None:
        self.defined = {path: _aliases_defined(tree) for path, tree in trees.items()}
        # module -> local name -> (the module it comes from, its name there), or (the module, None) for a module
        self.imported: dict[str, dict[str, tuple[str, str | None]]] = {}
        for path, tree in trees.items():
            names = self.imported.setdefault(path, {})
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("services"):
                    for alias in node.names:
                        module = _module_path(f"{node.module}.{alias.name}", trees)
                        source = _module_path(node.module or "", trees)
                        if module is not None:
                            names[alias.asname or alias.name] = (module, None)
                        elif source is not None:
                            names[alias.asname or alias.name] = (source, alias.name)
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        module = _module_path(alias.name, trees)
                        if module is not None and alias.asname:
                            names[alias.asname] = (module, None)

    def expand(self, annotation: ast.expr, path: str) -> ast.expr:
        """The annotation with every alias replaced by what it stands for (string annotations parsed first)."""
        return self._expand(annotation, path, frozenset())

    def _expand(self, node: ast.expr, path: str, seen: frozenset[tuple[str, str]]) -> ast.expr:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return node
        target = self._target(node, path)
        if target is not None and target not in seen:
            module, name = target
            return self._expand(self.defined[module][name], module, seen | {target})
        if target is not None:  # a recursive alias (JSON's): leave it as its name
            return node
        expanded = ast.parse(ast.unparse(node), mode="eval").body  # a copy to rewrite, child by child
        for field, value in ast.iter_fields(expanded):
            if isinstance(value, ast.expr):
                setattr(expanded, field, self._expand(value, path, seen))
            elif isinstance(value, list):
                setattr(expanded, field, [self._expand(v, path, seen) if isinstance(v, ast.expr) else v for v in value])
        return expanded

    def _target(self, node: ast.expr, path: str) -> tuple[str, str] | None:
        """Where the alias a name (or `module.Name`) refers to is defined, if it is an alias."""
        if isinstance(node, ast.Name):
            if node.id in self.defined.get(path, {}):
                return path, node.id
            module, name = self.imported.get(path, {}).get(node.id, ("", None))
            return self._target(ast.Name(name), module) if name is not None else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module, name = self.imported.get(path, {}).get(node.value.id, ("", ""))
            if module and name is None:
                return self._target(ast.Name(node.attr), module)
        return None


def _head(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def holds_dict_any(annotation: ast.expr) -> bool:
    """Whether values of this (expanded) type include a dict[str, Any] or Mapping[str, Any]: bare, in a union, a
    list, a tuple, an iterator, any generic (Records[dict[str, Any]]); a Callable's result, not its parameters."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        with suppress(SyntaxError):
            return holds_dict_any(ast.parse(annotation.value, mode="eval").body)
    if isinstance(annotation, ast.Subscript):
        head, arguments = _head(annotation.value), annotation.slice
        items = arguments.elts if isinstance(arguments, ast.Tuple) else [arguments]
        if head in {"dict", "Dict", "Mapping", "MutableMapping"} and [_head(item) for item in items] == ["str", "Any"]:
            return True
        if head == "Callable":
            items = items[-1:]
        return any(holds_dict_any(item) for item in items)
    if isinstance(annotation, ast.BinOp):
        return holds_dict_any(annotation.left) or holds_dict_any(annotation.right)
    if isinstance(annotation, ast.Tuple | ast.List):
        return any(holds_dict_any(item) for item in annotation.elts)
    return False


def dict_any_results(tree: ast.Module, path: str = "", aliases: TypeAliases | None = None) -> int:
    """Functions whose return annotation holds dict[str, Any] or Mapping[str, Any] (see holds_dict_any), aliases
    expanded, and module-level names annotated so (a `Records[dict[str, Any]]` hands out such rows)."""
    expand = aliases.expand if aliases else lambda annotation, _: annotation
    annotations = [node.returns for _, node in functions(tree) if node.returns is not None]
    annotations += [node.annotation for node in tree.body if isinstance(node, ast.AnnAssign) and node.value]
    return sum(holds_dict_any(expand(annotation, path)) for annotation in annotations)


def _is_any(annotation: ast.expr | None, path: str, aliases: TypeAliases | None) -> bool:
    if annotation is None:
        return False
    expanded = aliases.expand(annotation, path) if aliases else annotation
    return re.sub(r"\s*\|\s*None\b", "", ast.unparse(expanded)) in {"Any", "'Any'"}


def any_peers(tree: ast.Module, path: str = "", aliases: TypeAliases | None = None) -> int:
    """Parameters and annotated attributes that hold a peer (by name) typed Any (or Any | None), aliases expanded."""
    count = 0
    for _, node in functions(tree):
        arguments = node.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            count += PEER_NAME.search(arg.arg) is not None and _is_any(arg.annotation, path, aliases)
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            target = node.target
            name = (
                target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ""
            )
            count += PEER_NAME.search(name) is not None and _is_any(node.annotation, path, aliases)
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


def per_module_with_aliases(
    trees: Mapping[str, ast.Module], count: Callable[[ast.Module, str, TypeAliases], int]
) -> dict[str, int]:
    """Like per_module, for a measure that reads each annotation through the type aliases of services/."""
    aliases = TypeAliases(trees)
    return {path: count(tree, path, aliases) for path, tree in trees.items()}


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
