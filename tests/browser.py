"""A real browser for the tests: Debian's headless Chromium, driven over the DevTools protocol (websockets, already
installed with uvicorn), with the network off but for the loopback.

Every host but 127.0.0.1 resolves to nothing, so a page that needs the internet fails here as on an intranet; and
every request the page itself makes is recorded (Chromium's own background calls are not the page's), so a test
can say that none was meant to leave the machine.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

CHROMIUM = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class Page:
    """One browser tab: navigate, evaluate, screenshot; `requested` holds every URL the page asked for."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.requested: list[str] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        sent = next(self.ids)
        self.socket.send(json.dumps({"id": sent, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for(self, expression: str, seconds: float = 30.0) -> Any:
        """The expression's value once truthy; None if it stays falsy for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        return None

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        return path


@contextmanager
def open_page(url: str) -> Iterator[Page]:
    """A fresh headless Chromium showing `url`, with only the loopback reachable."""
    assert CHROMIUM is not None
    # Chromium's helpers may still write to the profile as they stop: what they leave is not the test's concern.
    with tempfile.TemporaryDirectory(prefix="duban-chromium-", ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                "--window-size=1280,1600",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": "disabled:"},
        )
        try:
            with connect(_page_socket(browser), max_size=None, open_timeout=30) as socket:
                page = Page(socket)
                page.call("Network.enable")
                page.call("Page.enable")
                page.call("Page.navigate", url=url)
                yield page
        finally:
            browser.terminate()
            browser.wait(timeout=10)


def _page_socket(browser: subprocess.Popen[str]) -> str:
    """The DevTools address of the browser's first tab, once the browser says where it listens."""
    assert browser.stderr is not None
    for line in browser.stderr:
        found = _LISTENING.search(line)
        if found:
            base = found[1].split("/devtools/")[0].replace("ws://", "http://")
            # The rest of its log is read and dropped, so that a full pipe never stops the browser.
            threading.Thread(target=browser.stderr.read, daemon=True).start()
            tabs = httpx.get(f"{base}/json/list", timeout=10).json()
            address: str = next(tab["webSocketDebuggerUrl"] for tab in tabs if tab["type"] == "page")
            return address
    raise RuntimeError("Chromium did not start")
