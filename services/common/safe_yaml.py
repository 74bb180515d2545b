"""YAML read with bounds, so that an uploaded file cannot be turned against the service.

A 708-byte "billion laughs" file of nested aliases expands to millions of nodes: PyYAML builds them all (seconds
of CPU, an error listing each). Plan files need no aliases, so they are refused; nesting depth and the number of
nodes are bounded too, and the caller parses in a worker thread, never on the event loop.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 64
MAX_NODES = 200_000  # the Quzhou plan has about 6,000; a provincial plan of 50,000 items fits


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


def load_bounded(text: str | bytes) -> tuple[Any, yaml.Node | None]:
    """The data of a one-document YAML file and its node tree (for line numbers); YAMLError when refused."""
    loader = _BoundedLoader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()
