"""YAML read with bounds, so that an uploaded file cannot be turned against the service.

A 708-byte "billion laughs" file of nested aliases expands to millions of nodes: PyYAML builds them all (seconds
of CPU, an error listing each). Plan files need no aliases, so they are refused; nesting depth and the number of
nodes are bounded too, and the caller parses in a worker thread, never on the event loop.

The values built are JSON's (null, booleans, numbers, text, lists and mappings), so that a file is checked as a JSON
body is (wire_types.mistyped_fields) and a column never meets what JSON cannot carry: a timestamp is kept as its text
(the model reads a date from it, and names the field when it is none: PyYAML's own constructor raised ValueError,
a 500, for 2024-02-30), and !!binary, !!set, !!omap and !!pairs are refused (bytes passed the NUL check, which reads
text). A key written twice in one mapping is refused, as a JSON body's is (strict_json.py): the last no longer wins.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 64
MAX_NODES = 200_000  # the Quzhou plan has about 6,000; a provincial plan of 50,000 items fits
_MERGE = "tag:yaml.org,2002:merge"


class YAMLRefused(yaml.YAMLError):
    """A file this service will not read: aliases, or deeper or larger than the bounds."""

    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.problem, self.problem_mark = message, mark


class _BoundedLoader(yaml.SafeLoader):  # the pure-Python composer: its compose_node can be bounded
    """The safe loader, refusing aliases and counting depth and nodes as it composes."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = self._nodes = 0

    def _mark(self) -> yaml.Mark:
        """Where the next event starts (types-PyYAML leaves Parser.peek_event unannotated)."""
        mark: yaml.Mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        return mark

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            plain = isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE  # a merge (<<) may override
            key = self.construct_object(key_node, deep=True) if plain else None
            if key is not None and key in seen:
                raise YAMLDuplicateKey(f"the key {key!r} appears more than once in this mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise YAMLRefused("aliases (*name) are not accepted in this file", self._mark())
        self._depth += 1
        self._nodes += 1
        if self._depth > MAX_DEPTH:
            raise YAMLRefused(f"nested deeper than {MAX_DEPTH} levels", self._mark())
        if self._nodes > MAX_NODES:
            raise YAMLRefused(f"more than {MAX_NODES} values", self._mark())
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class YAMLDuplicateKey(YAMLRefused):
    """A mapping with a key twice: the file is ambiguous (a JSON body's duplicate key is a 400 too)."""


def _timestamp_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


def _refused_tag(loader: yaml.SafeLoader, node: yaml.Node) -> None:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise YAMLRefused(f"{tag} builds a value JSON cannot carry; write it as text, a number or a list", node.start_mark)


_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_text)
for _tag in ("binary", "set", "omap", "pairs"):
    _BoundedLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refused_tag)


def load_bounded(text: str | bytes) -> tuple[Any, yaml.Node | None]:
    """The data of a one-document YAML file and its node tree (for line numbers); YAMLError when refused."""
    loader = _BoundedLoader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()
