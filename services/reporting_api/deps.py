"""reporting_api's dependencies: one way each to reach its settings, database, caller and peer (the oversight
caches are declared in oversight/router.py, their only user, so that this module imports no room)."""

from typing import Annotated

from fastapi import Depends

from services.common.auth import PrincipalDep
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.deps_factory import app_held, get_database, settings_of
from services.reporting_api.settings import ReportingSettings

SettingsDep = Annotated[ReportingSettings, Depends(settings_of(ReportingSettings))]
DatabaseDep = Annotated[Database, Depends(get_database)]
TasksDep = Annotated[TasksClient, Depends(app_held("tasks", TasksClient))]

__all__ = ["DatabaseDep", "PrincipalDep", "SettingsDep", "TasksDep"]
