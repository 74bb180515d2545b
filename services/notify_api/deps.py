"""notify_api's dependencies: one way each to reach its settings, database, caller and peers."""

from typing import Annotated

from fastapi import Depends

from services.common.auth import PrincipalDep
from services.common.contracts.reporting import ReportingClient
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.deps_factory import app_held, get_database, settings_of
from services.notify_api.settings import NotifySettings

SettingsDep = Annotated[NotifySettings, Depends(settings_of(NotifySettings))]
DatabaseDep = Annotated[Database, Depends(get_database)]
TasksDep = Annotated[TasksClient, Depends(app_held("tasks", TasksClient))]
ReportingDep = Annotated[ReportingClient, Depends(app_held("reporting", ReportingClient))]

__all__ = ["DatabaseDep", "PrincipalDep", "ReportingDep", "SettingsDep", "TasksDep"]
