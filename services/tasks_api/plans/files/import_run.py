"""What both halves of a plan import write through (importer.py: units, leaders, the plan and its groups;
import_items.py: the items and what hangs on them): one run's connection, time and counts, its batched writes, and
the change log it writes at the end. Both import this module, so neither needs the other's type."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Executable, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.history import diff
from services.common.records import ReadT, rows_of
from services.common.search_index import Indexed
from services.tasks_api.db import change_log
from services.tasks_api.items.models import item_index
from services.tasks_api.targets.models import indicator_index

_BATCH = 2000
SEARCHED = {"items": item_index, "indicators": indicator_index}  # the tables searched (检索), by name


class HistoryEntry(TypedDict):
    """One change the import made, as the change log stores it (written in batches at the end)."""

    entity: str
    entity_id: int
    action: str
    actor: str
    at: datetime
    changes: dict[str, list[Any]]


class ImportRun:
    """One import run's writes: inserts and updates in batches, each change logged, and what it did counted."""

    def __init__(self, conn: AsyncConnection, actor: str) -> None:
        self.conn = conn
        self.actor = actor
        self.now = clock.now()
        self.counts: Counter[str] = Counter()
        self._history: list[HistoryEntry] = []
        # The records whose words change, by search table (services/common/search_index.py): indexed at the end.
        self._indexed: dict[str, tuple[Indexed, list[Mapping[str, Any]]]] = {}

    def log(
        self,
        entity: str,
        entity_id: int,
        action: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        self._history.append(
            {
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "actor": self.actor,
                "at": self.now,
                "changes": diff(before, after),
            }
        )

    def _index(self, table: Table, row: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
        indexed = SEARCHED.get(table.name)
        if indexed is not None and indexed.touched(changes):
            self._indexed.setdefault(table.name, (indexed, []))[1].append(row)

    async def _flush_history(self) -> None:
        for start in range(0, len(self._history), _BATCH):
            await self.conn.execute(change_log.insert(), self._history[start : start + _BATCH])
        for indexed, rows in self._indexed.values():
            await indexed.put(self.conn, rows)

    async def insert_many(self, table: Table, rows: Sequence[Mapping[str, Any]], entity: str) -> list[int]:
        """Insert rows in batches, a versioned table's stamped with the import's time; their ids come back in the
        order given."""
        if "version" in table.c:
            # A row may continue an earlier record's versions (an item's link after an unlink): it names its own.
            rows = [{"version": 1, **row, "created_at": self.now, "updated_at": self.now} for row in rows]
        ids: list[int] = []
        for start in range(0, len(rows), _BATCH):
            batch = rows[start : start + _BATCH]
            result = await self.conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), batch)
            ids.extend(result.scalars().all())
        for row, new_id in zip(rows, ids, strict=True):
            self.log(entity, new_id, "create", None, row)
            self._index(table, {**row, "id": new_id}, row)
        if rows:
            self.counts[f"{entity}.created"] += len(rows)
        return ids

    async def update(self, table: Table, entity: str, before: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
        changes = {k: v for k, v in wanted.items() if before.get(k) != v}
        if not changes:
            return False
        values = dict(changes)
        if "version" in table.c:
            values.update(version=before["version"] + 1, updated_at=self.now)
        await self.conn.execute(table.update().where(table.c.id == before["id"]).values(**values))
        self.log(entity, before["id"], "update", before, {**before, **changes})
        self._index(table, {**before, **changes}, changes)
        self.counts[f"{entity}.updated"] += 1
        return True

    async def rows(self, query: Executable, row: type[ReadT]) -> list[ReadT]:
        return await rows_of(self.conn, query, row)
