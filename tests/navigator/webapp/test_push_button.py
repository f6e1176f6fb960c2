"""The route preview in the browser says to press a crossing's push button (#16, #18), in German
and English: on a service of its own whose crossing of Logenstraße (on the way from the station
to the Postbank) a mapper has tagged with a button."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from navigator.app import create_app
from navigator.keys import MAP
from navigator.routeplan import plan_between
from routing.graph import edge_by_id
from routing.tags import is_crossing
from tests.navigator.conftest import LiveServer, auth, copy_city, create_keys, make_settings
from tests.navigator.webapp.conftest import OpenApp
from tests.navigator.webapp.test_walk import HAUPTBAHNHOF, LONG_DEST, plan_by_keyboard

POSTBANK = (49.4372, 7.76773)


def _patch(base_url: str, path: str, body: dict[str, object], headers: dict[str, str]) -> None:
    def call(method: str, data: bytes | None = None, extra: dict[str, str] | None = None
             ) -> dict[str, object]:
        request = urllib.request.Request(f"{base_url}{path}", data=data, method=method,
                                         headers={**headers, **(extra or {}),
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return dict(json.load(answer))

    revision = call("GET")["revision"]
    call("PATCH", json.dumps(body).encode(), {"If-Match": str(revision)})


@pytest.fixture(scope="module")
def app_server(city_db_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[LiveServer]:
    """This module's own service (the shared one's map stays as shipped), with a push button
    tagged on the preview route's crossing through the mapper API."""
    tmp = tmp_path_factory.mktemp("webapp-button")
    settings = make_settings(copy_city(city_db_template, tmp), tmp, default_city=None)
    with LiveServer(create_app(settings)) as server:
        mapstate = server.app[MAP]
        route = plan_between(mapstate, HAUPTBAHNHOF, POSTBANK, "blind_cane")
        crossing = [e for e in route.edges if is_crossing(edge_by_id(mapstate.graph, e))]
        assert crossing, "the walk crosses Logenstraße"
        h = auth(create_keys(settings.database_url)["mapper"])
        for edge_id in crossing:
            _patch(server.base_url, f"/v1/map/edges/{edge_id}", {"button_operated": True}, h)
        yield server


def test_the_preview_lists_the_push_button_in_german_and_english(open_app: OpenApp) -> None:
    app = open_app()
    plan_by_keyboard(app, LONG_DEST)
    steps = app.page.locator("#pv-steps li").all_inner_texts()
    assert ("Überqueren Sie die Logenstraße an der Ampel ohne Signalton. "
            "Drücken Sie den Taster für Grün.") in steps, steps
    app.shot("preview-button-de")
    assert app.axe_violations() == []

    page = app.page
    page.click("#preview-back")
    app.wait_for_screen("plan")
    page.get_by_label("English").check()
    with page.expect_response("**/v1/routes"):
        page.click("#plan-go")
    app.wait_for_screen("preview")
    steps = page.locator("#pv-steps li").all_inner_texts()
    assert ("Cross Logenstraße at a silent traffic light. "
            "Press the button for green.") in steps, steps
    app.shot("preview-button-en")
