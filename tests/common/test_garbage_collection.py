"""While a service serves, the garbage collector leaves the start-up heap alone and runs less often (see
services/common/collector.py); once the service stops, the collector is as it was."""

import gc

from fastapi.testclient import TestClient

from services.common.collector import YOUNG_GENERATION_THRESHOLD
from services.tasks_api.app import create_app as create_tasks_app
from tests.conftest import tasks_settings


def test_a_serving_app_leaves_its_start_up_objects_out_of_collections(tasks_client):
    assert gc.get_freeze_count() > 0


def test_a_serving_app_collects_young_objects_less_often(tasks_client):
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD


def collector_state():
    return gc.get_threshold(), gc.get_freeze_count() > 0


def test_a_stopped_app_leaves_the_collector_as_it_found_it(tasks_database):
    before = collector_state()
    with TestClient(create_tasks_app(tasks_settings(tasks_database))):
        pass
    assert collector_state() == before


def test_the_first_of_two_overlapping_apps_to_stop_leaves_the_collector_to_the_other(tasks_database):
    with TestClient(create_tasks_app(tasks_settings(tasks_database))):
        with TestClient(create_tasks_app(tasks_settings(tasks_database))):
            pass
        assert (gc.get_threshold()[0], gc.get_freeze_count() > 0) == (YOUNG_GENERATION_THRESHOLD, True)
