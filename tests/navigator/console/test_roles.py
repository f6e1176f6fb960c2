"""Who sees what: the sign-in alone for a visitor, a clear refusal of a bad key, no edit tools
for a tester, every tool for a mapper; axe-core finds no WCAG 2.2 A/AA violation on any view."""

from __future__ import annotations

import requests

from tests.navigator.console.conftest import ConsoleServer, OpenConsole

MAPPER_VIEWS = ["edit", "closures", "validation", "history", "route"]
EDIT_TOOLS = ["#edge-form", "#node-form", "#closure-form", "#validate", "#history-load",
              "button[data-view=edit]"]


def test_a_visitor_sees_only_the_sign_in(open_console: OpenConsole) -> None:
    console = open_console()
    page = console.page
    assert page.is_visible("#view-signin")
    assert not page.is_visible("#workspace") and not page.is_visible("#sign-out")
    assert console.axe_violations() == []
    console.shot("console-signin")


def test_a_bad_key_gets_a_clear_message_and_is_not_kept(open_console: OpenConsole) -> None:
    console = open_console()
    console.sign_in("bp_not-a-real-key")
    console.page.wait_for_selector("#signin-error:has-text('not valid')")
    assert "API key is not valid" in console.page.text_content("#signin-error")
    assert console.page.evaluate("sessionStorage.length") == 0
    assert not console.page.is_visible("#workspace")
    assert console.axe_violations() == []


def test_a_pedestrian_key_is_told_it_has_no_tools(open_console: OpenConsole,
                                                 console_server: ConsoleServer) -> None:
    console = open_console()
    console.sign_in(console_server.keys["pedestrian"])
    console.page.wait_for_selector("#signin-error:has-text('no console tools')")
    assert not console.page.is_visible("#workspace")


def test_a_tester_has_no_edit_tools_and_the_api_agrees(open_console: OpenConsole,
                                                      console_server: ConsoleServer) -> None:
    console = open_console()
    console.signed_in(console_server.keys["tester"])
    page = console.page
    assert page.text_content("#who") == "Signed in as tester"
    for selector in EDIT_TOOLS:
        assert page.query_selector(selector) is None, selector
    assert page.is_visible("button[data-view=simulate]")
    # the console hides what the API refuses: a tester's edit is a 403 there too
    r = requests.patch(f"{console_server.base_url}/v1/map/edges/1", json={"lit": True},
                       headers={"Authorization": f"Bearer {console_server.keys['tester']}",
                                "If-Match": "1"}, timeout=10)
    assert r.status_code == 403
    for view in ["route", "simulate"]:
        console.view(view)
        assert console.axe_violations() == [], view
        console.shot(f"console-tester-{view}")


def test_a_mapper_has_every_mapper_view_and_none_fails_axe(open_console: OpenConsole,
                                                          console_server: ConsoleServer) -> None:
    console = open_console()
    console.signed_in(console_server.keys["mapper"])
    page = console.page
    assert page.text_content("#who") == "Signed in as mapper"
    assert page.query_selector("button[data-view=simulate]") is None
    assert page.evaluate("sessionStorage.length") == 1
    assert page.evaluate("localStorage.length") == 0
    for view in MAPPER_VIEWS:
        console.view(view)
        assert console.axe_violations() == [], view
    # the key survives a reload of the tab (sessionStorage) and sign-out forgets it
    page.reload()
    page.wait_for_selector("body[data-map-loads]")
    assert page.is_visible("#workspace")
    page.click("#sign-out")
    page.wait_for_selector("#view-signin:not([hidden])")
    assert page.evaluate("sessionStorage.length") == 0
