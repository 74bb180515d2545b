"""The published contract: `python -m services.contract write` regenerates openapi/<service>.json."""

from __future__ import annotations

import json
import sys
from typing import Any

from services.common.settings import REPO_ROOT

CONTRACT_DIR = REPO_ROOT / "openapi"


def service_apps() -> dict[str, Any]:
    from services.notify_api.app import create_app as notify_app
    from services.reporting_api.app import create_app as reporting_app
    from services.tasks_api.app import create_app as tasks_app

    return {"tasks_api": tasks_app, "reporting_api": reporting_app, "notify_api": notify_app}


def render(schema: dict[str, Any]) -> str:
    """The committed form: stable key order from the app, readable Chinese, one trailing newline."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def generated(service: str) -> str:
    return render(service_apps()[service]().openapi())


def write() -> None:
    CONTRACT_DIR.mkdir(exist_ok=True)
    for service in service_apps():
        (CONTRACT_DIR / f"{service}.json").write_text(generated(service), encoding="utf-8")
        print(f"openapi/{service}.json written")


if __name__ == "__main__":
    commands = {"write": write}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python -m services.contract {{{'|'.join(commands)}}}")
    commands[sys.argv[1]]()
