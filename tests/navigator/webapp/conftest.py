"""The companion app in a real browser: Debian's Chromium driven by Playwright (sync API) against
the real service on a loopback port. Nothing is fetched from anywhere else.

Without Chromium these tests skip with a loud warning (``make test`` installs it through
``make system-deps``, so in CI they run). ``BLINDPILOT_APP_SHOTS=DIR`` keeps a screenshot of
every screen the tests visit, at each width, for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from navigator.app import create_app
from tests.navigator.conftest import LiveServer, copy_city, make_settings

#: Headless Chromium without a sandbox (we are root in a container), GPU or any phoning home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
#: WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESKTOP = {"width": 1024, "height": 800}
NARROW = {"width": 320, "height": 640}
SHOTS = os.environ.get("BLINDPILOT_APP_SHOTS")
#: A session's live socket, with its ``?token=`` (a glob "**/ws" would miss the query).
LIVE_SOCKET = re.compile(r"/v1/sessions/[^/?]+/ws(\?.*)?$")
_SKIP = ("CHROMIUM NOT AVAILABLE ({why}): the companion app's browser tests did NOT run. "
         "`make test` installs Debian's chromium (make system-deps); run the suite through it.")

#: Runs in every page before the app: records what reaches the live regions and every move of
#: the focus, so a test sees what a screen reader would have been told, in order.
RECORDER = """
window.__live = [];
window.__focus = [];
document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["live-polite", "live-assertive"]) {
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) window.__live.push([id, n.textContent]);
      }
    }).observe(document.getElementById(id), { childList: true });
  }
});
document.addEventListener("focusin", (e) => {
  window.__focus.push(e.target.id || e.target.textContent.trim().slice(0, 40));
});
"""


def chromium_path() -> str | None:
    return shutil.which("chromium")


def _skip(why: str) -> None:
    warnings.warn(_SKIP.format(why=why), stacklevel=2)
    pytest.skip(_SKIP.format(why=why))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module: Playwright's sync API holds an event loop on this thread
    while it runs, which later asyncio tests must not find there."""
    path = chromium_path()
    if path is None:
        _skip("no `chromium` on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip("the playwright package is not installed")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def app_server(city_db_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[LiveServer]:
    """One service for every browser test (text-only speech: the app speaks with the browser's
    voice); each test walks its own session."""
    tmp = tmp_path_factory.mktemp("webapp")
    settings = make_settings(copy_city(city_db_template, tmp), tmp, default_city=None)
    with LiveServer(create_app(settings)) as server:
        yield server


@dataclass
class AppPage:
    """One browser tab on the app, with what it sent and received over its WebSocket."""

    page: Any
    base_url: str
    errors: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def open(self, speed: int = 1) -> None:
        self.page.goto(f"{self.base_url}/app/?speed={speed}")
        self.page.wait_for_selector("body[data-ready]")

    def on_socket(self, ws: Any) -> None:
        self.sockets.append(ws.url)
        ws.on("framesent", lambda data: self.sent.append(json.loads(data)))
        ws.on("framereceived", lambda data: self.received.append(json.loads(data)))

    def live(self) -> list[tuple[str, str]]:
        """(region id, text) of everything the live regions were given, in order."""
        return [tuple(x) for x in self.page.evaluate("window.__live")]

    def focus_moves(self) -> list[str]:
        return list(self.page.evaluate("window.__focus"))

    def screen(self) -> str:
        return str(self.page.evaluate(
            "document.querySelector('.screen:not([hidden])').id.replace('screen-', '')"))

    def wait_for_screen(self, name: str, timeout_s: float = 15.0) -> None:
        self.page.wait_for_selector(f"#screen-{name}:not([hidden])", timeout=timeout_s * 1000)

    def active(self) -> str:
        """The focused element: its id, or its text."""
        return str(self.page.evaluate(
            "(() => { const e = document.activeElement; "
            "return e.id || e.textContent.trim(); })()"))

    def tab_to(self, text: str, limit: int = 60) -> None:
        """Press Tab (keyboard only) until the focused element's id or text starts with
        ``text``."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(
                "[document.activeElement.id, document.activeElement.textContent.trim()]")
            if focused[0] == text or focused[1].startswith(text):
                return
        raise AssertionError(f"Tab never reached {text!r}")

    def axe_violations(self, rules: list[str] | None = None) -> list[str]:
        """axe-core's WCAG 2.2 A/AA violations on the page as it is (or only ``rules``)."""
        from axe_playwright_python.base import AXE_SCRIPT

        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SCRIPT)  # once per page: it is half a megabyte
        only = ({"type": "rule", "values": rules} if rules
                else {"type": "tag", "values": AXE_TAGS})
        result = self.page.evaluate(
            "(only) => axe.run(document, { runOnly: only, resultTypes: ['violations'] })", only)
        return [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
                for v in result["violations"]]

    def shot(self, name: str) -> None:
        if SHOTS:
            width = self.page.viewport_size["width"]
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


OpenApp = Callable[..., AppPage]


def _is_script_error(message: Any) -> bool:
    """A console error from the app's code; a refused or dropped connection (which the app
    handles, and some tests cause on purpose) is the browser's own report, not one."""
    network = ("Failed to load resource", "WebSocket connection to")
    return bool(message.type == "error" and not message.text.startswith(network))


@pytest.fixture
def open_app(browser: Any, app_server: LiveServer) -> Iterator[OpenApp]:
    """Open the app in a fresh context (own storage, permissions, position); a page's script
    errors fail the test."""
    contexts = []
    pages: list[AppPage] = []

    def open_page(viewport: dict[str, int] = DESKTOP, position: tuple[float, float] | None = None,
                  color_scheme: str = "light", speed: int = 1, route_ws: Any = None,
                  init_script: str | None = None) -> AppPage:
        extra: dict[str, Any] = {}
        if position is not None:
            extra = {"geolocation": {"latitude": position[0], "longitude": position[1],
                                     "accuracy": 8.0}, "permissions": ["geolocation"]}
        context = browser.new_context(viewport=viewport, color_scheme=color_scheme,
                                      locale="de-DE", **extra)
        contexts.append(context)
        page = context.new_page()
        app = AppPage(page, app_server.base_url)
        page.on("console", lambda m: _is_script_error(m) and app.errors.append(m.text))
        page.on("pageerror", lambda e: app.errors.append(str(e)))
        page.on("websocket", app.on_socket)
        page.add_init_script(RECORDER)
        if init_script is not None:
            page.add_init_script(init_script)
        if route_ws is not None:
            page.route_web_socket(LIVE_SOCKET, route_ws)
        pages.append(app)
        app.open(speed)
        return app

    yield open_page
    for context in contexts:
        context.close()
    errors = [e for app in pages for e in app.errors]
    assert not errors, f"script errors in the app: {errors}"
