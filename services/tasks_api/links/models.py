"""The link of an item to what it serves (上级任务): an item of a higher-level plan in duban, or a reference to a
plan duban does not hold (the province's, as printed)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field

from services.tasks_api.db import Stamped, TasksModel

REFERENCE = "The external task's reference as printed (文号、任务编号), when it is not a plan in duban."


class LinkTarget(TasksModel):
    """What an item serves: `serves_item_id`, an item of another plan in duban, or an external `reference` (with
    its title and the plan it comes from); exactly one of the two."""

    serves_item_id: int | None = Field(None, description="The higher-level item in duban (another plan's).")
    reference: str | None = Field(None, min_length=1, max_length=200, description=REFERENCE)
    title: str | None = Field(None, min_length=1, max_length=500, description="The external task's title.")
    source: str | None = Field(
        None, min_length=1, max_length=200, description="The external plan it belongs to, e.g. 浙江省…行动方案."
    )


class ItemLink(LinkTarget, Stamped, table=True):
    __tablename__ = "item_links"
    __table_args__ = (
        CheckConstraint("(serves_item_id IS NULL) <> (reference IS NULL)", name="ck_item_links_one_target"),
        Index("ix_item_links_serves", "serves_item_id", "item_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", unique=True, ondelete="CASCADE")
    # A link to an item that is deleted goes with it: the lower item then serves nothing until linked again.
    serves_item_id: int | None = Field(None, foreign_key="items.id", ondelete="CASCADE")
