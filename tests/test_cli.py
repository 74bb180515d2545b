"""The `duban` command line: migrate, import and mint tokens, as `make run` uses them."""

import jwt
import pytest

from services.cli import main
from services.common.settings import DEVELOPMENT_SECRET
from tests.conftest import QUZHOU_PLAN


@pytest.fixture
def fresh_databases(databases, monkeypatch):
    for service in ("tasks_api", "reporting_api", "notify_api"):
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", databases.create(f"cli_{service}"))


def test_migrate_then_import_twice_loads_the_plan_once(fresh_databases, capsys):
    assert main(["migrate", "all"]) == 0
    assert main(["import", str(QUZHOU_PLAN)]) == 0
    first = capsys.readouterr().out
    assert "item.created 105" in first
    assert main(["import", str(QUZHOU_PLAN)]) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_import_of_a_broken_file_names_the_line_and_changes_nothing(fresh_databases, tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text(QUZHOU_PLAN.read_text(encoding="utf-8").replace("target: 298", "target: many"),
                      encoding="utf-8")
    main(["migrate", "tasks_api"])
    assert main(["import", str(broken)]) == 1
    assert ":687: items[3].children[1].indicators[0].target" in capsys.readouterr().err


def test_token_create_mints_a_unit_token_for_its_unit(capsys):
    assert main(["token", "create", "--role", "unit", "--unit", "7", "--subject", "jtj"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), DEVELOPMENT_SECRET, algorithms=["HS256"], audience="duban")
    assert (claims["role"], claims["unit_id"], claims["sub"]) == ("unit", 7, "jtj")


def test_a_unit_token_needs_its_unit():
    with pytest.raises(SystemExit):
        main(["token", "create", "--role", "unit"])


