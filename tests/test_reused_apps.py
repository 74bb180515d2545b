"""The fixtures' reused apps (tests/apps.py) are handed out as create_app left them."""

from services.tasks_api.app import create_app
from tests.apps import app_as_new
from tests.conftest import tasks_settings

SETTINGS = tasks_settings("sqlite+aiosqlite:////nonexistent/reused.db")


def test_an_app_handed_out_again_has_none_of_what_the_test_before_left_in_it():
    with app_as_new(create_app, SETTINGS) as app:
        first = app
        app.state.token_verifier.verified.put("a token", ("a principal", 1e12))
        app.state.left_behind = True
        app.dependency_overrides[create_app] = lambda: None
    with app_as_new(create_app, SETTINGS) as app:
        assert app is first  # reused, not built again
        assert len(app.state.token_verifier.verified) == 0
        assert not hasattr(app.state, "left_behind")
        assert app.dependency_overrides == {}
        assert app.middleware_stack is None  # new middleware instances on the first request


def test_the_middleware_shares_the_new_state_as_it_shared_the_first():
    with app_as_new(create_app, SETTINGS) as app:
        verifiers = [m.kwargs["verifier"] for m in app.user_middleware if "verifier" in m.kwargs]
        assert verifiers == [app.state.token_verifier]


def test_an_app_in_use_is_not_handed_out_twice():
    with app_as_new(create_app, SETTINGS) as app, app_as_new(create_app, SETTINGS) as other:
        assert other is not app
