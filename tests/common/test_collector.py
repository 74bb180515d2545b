"""The cyclic garbage collector pauses around bulk work and comes back as it was."""

import gc

import pytest

from services.common.collector import collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_on_again_after():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_when_the_work_fails():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the peer went away")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
