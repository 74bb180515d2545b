"""The breaking-change check (python -m services.contract breaking), on small synthetic contracts."""

from __future__ import annotations

import copy
import json
import subprocess
from typing import Any

import pytest

from services.contract import main as contract_main
from services.contract_diff import breaking_changes, version_allows_breaks


def contract(version: str = "1.0.0") -> dict[str, Any]:
    """A one-resource contract: list and create items, with an optional query filter."""
    item = {
        "type": "object",
        "required": ["id", "title"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string", "maxLength": 200},
            "status": {"type": "string", "enum": ["open", "done"]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    }
    create = {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "status": {"type": "string", "enum": ["open", "done"]},
            "note": {"anyOf": [{"type": "string", "maxLength": 500}, {"type": "null"}]},
        },
    }
    page = {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}

    def ok(ref: str) -> dict[str, Any]:
        return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}

    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": version},
        "paths": {
            "/items": {
                "get": {
                    "parameters": [{"name": "status", "in": "query", "required": False, "schema": {"type": "string"}}],
                    "responses": {"200": ok("Page")},
                },
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemCreate"}}},
                    },
                    "responses": {"201": ok("Item")},
                },
            }
        },
        "components": {"schemas": {"Item": item, "ItemCreate": create, "Page": page}},
    }


def changed(edit) -> list[str]:
    old = contract()
    new = copy.deepcopy(old)
    edit(new)
    return breaking_changes(old, new)


def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["components"]["schemas"]


def test_an_unchanged_contract_has_no_breaking_change():
    assert changed(lambda spec: None) == []


def test_additions_do_not_break():
    def add(spec):
        spec["paths"]["/items/{id}"] = {"get": {"responses": {"200": {}}}}
        schemas(spec)["Item"]["properties"]["due_on"] = {"type": "string", "format": "date"}
        schemas(spec)["ItemCreate"]["properties"]["due_on"] = {"type": "string", "format": "date"}
        schemas(spec)["ItemCreate"]["properties"]["status"]["enum"].append("dropped")
        schemas(spec)["ItemCreate"]["properties"]["title"]["maxLength"] = 400
        spec["paths"]["/items"]["get"]["parameters"].append({"name": "q", "in": "query", "schema": {"type": "string"}})

    assert changed(add) == []


def test_a_removed_operation_breaks():
    assert changed(lambda spec: spec["paths"]["/items"].pop("post")) == ["POST /items: operation removed"]


def test_a_removed_response_field_breaks_even_inside_a_page():
    breaks = changed(lambda spec: schemas(spec)["Item"]["properties"].pop("status"))
    assert "GET /items: response 200.data[]: field 'status' removed" in breaks
    assert "POST /items: response 201: field 'status' removed" in breaks


def test_a_newly_required_request_field_breaks():
    breaks = changed(lambda spec: schemas(spec)["ItemCreate"]["required"].append("status"))
    assert breaks == ["POST /items: request body: field 'status' is newly required"]


def test_a_newly_required_parameter_breaks():
    def require(spec):
        spec["paths"]["/items"]["get"]["parameters"][0]["required"] = True

    assert changed(require) == ["GET /items: query parameter 'status' is newly required"]


def test_a_new_required_parameter_breaks():
    def add(spec):
        spec["paths"]["/items"]["get"]["parameters"].append(
            {"name": "plan_id", "in": "query", "required": True, "schema": {"type": "integer"}}
        )

    assert changed(add) == ["GET /items: query parameter 'plan_id' is newly required"]


def test_a_changed_request_type_breaks():
    def retype(spec):
        schemas(spec)["ItemCreate"]["properties"]["title"] = {"type": "integer"}

    assert changed(retype)[0].startswith("POST /items: request body.title: type narrowed")


def test_a_changed_response_type_breaks():
    def retype(spec):
        schemas(spec)["Item"]["properties"]["id"] = {"type": "string"}

    assert "POST /items: response 201.id: type changed from ['integer'] to ['string']" in changed(retype)


def test_an_optional_request_field_made_not_nullable_breaks():
    def drop_null(spec):
        schemas(spec)["ItemCreate"]["properties"]["note"] = {"type": "string", "maxLength": 500}

    assert changed(drop_null) == ["POST /items: request body.note: type narrowed from ['null', 'string'] to ['string']"]


def test_removed_enum_values_break():
    def remove(spec):
        schemas(spec)["ItemCreate"]["properties"]["status"]["enum"] = ["open"]

    assert changed(remove) == ["POST /items: request body.status: enum values removed ['done']"]


def test_a_lowered_max_length_breaks_even_behind_an_optional_value():
    def lower(spec):
        schemas(spec)["ItemCreate"]["properties"]["title"]["maxLength"] = 100
        schemas(spec)["ItemCreate"]["properties"]["note"]["anyOf"][0]["maxLength"] = 50

    assert changed(lower) == [
        "POST /items: request body.title: maxLength narrowed from 200 to 100",
        "POST /items: request body.note: maxLength narrowed from 500 to 50",
    ]


def test_a_new_pattern_on_a_parameter_breaks():
    def restrict(spec):
        spec["paths"]["/items"]["get"]["parameters"][0]["schema"]["pattern"] = "^[a-z]+$"

    assert changed(restrict) == ["GET /items: query parameter 'status': pattern narrowed from None to ^[a-z]+$"]


def test_recursive_schemas_are_compared_without_looping():
    def recurse(spec):
        schemas(spec)["Item"]["properties"]["children"] = {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Item"},
        }

    old = contract()
    recurse(old)
    new = copy.deepcopy(old)
    schemas(new)["Item"]["properties"].pop("note")
    assert "POST /items: response 201: field 'note' removed" in breaking_changes(old, new)


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("1.4.2", "2.0.0", True),
        ("1.4.2", "1.5.0", False),
        ("1.4.2", "1.4.3", False),
        ("0.2.0", "0.3.0", True),
        ("0.2.0", "0.2.1", False),
        ("0.2.0", "1.0.0", True),
        ("2.0.0", "1.9.0", False),
    ],
)
def test_a_break_is_announced_by_the_major_version_or_the_minor_below_one(old, new, allowed):
    assert version_allows_breaks(old, new) is allowed


def git_repository(path, *contracts: dict[str, Any]) -> None:
    """A git repository at `path` with one commit per contract of tasks_api (other services absent)."""

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.cn", *args],
            cwd=path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    (path / "openapi").mkdir()
    for spec in contracts:
        (path / "openapi" / "tasks_api.json").write_text(json.dumps(spec), encoding="utf-8")
        git("add", "openapi/tasks_api.json")
        git("commit", "-q", "--allow-empty", "-m", "contract")


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """Run the command against a throw-away repository instead of this one."""
    monkeypatch.setattr("services.contract.REPO_ROOT", tmp_path)
    monkeypatch.setattr("services.contract.CONTRACT_DIR", tmp_path / "openapi")
    return tmp_path


def without_post(version: str) -> dict[str, Any]:
    spec = contract(version)
    del spec["paths"]["/items"]["post"]
    return spec


def test_the_command_fails_on_an_unannounced_break_since_the_previous_commit(repository, capsys):
    git_repository(repository, contract("1.0.0"), without_post("1.1.0"))
    assert contract_main(["breaking"]) == 1
    assert "POST /items: operation removed" in capsys.readouterr().out


def test_the_command_passes_a_break_announced_by_a_major_bump(repository):
    git_repository(repository, contract("1.0.0"), without_post("2.0.0"))
    assert contract_main(["breaking"]) == 0


def test_the_command_passes_when_there_is_no_previous_contract(repository, capsys):
    git_repository(repository, contract("1.0.0"))
    assert contract_main(["breaking"]) == 0
    assert "nothing to compare" in capsys.readouterr().out


def test_the_command_compares_with_the_ref_it_is_given(repository):
    git_repository(repository, contract("1.0.0"), without_post("1.0.0"), without_post("1.0.0"))
    assert contract_main(["breaking"]) == 0
    assert contract_main(["breaking", "--against", "HEAD~2"]) == 1


def test_the_command_refuses_a_ref_that_does_not_exist(repository):
    git_repository(repository, contract("1.0.0"))
    assert contract_main(["breaking", "--against", "no-such-ref"]) == 2
