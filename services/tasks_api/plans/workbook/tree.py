"""The items of a plan file as a tree the workbook's rows can edit and move (see breakdown.apply_rows)."""

from __future__ import annotations

from typing import Any


class ItemTree:
    """The plan file's items as dicts, by key, with each one's parent key, so that rows can edit and move them."""

    def __init__(self, roots: list[dict[str, Any]]) -> None:
        self.roots = roots
        self.nodes: dict[str, dict[str, Any]] = {}
        self.parent: dict[str, str | None] = {}  # only for items placed in the tree
        stack: list[tuple[dict[str, Any], str | None]] = [(node, None) for node in roots]
        while stack:
            node, parent = stack.pop()
            self.nodes[node["key"]], self.parent[node["key"]] = node, parent
            stack.extend((child, node["key"]) for child in node["children"])

    def _siblings(self, parent: str | None) -> list[dict[str, Any]]:
        return self.nodes[parent]["children"] if parent else self.roots

    def within(self, key: str, ancestor: str) -> bool:
        current: str | None = key
        while current is not None:
            if current == ancestor:
                return True
            current = self.parent.get(current)
        return False

    def place(self, key: str, parent: str | None) -> None:
        """Put the item last among the children of `parent` (None: the top level)."""
        node = self.nodes[key]
        if key in self.parent:
            old = self._siblings(self.parent[key])
            old[:] = [n for n in old if n is not node]
        self._siblings(parent).append(node)
        self.parent[key] = parent
