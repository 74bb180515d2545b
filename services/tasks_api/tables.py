"""The tables several rooms read: the plan, which every room a plan is made of checks before it writes, the units
and leaders an item's duties and lead leaders name, and the links across plans, which an item's or a plan's delete
removes and records (items/unlinking.py; the links room reads items, so items cannot import it). They sit below the
rooms, so that a room imports downward only (plans/files imports the rooms a plan is made of, and items is read by
units and people); a room's other tables stay in its models.py. The metadata is db.py's: where a table is declared
does not change what Alembic sees."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, TypedDict

from pydantic import StringConstraints
from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlmodel import Field

from services.common.records import Records
from services.common.tables import table_of
from services.tasks_api.db import KEY_PATTERN, Stamped, TasksModel, change_log

# -- plans ---------------------------------------------------------------------------------------


class PlanStatus(StrEnum):
    """Where a plan stands: draft (草稿), active (实施中), completed (完成) or archived (归档)."""

    DRAFT = "draft"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


GENERAL_REQUIREMENTS = "The plan's general requirements (总体要求) as printed."
Principle = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Issuer = Annotated[str, StringConstraints(max_length=200)]  # an issuing body's name, in a JSON column
PRINCIPLES = "The plan's basic principles (基本原则) as printed, one per entry, in printed order."


class PlanFields(TasksModel):
    key: str = Field(
        min_length=1,
        max_length=64,
        schema_extra={"pattern": KEY_PATTERN},
        description="Stable external id, e.g. quzhou-yrd-2019-2025.",
    )
    document_number: str = Field("", max_length=100, description="文号, e.g. 衢委发〔2019〕24号.")
    title: str = Field(min_length=1, max_length=300, description="标题")
    issuers: list[Issuer] = Field(default_factory=list, max_length=20, sa_type=JSON, description="发文机关")
    issued_on: date | None = Field(None, description="印发日期")
    starts_on: date = Field(description="First day of the plan period.")
    ends_on: date = Field(description="Last day of the plan period.")
    status: PlanStatus = Field(PlanStatus.DRAFT, sa_type=String(20))
    summary: str = Field("", max_length=20000, sa_type=Text, description="Preamble or summary (总体要求).")
    general_requirements: str = Field("", max_length=20000, sa_type=Text, description=GENERAL_REQUIREMENTS)
    principles: list[Principle] = Field(default_factory=list, max_length=50, sa_type=JSON, description=PRINCIPLES)


class Plan(PlanFields, Stamped, table=True):
    __tablename__ = "plans"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    issuers: list[Issuer] = Field(
        default_factory=list, max_length=20, sa_type=JSON, description="Who issued the document (印发单位)."
    )


class PlanRow(TypedDict):
    """A plan as stored (the plans table's columns)."""

    id: int
    key: str
    document_number: str
    title: str
    issuers: list[str]
    issued_on: date | None
    starts_on: date
    ends_on: date
    status: str
    summary: str
    general_requirements: str
    principles: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


plan_records: Records[PlanRow] = Records(table_of(Plan), "plan", change_log)

# -- units ---------------------------------------------------------------------------------------


class UnitKind(StrEnum):
    """Kind of unit (单位类别): department (部门), county (县市区), zone (园区), enterprise (企业), university (高校), people's
    organisation, task force or office."""  # noqa: E501 - the contract's description (openapi/): a rewrap changes it

    DEPARTMENT = "department"  # 市级部门
    COUNTY = "county"  # 县（市、区）
    ZONE = "zone"  # 功能区、管委会
    ENTERPRISE = "enterprise"  # 企业
    UNIVERSITY = "university"  # 高校
    PEOPLE_ORG = "people_org"  # 人民团体
    TASK_FORCE = "task_force"  # 专班
    OFFICE = "office"  # 办公室


class UnitFields(TasksModel):
    name: str = Field(min_length=1, max_length=100, description="单位名称, the short name as printed.")
    kind: UnitKind = Field(sa_type=String(20), description="Kind of unit (单位类型).")
    contact_person: str | None = Field(None, max_length=100, description="联系人")
    contact_phone: str | None = Field(None, max_length=50, description="联系电话")
    contact_email: str | None = Field(None, max_length=254, description="联系邮箱, for notifications.")


class Unit(UnitFields, Stamped, table=True):
    __tablename__ = "units"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    parent_id: int | None = Field(None, foreign_key="units.id", ondelete="SET NULL", index=True)


# "dubanUNT": one writer of the unit tree at a time. Parents set at once cannot close a cycle between them, and a unit
# is not deleted while a delegation (转办) to or from it is checked and written: each waits for the other, whole
# (on PostgreSQL the two would otherwise each lock a row the other needs next, the unit's and a delegation's).
UNIT_TREE_LOCK = 0x6475_6261_6E55_4E54
# "dubanITM": one mover of items at a time. Each move checks the chain above its new parent and guards its own row
# only: two items moved under each other at once both passed, a cycle that dropped both from the tree.
ITEM_TREE_LOCK = 0x6475_6261_6E49_544D
# "dubanLDR": a leader's delete counts what refers to the leader under it (people/service._hold_leader).
LEADER_LOCK = 0x6475_6261_6E4C_4452


# -- leaders -------------------------------------------------------------------------------------


class LeaderFields(TasksModel):
    name: str = Field(min_length=1, max_length=50, description="姓名")
    title: str | None = Field(None, max_length=200, description="职务, as printed, e.g. 市委副书记、市长.")
    unit_id: int | None = Field(None, description="The unit the leader heads or belongs to, if any.")


class Leader(LeaderFields, Stamped, table=True):
    __tablename__ = "leaders"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True)
    unit_id: int | None = Field(None, foreign_key="units.id", ondelete="SET NULL")


# -- links across plans (一方案四清单) -----------------------------------------------------------------

REFERENCE = "The external task's reference as printed (文号、任务编号), when it is not a plan in duban."
# "dubanLNK": one writer of links at a time, so that no two close a cycle, and no link is set on an item while a
# delete that takes it reads the links it records (items/unlinking.py).
LINK_LOCK = 0x6475_6261_6E4C_4E4B


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
    """The link of an item to what it serves (上级任务): an item of a higher-level plan in duban, or a reference to a
    plan duban does not hold (the province's, as printed)."""

    __tablename__ = "item_links"
    __table_args__ = (
        CheckConstraint("(serves_item_id IS NULL) <> (reference IS NULL)", name="ck_item_links_one_target"),
        Index("ix_item_links_serves", "serves_item_id", "item_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", unique=True, ondelete="CASCADE")
    # A deleted item's links are removed (and recorded) before it goes; the cascades only back that up.
    serves_item_id: int | None = Field(None, foreign_key="items.id", ondelete="CASCADE")


class ItemLinkEnd(TasksModel, table=True):
    """The version an item's link had when it was removed (unlinked, or gone with the item it served), while the
    item has no link: its next link continues from it, so an item never shows the same link ETag twice."""

    __tablename__ = "item_link_ends"
    item_id: int = Field(primary_key=True, foreign_key="items.id", ondelete="CASCADE")
    version: int


class LinkRow(TypedDict):
    id: int
    item_id: int
    serves_item_id: int | None
    reference: str | None
    title: str | None
    source: str | None
    version: int
    created_at: datetime
    updated_at: datetime


link_records: Records[LinkRow] = Records(table_of(ItemLink), "item_link", change_log)
link_ends = table_of(ItemLinkEnd)
