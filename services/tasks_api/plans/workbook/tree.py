"""The items of a plan file as a tree the workbook's rows can edit and move (see breakdown.apply_rows)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, TypedDict

EntryPart = Literal["indicators", "milestones"]  # the parts of an item the sheets 指标 and 节点 list


class ItemNode(TypedDict):
    """An item of the plan file as data (ItemEntry.model_dump), which the rows edit before the plan file is validated
    again: `units` holds what ItemEntry.units takes (spellings, and entries as objects or as data), the indicators
    and milestones their entries' data."""

    key: str
    kind: str
    number: str
    title: str
    text: str
    status: str
    starts_on: date | None
    due_on: date | None
    units: list[Any]
    lead_leaders: list[str]
    indicators: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    children: list[ItemNode]


class ItemTree:
    """The plan file's items as data, by key, with each one's parent key, so that rows can edit and move them."""

    def __init__(self, roots: list[ItemNode]) -> None:
        self.roots = roots
        self.nodes: dict[str, ItemNode] = {}
        self.parent: dict[str, str | None] = {}  # only for items placed in the tree
        stack: list[tuple[ItemNode, str | None]] = [(node, None) for node in roots]
        while stack:
            node, parent = stack.pop()
            self.nodes[node["key"]], self.parent[node["key"]] = node, parent
            stack.extend((child, node["key"]) for child in node["children"])

    def _siblings(self, parent: str | None) -> list[ItemNode]:
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
