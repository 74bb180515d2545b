"""The interactive docs on an intranet: Swagger UI and ReDoc, served by the service itself (services/common/docs.py)
through the one origin, render every operation in a real headless Chromium with the network off, and the page asks
for nothing beyond this machine. Skipped where Chromium is not installed; .ci/run installs Debian's package."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from services.gateway import Gateway, Upstream
from tests.browser import CHROMIUM, open_page
from tests.conftest import serve_in_thread

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

# What each page shows once per operation of the contract.
SWAGGER_OPERATIONS = "document.querySelectorAll('.opblock').length"
REDOC_OPERATIONS = "document.querySelectorAll('[data-section-id^=\"operation/\"]').length"


@pytest.fixture(scope="module")
def origin(tasks_server) -> Iterator[str]:
    with serve_in_thread(Gateway([Upstream("tasks_api", "/tasks", tasks_server)])) as url:
        yield url


@pytest.fixture(scope="module")
def operations(origin) -> int:
    """The operations of the contract, its webhooks (the events it sends) included: both pages show each."""
    contract = httpx.get(f"{origin}/tasks/openapi.json", timeout=30).json()
    items = [*contract["paths"].values(), *contract.get("webhooks", {}).values()]
    return sum(1 for item in items for method in item if method != "parameters")


@pytest.mark.parametrize(
    ("page", "rendered"), [("docs", SWAGGER_OPERATIONS), ("redoc", REDOC_OPERATIONS)], ids=["swagger-ui", "redoc"]
)
def test_the_docs_render_every_operation_with_the_network_off(origin, operations, tmp_path, page, rendered):
    with open_page(f"{origin}/tasks/{page}") as browser:
        shown = browser.wait_for(f"{rendered} >= {operations} && {rendered}", seconds=60)
        if shown != operations:
            picture = browser.screenshot(tmp_path / f"{page}.png")
            pytest.fail(f"/tasks/{page} shows {shown} of {operations} operations; screenshot: {picture}")
        elsewhere = [url for url in browser.requested if not url.startswith((origin + "/", "data:", "blob:"))]
        assert elsewhere == [], f"the page asked beyond this machine: {elsewhere}"
        assert f"{origin}/tasks/openapi.json" in browser.requested
