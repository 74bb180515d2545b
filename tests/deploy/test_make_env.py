"""`make env` writes the .env compose.yaml reads: fresh random secrets, the example's other values, never twice."""

import subprocess
import sys

from services.common.settings import MIN_SECRET_BYTES, REPO_ROOT
from services.tasks_api.settings import TasksSettings

EXAMPLE = REPO_ROOT / ".env.example"
SECRETS = ("DUBAN_JWT_SECRET", "DUBAN_SECRET_KEY", "DUBAN_POSTGRES_PASSWORD")


def make_env(out):
    command = [sys.executable, str(REPO_ROOT / "deploy" / "make_env.py"), "--example", str(EXAMPLE), "--out", str(out)]
    return subprocess.run(command, capture_output=True, text=True)


def variables(path):
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_make_env_gives_each_secret_a_new_random_value_long_enough_for_production(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    make_env(first), make_env(second)
    for name in SECRETS:
        assert len(variables(first)[name].encode()) >= MIN_SECRET_BYTES
        assert variables(first)[name] != variables(second)[name]


def test_make_env_keeps_every_other_value_of_the_example(tmp_path):
    make_env(tmp_path / ".env")
    written, example = variables(tmp_path / ".env"), variables(EXAMPLE)
    assert written.keys() == example.keys()
    assert {k: v for k, v in written.items() if k not in SECRETS} == {k: v for k, v in example.items() if v}


def test_make_env_never_overwrites_an_existing_env(tmp_path):
    existing = tmp_path / ".env"
    existing.write_text("DUBAN_JWT_SECRET=kept\n")
    result = make_env(existing)
    assert result.returncode == 1
    assert existing.read_text() == "DUBAN_JWT_SECRET=kept\n"


def test_the_env_is_readable_by_its_owner_only(tmp_path):
    make_env(tmp_path / ".env")
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0


def test_git_ignores_the_env_but_not_the_example():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO_ROOT).returncode
    example_ignored = subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=REPO_ROOT).returncode
    assert (ignored, example_ignored) == (0, 1)


def test_the_env_changes_no_setting_of_a_service_run_from_the_same_folder(tmp_path):
    # The services read a .env of their own (pydantic-settings); compose's variables carry no service prefix.
    make_env(tmp_path / ".env")
    assert TasksSettings(_env_file=tmp_path / ".env") == TasksSettings(_env_file=None)
