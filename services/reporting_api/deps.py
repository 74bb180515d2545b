"""reporting_api's dependencies: one way each to reach its settings, database, caller, peer and caches."""

from typing import Annotated

from fastapi import Depends

from services.common.auth import PrincipalDep
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.deps_factory import app_held, get_database, settings_of
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.walks import ComplianceWalks
from services.reporting_api.settings import ReportingSettings

SettingsDep = Annotated[ReportingSettings, Depends(settings_of(ReportingSettings))]
DatabaseDep = Annotated[Database, Depends(get_database)]
TasksDep = Annotated[TasksClient, Depends(app_held("tasks", TasksClient))]
RollupMemoDep = Annotated[InputMemo, Depends(app_held("rollup_memo", InputMemo))]
WalksDep = Annotated[ComplianceWalks, Depends(app_held("compliance_walks", ComplianceWalks))]

__all__ = ["DatabaseDep", "PrincipalDep", "RollupMemoDep", "SettingsDep", "TasksDep", "WalksDep"]
