"""Defects found and not fixed yet, each reproduced by a test that fails until it is fixed (README, the thirty-eighth
session's "Found and still open"). The files are named probe_*.py, so `make test` does not collect them; run one with
`pytest tests/open_defects/probe_due_date_moved.py`. Once its defect is fixed, a probe moves to its service's tests."""

from tests.notify_api.conftest import (  # noqa: F401
    _receiver_server,
    _smtp_server,
    delivery_settings,
    mailbox,
    notify_app_factory,
    notify_client,
    notify_database,
    notify_db,
    receiver,
    reporting_http,
    reporting_peer,
    reporting_peer_database,
    reporting_server,
)
from tests.reporting_api.conftest import transport  # noqa: F401
