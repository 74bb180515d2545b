"""The spellings that resolve to a unit (the units table, which items reads, is in tasks_api/tables.py)."""

from __future__ import annotations

import re

from sqlmodel import Field

from services.tasks_api.db import TasksModel

_BRACKETS = str.maketrans({"〔": "（", "〕": "）", "(": "（", ")": "）", "[": "（", "]": "）", "【": "（", "】": "）"})


def name_key(name: str) -> str:
    """The form two spellings of one unit share: 市委组织部〔人才办〕 and 市委组织部（人才办） alike."""
    return re.sub(r"\s+", "", name.translate(_BRACKETS))


class UnitAlias(TasksModel, table=True):
    """A spelling of a unit; the unit's own name is stored here too, so one lookup resolves any spelling."""

    __tablename__ = "unit_aliases"
    alias: str = Field(primary_key=True, max_length=100)
    key: str = Field(max_length=100, index=True, description="name_key() of the spelling.")
    unit_id: int = Field(foreign_key="units.id", index=True, ondelete="CASCADE")
    position: int = Field(0, description="Order of the spelling; the unit's own name is 0.")
