"""What the link routes take and answer (pydantic, not tables)."""

from __future__ import annotations

from pydantic import model_validator
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.db import TasksModel
from services.tasks_api.tables import REFERENCE, LinkTarget


class LinkSet(LinkTarget):
    """What the item serves: another plan's item (`serves_item_id`), or an external task (`reference`, with its
    `title` and `source`)."""

    model_config = SQLModelConfig(extra="forbid")

    @model_validator(mode="after")
    def _one_target(self) -> LinkSet:
        if (self.serves_item_id is None) == (self.reference is None):
            raise ValueError("Name either serves_item_id (an item in duban) or reference (an external task).")
        if self.serves_item_id is not None and (self.title or self.source):
            raise ValueError("title and source describe an external reference; an item in duban has its own.")
        return self


class LinkPublic(LinkTarget):
    """An item's link (its history is under the entity `item_link` and this id)."""

    id: int


class PlacedItemPublic(TasksModel):
    """An item and the plan it belongs to."""

    item_id: int
    item_key: str
    plan_id: int
    plan_title: str = Field(description="The plan's title (方案名称).")
    number: str = Field(description="编号, as printed.")
    title: str


class ExternalTask(TasksModel):
    """A task of a plan duban does not hold, as the link names it."""

    reference: str = Field(description=REFERENCE)
    title: str | None
    source: str | None = Field(description="The external plan the task belongs to.")


class ItemServes(TasksModel):
    """What an item serves (上级任务), and the chain upward: the higher-level item, the item that one serves, and so
    on, nearest first, ending at an item that serves nothing or at an external task."""

    item_id: int
    link: LinkPublic | None = Field(description="The item's own link; null when it serves nothing.")
    chain: list[PlacedItemPublic] = Field(description="The items upward, nearest first (省级任务 at the end).")
    external: ExternalTask | None = Field(description="Where the chain leaves duban: the external task, if any.")
    version: int = Field(description="The link's version, the ETag; 0 while the item serves nothing.")
