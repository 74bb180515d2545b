"""Webhook URLs (a contact's target, a subscription's url) that urllib or the deliverer's httpx cannot read, or whose
port is no port, are 422 on the field, and nothing is stored.

Until 2026-12-07 check_url (services/notify_api/contacts/targets.py) let urlsplit's ValueError out (a 500), and
stored a port outside 1..65535 or not a number, to which every delivery then failed (httpx refuses the URL).
"""

from __future__ import annotations

import pytest

from tests.databases import BACKEND  # noqa: F401 - runs on PostgreSQL too (tests/conftest.py)
from tests.problems import assert_problem

# urlsplit refuses the first three; the deliverer's httpx a tab and a host IDNA cannot encode (a zero-width space)
UNREADABLE = [
    "http://[::1",
    "https://[hooks.example.cn]/x",
    "https://[evil]/hook",
    "https://hooks.example.cn/a\tb",
    "https://\u200bhooks.example.cn/x",
]
NO_PORT = [
    "https://hooks.example.cn:99999/x",
    "https://hooks.example.cn:abc/x",
    "https://hooks.example.cn:-1/x",
    "https://hooks.example.cn:0/x",
]


def _contact(w, url):
    return {"owner_kind": "unit", "owner_id": w.unit_a, "channel": "webhook", "target": url, "label": "探针"}


def _subscription(w, url):
    return {"url": url, "event_types": ["report.submitted"], "description": "探针"}


# Each body, with where it is posted and the field that holds the URL.
BODIES = {"contact": ("/v1/contacts", _contact, "target"), "subscription": ("/v1/subscriptions", _subscription, "url")}


def _refused(world, auth, kind: str, url: str) -> dict:
    w = world("notify_api")
    path, body, field = BODIES[kind]
    problem = assert_problem(w.request_changing_nothing("POST", path, json=body(w, url), headers=auth("office")), 422)
    assert problem["errors"][0]["location"] == ["body", field], problem
    return problem


@pytest.mark.parametrize("url", UNREADABLE)
@pytest.mark.parametrize("kind", BODIES)
def test_a_webhook_url_that_cannot_be_read_is_422_on_its_field(world, auth, kind, url):
    assert "http(s) URL with a host" in _refused(world, auth, kind, url)["detail"]


@pytest.mark.parametrize("url", NO_PORT)
@pytest.mark.parametrize("kind", BODIES)
def test_a_webhook_url_whose_port_is_no_port_is_422_on_its_field(world, auth, kind, url):
    assert "port as a number from 1 to 65535" in _refused(world, auth, kind, url)["detail"]
