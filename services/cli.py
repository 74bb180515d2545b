"""`duban`: the command line for operators and cron: migrate, import, mint tokens, serve."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from services.cli_audit import add_audit_commands
from services.common import loops

SERVICES = {"tasks_api": 8001, "reporting_api": 8002, "notify_api": 8003}
GATEWAY_PORT = 8000  # the one origin: each service under its prefix (services/gateway.py)
SERVE_DISPATCH_INTERVAL_SECONDS = "60"  # `duban serve` (make run) dispatches reminders every minute by default


def _migrate(args: argparse.Namespace) -> int:
    from services.common.migrations import upgrade

    for service in SERVICES if args.service == "all" else [args.service]:
        upgrade(service)
        print(f"{service}: at head")
    return 0


def _import(args: argparse.Namespace) -> int:
    from services.common.db import Database, make_engine
    from services.common.problems import ProblemError
    from services.tasks_api.plans.files.validation import PlanFileError, parse_plan_file
    from services.tasks_api.plans.service import import_plan
    from services.tasks_api.settings import TasksSettings

    try:
        plan_file = parse_plan_file(Path(args.file).read_bytes())
    except PlanFileError as exc:
        for error in exc.errors:
            print(f"{args.file}:{error['line'] or '?'}: {error['location']}: {error['message']}", file=sys.stderr)
        return 1

    async def run() -> tuple[int, dict[str, int]]:
        database = Database(make_engine(TasksSettings.load().resolved_database_url()))
        try:
            return await import_plan(database, plan_file=plan_file, actor="cli")
        finally:
            await database.dispose()

    try:
        plan_id, counts = loops.run(run())
    except ProblemError as exc:  # what the file says contradicts the database (a parent unknown, a cycle): 422
        where = [str(error.get("pointer", "")).removeprefix("/body/") for error in exc.extra.get("errors", [])]
        print(f"{args.file}: {', '.join(filter(None, where)) or '(file)'}: {exc.detail}", file=sys.stderr)
        return 1
    changes = ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing changed"
    print(f"plan {plan_file.plan.key} (id {plan_id}): {changes}")
    return 0


def _token(args: argparse.Namespace) -> int:
    from services.common.auth import mint_token
    from services.tasks_api.settings import TasksSettings

    print(
        mint_token(
            TasksSettings.load(),
            role=args.role,
            unit_id=args.unit,
            subject=args.subject,
            ttl_seconds=args.days * 24 * 3600,
        )
    )
    return 0


def _relay(args: argparse.Namespace) -> int:
    """Publish the producers' outbox events to notify_api once (for cron, beside or instead of the in-app loop)."""
    from services.common.db import Database, make_engine
    from services.common.outbox import notify_client, relay_all
    from services.reporting_api.db import outbox_events as reporting_outbox
    from services.reporting_api.settings import ReportingSettings
    from services.tasks_api.db import outbox_events as tasks_outbox
    from services.tasks_api.settings import TasksSettings

    producers = {"tasks_api": (TasksSettings, tasks_outbox), "reporting_api": (ReportingSettings, reporting_outbox)}

    async def run(service: str) -> tuple[int, int]:
        settings_class, table = producers[service]
        settings = settings_class()
        url = args.notify_api_url or settings.notify_api_url or f"http://127.0.0.1:{SERVICES['notify_api']}"
        database, client = Database(make_engine(settings.resolved_database_url())), notify_client(settings, url)
        try:
            return await relay_all(database, table, client, source=service)
        finally:
            await client.aclose()
            await database.dispose()

    failed = False
    for service in producers if args.service == "all" else [args.service]:
        published, pending = loops.run(run(service))
        print(f"{service}: {published} event(s) published, {pending} pending")
        failed = failed or pending > 0
    return 1 if failed else 0


def _dispatch(args: argparse.Namespace) -> int:
    """One notify_api dispatch against the configured database and peers (for cron)."""
    from services.common.json import instant_text
    from services.common.problems import ProblemError
    from services.notify_api.deliveries.clock import from_user
    from services.notify_api.dispatches.jobs import dispatch_once
    from services.notify_api.settings import NotifySettings

    as_of = from_user(args.as_of) if args.as_of else None
    try:
        dispatch, ran = loops.run(dispatch_once(NotifySettings.load(), as_of=as_of))
    except ProblemError as exc:  # a peer or the database is down: nothing was written, cron may run again
        print(f"dispatch failed: {exc.detail}", file=sys.stderr)
        return 1
    again = "" if ran else " (this as_of was dispatched before; nothing new)"
    print(
        f"dispatch {dispatch['id']} as of {instant_text(dispatch['as_of'])}: created {dispatch['created']}, "
        f"sent {dispatch['sent']}, failed {dispatch['failed']}{again}"
    )
    return 0


def _seal_contacts(args: argparse.Namespace) -> int:
    from services.common.db import Database, make_engine
    from services.notify_api.contacts.service import seal_clear_targets
    from services.notify_api.settings import NotifySettings

    settings = NotifySettings.load()

    async def run() -> int:
        database = Database(make_engine(settings.resolved_database_url()))
        try:
            return await seal_clear_targets(database, settings)
        finally:
            await database.dispose()

    print(f"notify_api: {loops.run(run())} contact target(s) sealed; tokens masked in the change history")
    return 0


def _iso_datetime(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date-time") from exc


def serve_environment(host: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the three services under `duban serve`: each finds its peers on the local ports, and
    notify_api's worker dispatches on an interval (reminders go out without cron) unless the user chose one."""
    base = {name: f"http://{host}:{port}" for name, port in SERVICES.items()}
    return {
        "NOTIFY_API_DISPATCH_INTERVAL_SECONDS": SERVE_DISPATCH_INTERVAL_SECONDS,
        **environ,
        "REPORTING_API_TASKS_API_URL": base["tasks_api"],
        "NOTIFY_API_TASKS_API_URL": base["tasks_api"],
        "NOTIFY_API_REPORTING_API_URL": base["reporting_api"],
        "TASKS_API_NOTIFY_API_URL": base["notify_api"],
        "REPORTING_API_NOTIFY_API_URL": base["notify_api"],
    }


def _serve(args: argparse.Namespace) -> int:
    """Run the three services and their three workers side by side until interrupted."""
    from services.common.auth import mint_token
    from services.common.settings import REPO_ROOT
    from services.tasks_api.settings import TasksSettings

    token = mint_token(TasksSettings.load(), role="admin", subject="admin")
    (REPO_ROOT / "var").mkdir(exist_ok=True)
    (REPO_ROOT / "var" / "admin.token").write_text(token + "\n")
    env = serve_environment(args.host, os.environ)
    children = _start_services(args.host, env)
    _welcome(args.host, env, token)
    # SIGTERM (kill, systemd, a container stop) must stop the children too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a service stopped; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)  # not SIGINT: after Ctrl-C, a second one skips uvicorn's graceful stop
        for child in children:
            child.wait(timeout=10)


def _start_services(host: str, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    """The three services, a worker per service (each one's batch work: outbox relay, dispatch, delivery, never in
    the API process), and the gateway that serves them under one origin."""
    server = [sys.executable, "-m", "services.common.server"]
    children = [
        subprocess.Popen([*server, name, "--host", host, "--port", str(port), "--log-level", "warning"], env=env)
        for name, port in SERVICES.items()
    ]
    children += [subprocess.Popen([sys.executable, "-m", f"services.{name}.worker"], env=env) for name in SERVICES]
    upstreams = [f"--upstream={name}=http://{host}:{port}" for name, port in SERVICES.items()]
    gateway = [sys.executable, "-m", "services.gateway", *upstreams, "--host", host, "--port", str(GATEWAY_PORT)]
    children.append(subprocess.Popen(gateway, env=env))
    return children


def _welcome(host: str, env: dict[str, str], token: str) -> None:
    print(f"duban is running at http://{host}:{GATEWAY_PORT}/ (the three services' docs are linked there):")
    for name, port in SERVICES.items():
        prefix = name.removesuffix("_api")
        print(f"  {name:14} http://{host}:{GATEWAY_PORT}/{prefix}/docs  (its own port: http://{host}:{port}/docs)")
    print("  and a worker per service (python -m services.<service>.worker) for the batch work:")
    print(
        f"  notify_api's dispatches reminders every {env['NOTIFY_API_DISPATCH_INTERVAL_SECONDS']} s "
        "(NOTIFY_API_DISPATCH_INTERVAL_SECONDS; 0 turns the interval dispatch off)"
    )
    print(f"\nadmin token (also in var/admin.token):\n{token}\n")
    print(f"try: curl -H 'Authorization: Bearer {token[:16]}…' http://{host}:{GATEWAY_PORT}/tasks/v1/plans\n")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "role", None) == "unit" and args.unit is None:
        parser.error("--unit is required for role unit")
    status: int = args.run(args)
    return status


def build_parser() -> argparse.ArgumentParser:
    """The command line (compose.yaml and deploy/kubernetes/ are tested against it)."""
    parser = argparse.ArgumentParser(prog="duban", description="督办: supervise a government action plan.")
    commands = parser.add_subparsers(dest="command", required=True)

    migrate = commands.add_parser("migrate", help="upgrade a service's database (or all) to the latest migration")
    migrate.add_argument("service", nargs="?", default="all", choices=["all", *SERVICES])
    migrate.set_defaults(run=_migrate)

    importer = commands.add_parser("import", help="import a plan file into tasks_api (idempotent)")
    importer.add_argument("file")
    importer.set_defaults(run=_import)

    _add_token_commands(commands)
    _add_cron_commands(commands)

    add_audit_commands(commands, SERVICES)

    serve = commands.add_parser("serve", help="run the three services behind one origin (port 8000; 8001-8003 each)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(run=_serve)
    return parser


def _add_token_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="mint tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="mint a locally signed bearer token")
    create.add_argument("--role", required=True, choices=["admin", "office", "unit", "viewer", "service"])
    create.add_argument("--unit", type=int, help="the unit id, for role unit")
    create.add_argument("--subject", help="who the token is for (default: role and a random suffix)")
    create.add_argument("--days", type=int, default=30, help="validity in days (default 30)")
    create.set_defaults(run=_token)


def _add_cron_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """What an operator or cron runs against a service's database: relay, dispatch, seal contacts."""
    relay = commands.add_parser("relay", help="publish the outbox events of tasks_api and reporting_api to notify_api")
    relay.add_argument("service", nargs="?", default="all", choices=["all", "tasks_api", "reporting_api"])
    relay.add_argument(
        "--notify-api-url",
        help="where notify_api answers (default: the service's NOTIFY_API_URL setting, else the local port 8003)",
    )
    relay.set_defaults(run=_relay)

    dispatch = commands.add_parser("dispatch", help="run one notify_api dispatch: plan due reminders, deliver (cron)")
    dispatch.add_argument(
        "--as-of",
        type=_iso_datetime,
        help="ISO date-time to dispatch as of (default now; without offset: Beijing time)",
    )
    dispatch.set_defaults(run=_dispatch)

    contacts = commands.add_parser("contacts", help="notify_api contacts")
    contacts_commands = contacts.add_subparsers(dest="contacts_command", required=True)
    seal = contacts_commands.add_parser(
        "seal", help="seal robot URLs stored in clear before sealing existed (needs NOTIFY_API_SECRET_KEY)"
    )
    seal.set_defaults(run=_seal_contacts)


if __name__ == "__main__":
    sys.exit(main())
