"""The console in a real browser: Debian's Chromium driven by Playwright against the real
service on a loopback port, one browser and one served app (with its own copy of the city, so
edits stay in the module) per test module.

Without Chromium these tests skip with the same loud warning as the companion app's.
``BLINDPILOT_APP_SHOTS=DIR`` keeps a screenshot of every view the tests visit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from navigator.app import create_app
from tests.navigator.conftest import LiveServer, copy_city, create_keys, make_settings
from tests.navigator.webapp.conftest import (  # noqa: F401 - the module-scoped browser fixture
    DESKTOP,
    AppPage,
    _is_script_error,
    browser,
)


@dataclass(frozen=True)
class ConsoleServer:
    server: LiveServer
    keys: dict[str, str]

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def api(self, method: str, path: str, body: Any = None, if_match: int | None = None,
            role: str = "mapper") -> Any:
        """One API call beside the browser (with a mapper's key by default): its JSON."""
        headers = {"Authorization": f"Bearer {self.keys[role]}"}
        if if_match is not None:
            headers["If-Match"] = str(if_match)
        r = requests.request(method, self.base_url + path, json=body, headers=headers,
                             timeout=30)
        r.raise_for_status()
        return r.json() if r.content else None

    def status(self, path: str) -> int:
        """The status of a mapper's GET (404 once something is deleted)."""
        return requests.get(self.base_url + path, timeout=10, headers={
            "Authorization": f"Bearer {self.keys['mapper']}"}).status_code


@pytest.fixture(scope="module")
def console_server(city_db_template: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[ConsoleServer]:
    tmp = tmp_path_factory.mktemp("console")
    url = copy_city(city_db_template, tmp)
    keys = create_keys(url)
    settings = make_settings(url, tmp, default_city=None, map_sync_s=0)
    with LiveServer(create_app(settings)) as server:
        yield ConsoleServer(server, keys)


class ConsolePage(AppPage):
    """One browser tab on the console (the companion app's page helpers: axe, Tab, shots)."""

    def open(self, speed: int = 1) -> None:
        self.page.goto(f"{self.base_url}/console/")
        self.page.wait_for_selector("body[data-ready]")

    def sign_in(self, key: str) -> None:
        self.page.fill("#key", key)
        self.page.click("#signin-form button[type=submit]")

    def signed_in(self, key: str) -> None:
        """Sign in and wait until the map has drawn the graph once."""
        self.sign_in(key)
        self.page.wait_for_selector("body[data-map-loads]")

    def wait_map_load(self, after: int) -> None:
        self.page.wait_for_function("(n) => Number(document.body.dataset.mapLoads) > n",
                                    arg=after)

    def map_loads(self) -> int:
        return int(self.page.evaluate("Number(document.body.dataset.mapLoads ?? 0)"))

    def view(self, name: str) -> None:
        self.page.click(f"button[data-view={name}]")
        self.page.wait_for_selector(f"#view-{name}:not([hidden])")


OpenConsole = Callable[..., ConsolePage]


@pytest.fixture
def open_console(browser: Any, console_server: ConsoleServer  # noqa: F811 - the fixture
                 ) -> Iterator[OpenConsole]:
    """Open the console in a fresh context (its own sessionStorage); script errors fail the
    test."""
    contexts = []
    pages: list[ConsolePage] = []

    def open_page(viewport: dict[str, int] = DESKTOP) -> ConsolePage:
        context = browser.new_context(viewport=viewport, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        console = ConsolePage(page, console_server.base_url)
        page.on("console", lambda m: _is_script_error(m) and console.errors.append(m.text))
        page.on("pageerror", lambda e: console.errors.append(str(e)))
        pages.append(console)
        console.open()
        return console

    yield open_page
    for context in contexts:
        context.close()
    errors = [e for p in pages for e in p.errors]
    assert not errors, f"script errors in the console: {errors}"
