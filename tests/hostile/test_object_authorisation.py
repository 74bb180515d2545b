"""Who may touch what (OWASP API1 object level, API5 function level), generated from the three contracts.

Unit A owns real objects in each world (an extension request, a report, a contact, a notification, a feed
token...), each carrying MARKER. Unit B, a viewer, a service and unit A itself are then sent to every
operation: a new endpoint is covered as soon as it is in the contract, and is refused unless an allow-list
below says otherwise.
"""

from __future__ import annotations

import pytest

from tests.hostile.contract import Operation, every
from tests.hostile.world import MARKER
from tests.problems import assert_problem

GUARDED = every(lambda op: not op.is_public)
WRITES = [op for op in GUARDED if op.is_write]
READS_BY_ID = [op for op in GUARDED if op.method == "GET" and op.path_parameters]
READS = [op for op in GUARDED if op.method == "GET"]

# What a unit token may write at all (on its own objects; the office may do everything).
UNIT_MAY = {
    ("tasks_api", "POST", "/v1/responsibilities/{responsibility_id}/acknowledgement"),  # 签收 its assignment
    ("tasks_api", "POST", "/v1/units/{unit_id}/acknowledgements"),  # 批量签收 its own assignments
    ("tasks_api", "POST", "/v1/items/{item_id}/extensions"),  # ask for more time on its item
    ("tasks_api", "PATCH", "/v1/milestones/{milestone_id}"),  # mark a milestone of its item done
    ("tasks_api", "POST", "/v1/items/{item_id}/closeout"),  # the lead unit asks for 办结销号
    ("tasks_api", "POST", "/v1/items/{item_id}/delegations"),  # 转办 to its own sub-unit
    ("tasks_api", "POST", "/v1/delegations/{delegation_id}/acknowledgement"),  # the delegate's 签收
    ("tasks_api", "POST", "/v1/delegations/{delegation_id}/withdrawal"),  # the delegating unit's 撤回
    ("tasks_api", "POST", "/v1/closeouts/{closeout_id}/evidence"),  # and attaches its evidence (佐证材料)
    ("tasks_api", "DELETE", "/v1/evidence/{evidence_id}"),  # while the request is pending
    ("reporting_api", "POST", "/v1/reports"),  # file, edit and submit its progress reports (反馈)
    ("reporting_api", "PATCH", "/v1/reports/{report_id}"),
    ("reporting_api", "POST", "/v1/reports/{report_id}/submit"),
    ("reporting_api", "POST", "/v1/reports/{report_id}/withdraw"),  # take back a submission not yet reviewed
    ("reporting_api", "DELETE", "/v1/reports/{report_id}"),  # a draft never submitted
    ("reporting_api", "POST", "/v1/reports/{report_id}/evidence"),  # its evidence (佐证材料), while a draft
    ("reporting_api", "DELETE", "/v1/evidence/{evidence_id}"),
    ("reporting_api", "POST", "/v1/instructions/{instruction_id}/replies"),  # comment on, answer its instructions
    ("reporting_api", "POST", "/v1/instructions/{instruction_id}/read"),  # 已阅
    ("reporting_api", "POST", "/v1/instruction-replies/{reply_id}/evidence"),  # the evidence of its own reply
    ("notify_api", "POST", "/v1/contacts"),  # manage where its own reminders go
    ("notify_api", "PATCH", "/v1/contacts/{contact_id}"),
    ("notify_api", "DELETE", "/v1/contacts/{contact_id}"),
    ("notify_api", "POST", "/v1/contacts/{contact_id}/secret"),
    ("notify_api", "POST", "/v1/notifications/{notification_id}/read"),  # acknowledge a reminder it got
    ("notify_api", "POST", "/v1/units/{unit_id}/feed-tokens"),  # its own calendar feed
    ("notify_api", "DELETE", "/v1/units/{unit_id}/feed-tokens/{token_id}"),
}
# What a service token may write: the scheduler's dispatch run and the producers' event relay, nothing else.
SERVICE_MAY = {
    ("notify_api", "POST", "/v1/dispatches"),
    ("notify_api", "POST", "/v1/events"),
}
# Reads by id that any caller may make, another unit included. They are either open to the whole city, or
# summaries that filter by the caller; every read is also checked below for leaking unit A's text.
_SHARED_READ_PATHS = {
    # The plan is public to every caller: its tree, items, targets, duties, units, leaders and groups.
    "tasks_api": (
        "/v1/plans/{plan_id}",
        "/v1/plans/{plan_id}/export",
        "/v1/plans/{plan_id}/breakdown.xlsx",
        "/v1/plans/{plan_id}/items",
        "/v1/plans/{plan_id}/tree",
        "/v1/items/{item_id}",
        "/v1/items/{item_id}/indicators",
        "/v1/indicators/{indicator_id}",
        "/v1/items/{item_id}/milestones",
        "/v1/milestones/{milestone_id}",
        "/v1/items/{item_id}/leaders",
        "/v1/items/{item_id}/leaders/{leader_id}",
        "/v1/plans/{plan_id}/indicators",
        "/v1/plans/{plan_id}/item-leaders",
        "/v1/items/{item_id}/responsibilities",
        "/v1/responsibilities/{responsibility_id}",
        "/v1/plans/{plan_id}/assignments",
        "/v1/units/{unit_id}",
        "/v1/leaders/{leader_id}",
        "/v1/groups/{group_id}",
        "/v1/groups/{group_id}/members",
        "/v1/items/{item_id}/extensions",  # lists only the caller's own requests
        "/v1/items/{item_id}/closeouts",
        "/v1/items/{item_id}/serves",  # which higher-level task the item answers: the plans are public
        "/v1/items/{item_id}/served-by",
        "/v1/items/{item_id}/delegations",  # lists only the delegations the caller made or received
    ),  # the same
    # The reporting calendar and rules are the plan's; the summaries show a unit its own rows.
    "reporting_api": (
        "/v1/plans/{plan_id}/periods",
        "/v1/plans/{plan_id}/rules",
        "/v1/plans/{plan_id}/compliance",
        "/v1/plans/{plan_id}/traffic-lights",
        "/v1/plans/{plan_id}/indicators/progress",
        "/v1/plans/{plan_id}/assessment",
        "/v1/plans/{plan_id}/ledger.xlsx",
        "/v1/plans/{plan_id}/ledger.csv",
        "/v1/plans/{plan_id}/obligations",
        "/v1/plans/{plan_id}/obligations/columns",
        "/v1/items/{item_id}/cadence",
    ),
    # The office's reminder rules, pauses and dispatch runs hold no unit's own data.
    "notify_api": ("/v1/plans/{plan_id}/reminder-rules", "/v1/pauses/{pause_id}", "/v1/dispatches/{dispatch_id}"),
}
SHARED_READS = {(service, "GET", path) for service, paths in _SHARED_READ_PATHS.items() for path in paths}

# Bodies that pass validation, so that a refusal comes from the caller's rights and not from the input.
VALID_BODIES = {
    ("tasks_api", "POST", "/v1/items/{item_id}/extensions"): {"requested_due_on": "2026-12-31", "reason": "需要"},
    ("tasks_api", "POST", "/v1/items/{item_id}/closeout"): {"summary": "已全部完成"},
    ("tasks_api", "POST", "/v1/closeouts/{closeout_id}/decision"): {"approve": False, "reason": "材料不全"},
    ("tasks_api", "POST", "/v1/items/{item_id}/delegations"): {"to_unit_id": "{unit_id}", "scope": "转办"},
    ("reporting_api", "POST", "/v1/reports/{report_id}/review"): {"decision": "accept"},
    ("reporting_api", "POST", "/v1/reports"): {"item_id": "{item_id}", "period": "2024-H1"},
    ("reporting_api", "PUT", "/v1/items/{item_id}/cadence"): {"cadence": "yearly"},
    ("reporting_api", "PATCH", "/v1/reports/{report_id}"): {"progress": "改写"},
    ("reporting_api", "POST", "/v1/instructions/{instruction_id}/replies"): {"kind": "comment", "text": "收到。"},
    ("reporting_api", "POST", "/v1/plans/{plan_id}/assessment/adjustments"): {
        "unit_id": "{unit_id}",
        "points": 1,
        "reason": "加分",
    },
    ("notify_api", "POST", "/v1/contacts"): {
        "owner_kind": "unit",
        "owner_id": "{unit_id}",
        "channel": "email",
        "target": "x@example.cn",
    },
    ("notify_api", "PATCH", "/v1/contacts/{contact_id}"): {"label": "改写"},
    ("tasks_api", "POST", "/v1/units/{unit_id}/acknowledgements"): {"all_pending": True},
    ("reporting_api", "POST", "/v1/reports/reviews"): {
        "reviews": [{"report_id": 1, "etag": '"1"', "decision": "accept"}]
    },
    ("notify_api", "POST", "/v1/urgings"): {"unit_ids": [1], "message": "请抓紧"},
}


def _key(op: Operation) -> tuple[str, str, str]:
    return op.service, op.method, op.path


def _body(op: Operation, ids: dict) -> dict:
    body = VALID_BODIES.get(_key(op), {})
    return {
        name: ids.get(value.strip("{}"), value) if isinstance(value, str) else value for name, value in body.items()
    }


def _attempt(world, auth, op: Operation, headers: dict, ids: dict | None = None):
    """Send `op` on unit A's objects as `headers`; with the current ETag, so only the caller's rights can refuse."""
    w = world(op.service)
    ids = {**w.ids, **(ids or {})}
    url = op.url(ids)
    guarded = op.method in {"PATCH", "DELETE"} or any(
        p["name"].lower() == "if-match" for p in op.spec.get("parameters", [])
    )
    etag = w.client.get(url, headers=auth("admin")).headers.get("etag", '"1"') if guarded else None
    extra = {"If-Match": etag} if etag else {}
    kwargs = {"json": _body(op, ids)} if op.body_schema is not None else {}
    response = w.request_changing_nothing(op.method, url, headers={**headers, **extra}, **kwargs)
    assert response.status_code != 422, f"{op}: add a valid body to VALID_BODIES ({response.text[:300]})"
    return response


def _unit_b(world, auth, op: Operation) -> dict:
    return auth("unit", unit_id=world(op.service).unit_b)


@pytest.mark.parametrize("op", [op for op in READS_BY_ID if _key(op) not in SHARED_READS], ids=str)
def test_another_unit_reading_unit_as_object_gets_404_or_403_and_learns_nothing(world, auth, op):
    w = world(op.service)
    response = w.client.get(op.url(w.ids), headers=_unit_b(world, auth, op))
    assert_problem(response, 403, 404)
    assert MARKER not in response.text


OWN_OBJECTS = [
    ("tasks_api", "/v1/extensions/{extension_id}"),
    ("reporting_api", "/v1/reports/{report_id}"),
    ("notify_api", "/v1/contacts/{contact_id}"),
    ("notify_api", "/v1/notifications/{notification_id}"),
]


@pytest.mark.parametrize(("service", "path"), OWN_OBJECTS)
def test_unit_a_reads_its_own_objects_and_their_text(world, auth, service, path):
    w = world(service)
    response = w.client.get(path.format(**w.ids), headers=auth("unit", unit_id=w.unit_a))
    assert response.status_code == 200, response.text
    assert MARKER in response.text


@pytest.mark.parametrize("op", READS, ids=str)
def test_no_read_shows_another_unit_the_text_of_unit_as_objects(world, auth, op):
    w = world(op.service)
    response = w.client.get(op.url(w.ids), headers=_unit_b(world, auth, op))
    assert MARKER not in response.text, f"{op} answered {response.status_code} with unit A's text"


@pytest.mark.parametrize("op", [op for op in READS if "unit_id" in op.query_parameters], ids=str)
def test_no_read_filtered_by_unit_a_shows_another_unit_unit_as_text(world, auth, op):
    w = world(op.service)
    query = {name: w.ids[name] for name, spec in op.query_parameters.items() if spec.get("required")}
    response = w.client.get(op.url(w.ids), params={**query, "unit_id": w.unit_a}, headers=_unit_b(world, auth, op))
    assert response.status_code in {200, 403, 404}, response.text
    assert MARKER not in response.text


# Unit A's own records, and what may be done on each (README, Security: "another unit's record is 404"): another
# unit that reads one, or does there what a unit may do, is answered 404 as if it did not exist; a 403 would tell it
# the id exists and is someone else's. What a unit may not do at all stays 403, whoever's the record.
_UNIT_RECORDS = {
    "tasks_api": ("/v1/extensions/{extension_id}", "/v1/closeouts/{closeout_id}", "/v1/delegations/{delegation_id}"),
    "reporting_api": ("/v1/reports/{report_id}", "/v1/instructions/{instruction_id}"),
    "notify_api": (
        "/v1/contacts/{contact_id}",
        "/v1/notifications/{notification_id}",
        "/v1/units/{unit_id}/feed-tokens/{token_id}",
    ),
}
ON_UNIT_RECORDS = [
    op
    for op in GUARDED
    if (op.method == "GET" or _key(op) in UNIT_MAY)
    and any(op.path == record or op.path.startswith(f"{record}/") for record in _UNIT_RECORDS[op.service])
]


@pytest.mark.parametrize("op", ON_UNIT_RECORDS, ids=str)
def test_another_unit_reading_or_writing_a_record_of_unit_a_gets_404_as_if_it_did_not_exist(world, auth, op):
    assert_problem(_attempt(world, auth, op, _unit_b(world, auth, op)), 404)


@pytest.mark.parametrize("op", [op for op in WRITES if op.path_parameters], ids=str)
def test_another_unit_writing_to_unit_as_object_gets_404_or_403_and_changes_nothing(world, auth, op):
    assert_problem(_attempt(world, auth, op, _unit_b(world, auth, op)), 403, 404)


@pytest.mark.parametrize("op", WRITES, ids=str)
def test_a_viewer_cannot_write(world, auth, op):
    assert_problem(_attempt(world, auth, op, auth("viewer")), 403)


@pytest.mark.parametrize("op", [op for op in WRITES if _key(op) not in SERVICE_MAY], ids=str)
def test_a_service_cannot_do_what_only_the_office_may(world, auth, op):
    assert_problem(_attempt(world, auth, op, auth("service")), 403)


@pytest.mark.parametrize("op", [op for op in WRITES if _key(op) not in UNIT_MAY], ids=str)
def test_a_unit_cannot_do_what_only_the_office_may_even_on_its_own_objects(world, auth, op):
    assert_problem(_attempt(world, auth, op, auth("unit", unit_id=world(op.service).unit_a)), 403)


def test_a_search_for_unit_as_text_finds_its_report_for_unit_a_and_the_office_never_for_another_unit(world, auth):
    w = world("reporting_api")

    def found(headers: dict) -> list[int]:
        response = w.client.get("/v1/search", params={"q": MARKER, "kind": "report"}, headers=headers)
        assert response.status_code == 200, response.text
        return [hit["id"] for hit in response.json()["data"]]

    assert found(auth("unit", unit_id=w.unit_a)) == [w.ids["report_id"]]
    assert found(auth("office")) == [w.ids["report_id"]]
    assert found(auth("unit", unit_id=w.unit_b)) == []
