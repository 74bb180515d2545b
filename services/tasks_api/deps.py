"""tasks_api's dependencies: one way each to reach its settings, database and caller."""

from typing import Annotated

from fastapi import Depends, Query

from services.common.auth import PrincipalDep
from services.common.db import Database
from services.common.deps_factory import get_database, settings_of
from services.tasks_api.settings import TasksSettings

SettingsDep = Annotated[TasksSettings, Depends(settings_of(TasksSettings))]
DatabaseDep = Annotated[Database, Depends(get_database)]

# The plan and unit filters the assignments and the deadlines routes share.
PlanFilter = Annotated[int | None, Query(description="Only rows of this plan.")]
UnitFilter = Annotated[int | None, Query(description="Only rows of this unit (a unit token: its own only).")]

__all__ = ["DatabaseDep", "PlanFilter", "PrincipalDep", "SettingsDep", "UnitFilter"]
