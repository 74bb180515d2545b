"""Units and the spellings that resolve to them."""

from __future__ import annotations

import re
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field

from services.tasks_api.db import Stamped, TasksModel


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


_BRACKETS = str.maketrans({"〔": "（", "〕": "）", "(": "（", ")": "）", "[": "（", "]": "）", "【": "（", "】": "）"})


def name_key(name: str) -> str:
    """The form two spellings of one unit share: 市委组织部〔人才办〕 and 市委组织部（人才办） alike."""
    return re.sub(r"\s+", "", name.translate(_BRACKETS))


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


class UnitAlias(TasksModel, table=True):
    """A spelling of a unit; the unit's own name is stored here too, so one lookup resolves any spelling."""

    __tablename__ = "unit_aliases"
    alias: str = Field(primary_key=True, max_length=100)
    key: str = Field(max_length=100, index=True, description="name_key() of the spelling.")
    unit_id: int = Field(foreign_key="units.id", index=True, ondelete="CASCADE")
    position: int = Field(0, description="Order of the spelling; the unit's own name is 0.")
