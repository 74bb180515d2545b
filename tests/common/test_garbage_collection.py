"""An API process touches the garbage collector once: it freezes the start-up heap (services/common/collector.py);
thresholds and enabling stay as they were, since requests share the process-wide collector. A worker process, which
runs one job at a time, pauses it for a batch job (a dispatch) and for nothing else."""

import gc

from fastapi.testclient import TestClient

from services.tasks_api.app import create_app as create_tasks_app
from tests.common.test_jobs import db, put, queue_url, row_of, run  # noqa: F401  (db and queue_url: fixtures)
from tests.conftest import tasks_settings


def test_a_serving_app_leaves_its_start_up_objects_out_of_collections(tasks_client):
    assert gc.get_freeze_count() > 0


def test_an_app_leaves_the_collectors_thresholds_and_switch_alone(tasks_database):
    before = gc.get_threshold(), gc.isenabled()
    with TestClient(create_tasks_app(tasks_settings(tasks_database))):
        assert (gc.get_threshold(), gc.isenabled()) == before
    assert (gc.get_threshold(), gc.isenabled()) == before
