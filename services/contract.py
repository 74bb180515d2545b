"""The published contract: `python -m services.contract write` regenerates openapi/<service>.json;
`python -m services.contract breaking [--against REF]` fails on breaking changes since REF (default HEAD~1)
unless the contract's version announces them (see services/contract_diff.py for the rule).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable

from fastapi import FastAPI

from services.common.json import JsonObject
from services.common.settings import REPO_ROOT
from services.contract_diff import Contract, breaking_changes, version_allows_breaks
from services.notify_api.app import create_app as notify_app
from services.reporting_api.app import create_app as reporting_app
from services.tasks_api.app import create_app as tasks_app

CONTRACT_DIR = REPO_ROOT / "openapi"
SERVICES = ("tasks_api", "reporting_api", "notify_api")


def service_apps() -> dict[str, Callable[[], FastAPI]]:
    return {"tasks_api": tasks_app, "reporting_api": reporting_app, "notify_api": notify_app}


def render(schema: JsonObject) -> str:
    """The committed form: stable key order from the app, readable Chinese, one trailing newline."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def generated(service: str) -> str:
    return render(service_apps()[service]().openapi())


def write() -> None:
    CONTRACT_DIR.mkdir(exist_ok=True)
    for service in service_apps():
        (CONTRACT_DIR / f"{service}.json").write_text(generated(service), encoding="utf-8")
        print(f"openapi/{service}.json written")


def committed_at(ref: str, service: str) -> JsonObject | None:
    """The contract as committed at a git ref, or None where the ref or the file does not exist there."""
    shown = subprocess.run(
        ["git", "show", f"{ref}:openapi/{service}.json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    return json.loads(shown.stdout) if shown.returncode == 0 else None


def _resolves(ref: str) -> bool:
    return (
        subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


def breaking(against: str | None) -> int:
    """Compare each committed contract with its version at `against` (default HEAD~1); 1 when a break is not
    announced, 2 when a ref that was asked for does not exist."""
    if against is None:
        if not _resolves("HEAD~1"):
            print("HEAD~1 is not in this repository (a first commit or a shallow clone): nothing to compare")
            return 0
        against = "HEAD~1"
    elif not _resolves(against):
        print(f"{against} is not a commit of this repository")
        return 2
    failed = False
    for service in SERVICES:
        old = committed_at(against, service)
        if old is None:
            print(f"openapi/{service}.json: no contract at {against}, nothing to compare")
            continue
        new: JsonObject = json.loads((CONTRACT_DIR / f"{service}.json").read_text(encoding="utf-8"))
        changes = breaking_changes(old, new)
        old_version, new_version = Contract(old).version, Contract(new).version
        announced = version_allows_breaks(old_version, new_version)
        verdict = "breaking, announced by the version" if announced else "BREAKING, version not bumped"
        print(
            f"openapi/{service}.json {old_version} -> {new_version}: "
            + (f"{len(changes)} {verdict}" if changes else "no breaking change")
        )
        for change in changes:
            print(f"  - {change}")
        failed |= bool(changes) and not announced
    if failed:
        print("Bump info.version's major (minor while it is 0.x) in the app factory, or keep the change additive.")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.contract")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("write", help="regenerate openapi/*.json from the apps")
    check = commands.add_parser("breaking", help="fail on unannounced breaking changes since a git ref")
    check.add_argument("--against", default=None, help="git ref to compare with (default HEAD~1)")
    arguments = parser.parse_args(argv)
    if arguments.command == "write":
        write()
        return 0
    return breaking(arguments.against)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
