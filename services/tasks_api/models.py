"""Every tasks_api table, imported in one place so that Alembic and the tests see the whole metadata."""

from services.tasks_api.closeout.models import CloseoutRequest
from services.tasks_api.db import change_log, idempotency_keys, metadata
from services.tasks_api.deadlines.models import ExtensionRequest
from services.tasks_api.delegations.models import Delegation
from services.tasks_api.items.models import Item, ItemLeader, Responsibility
from services.tasks_api.people.models import Group, GroupMember
from services.tasks_api.tables import ItemLink, ItemLinkEnd, Leader, Plan, Unit
from services.tasks_api.targets.models import Indicator, Milestone
from services.tasks_api.units.models import UnitAlias

__all__ = [
    "CloseoutRequest",
    "Delegation",
    "ExtensionRequest",
    "Group",
    "GroupMember",
    "Indicator",
    "Item",
    "ItemLeader",
    "ItemLink",
    "ItemLinkEnd",
    "Leader",
    "Milestone",
    "Plan",
    "Responsibility",
    "Unit",
    "UnitAlias",
    "change_log",
    "idempotency_keys",
    "metadata",
]
