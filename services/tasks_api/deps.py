"""tasks_api's dependencies: one way each to reach its settings, database and caller."""

from typing import Annotated

from fastapi import Depends

from services.common.auth import PrincipalDep
from services.common.db import Database
from services.common.deps_factory import get_database, settings_of
from services.tasks_api.settings import TasksSettings

SettingsDep = Annotated[TasksSettings, Depends(settings_of(TasksSettings))]
DatabaseDep = Annotated[Database, Depends(get_database)]

__all__ = ["DatabaseDep", "PrincipalDep", "SettingsDep"]
