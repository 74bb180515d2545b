"""`duban audit verify`: check each service's change-log hash chain (services/common/audit_chain.py)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from services.common import loops


def add_audit_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser], services: Iterable[str]) -> None:
    audit = commands.add_parser("audit", help="the audit trail (审计)")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="check the change logs' hash chains; name the first broken row")
    verify.add_argument("service", nargs="?", default="all", choices=["all", *services])
    verify.add_argument("--database-url", help="the service's database (default: its settings)")
    verify.set_defaults(run=_audit_verify)


def _audit_verify(args: argparse.Namespace) -> int:
    """Check each service's change-log hash chain; name the first broken row (exit 1 if any chain is broken)."""
    from sqlalchemy import Table

    from services.common.audit_chain import verify_chain
    from services.common.db import Database, make_engine
    from services.common.settings import ServiceSettings
    from services.notify_api.db import change_log as notify_log
    from services.notify_api.settings import NotifySettings
    from services.reporting_api.db import change_log as reporting_log
    from services.reporting_api.settings import ReportingSettings
    from services.tasks_api.db import change_log as tasks_log
    from services.tasks_api.settings import TasksSettings

    logs: dict[str, tuple[type[ServiceSettings], Table]] = {
        "tasks_api": (TasksSettings, tasks_log),
        "reporting_api": (ReportingSettings, reporting_log),
        "notify_api": (NotifySettings, notify_log),
    }

    async def run(service: str) -> str:
        settings_class, change_log = logs[service]
        url = args.database_url or settings_class.load().resolved_database_url()
        database = Database(make_engine(url))
        try:
            async with database.read() as conn:
                report = await verify_chain(conn, change_log)
        finally:
            await database.dispose()
        if report.intact:
            return f"{service}: the chain of {report.rows} change(s) is intact"
        return f"{service}: BROKEN at change {report.broken_id}: {report.reason}"

    lines = [loops.run(run(service)) for service in (logs if args.service == "all" else [args.service])]
    print("\n".join(lines))
    return 1 if any("BROKEN" in line for line in lines) else 0
