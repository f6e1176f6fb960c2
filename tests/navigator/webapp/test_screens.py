"""Every screen of the companion app, as a screen reader and a low-vision walker meet it: axe-core
finds no WCAG 2.2 A/AA violation (light and dark), the accessibility tree keeps its landmarks,
headings and button names, and the page reflows to 320 px (400 % zoom) without sideways
scrolling, with targets of at least 44 x 44 CSS px."""

from __future__ import annotations

import re

from tests.navigator.webapp.conftest import DESKTOP, NARROW, AppPage, OpenApp

#: What a screen must keep (in this order) for a screen reader: landmarks, headings, the names
#: of its controls. Items may sit between them; none of these may go.
OUTLINES = {
    "plan": [
        'banner', 'heading "Blind Pilot" [level=1]', 'main', 'region "Weg planen"',
        'heading "Weg planen" [level=2]', 'search "Ziel"', 'searchbox "Ziel"', 'button "Suchen"',
        'search "Start der Demo"', 'searchbox "Start der Demo"', 'button "Route anzeigen"',
        'region "Einstellungen"', 'heading "Einstellungen" [level=3]',
        'group "Woher kennt die App Ihre Position?"', 'group "Profil"', 'radio "Langstock"',
        'radio "Führhund"', 'radio "Sehbehinderung"', 'radio "Rollstuhl"', 'group "Sprache"',
        'radio "Deutsch"', 'radio "English"', 'group "Wie viel soll gesagt werden?"',
        'radio "Ausführlich"', 'radio "Normal"', 'radio "Nur Entscheidungspunkte"',
        'group "Ausgabe"', 'contentinfo'],
    "preview": [
        'banner', 'main', 'region "Route zu Postbank"', 'heading "Route zu Postbank" [level=2]',
        'term: Länge', 'term: Dauer', 'region "Hinweise"', 'heading "Hinweise" [level=3]',
        'heading "Anweisungen" [level=3]', 'list "Anweisungen"', 'button "Führung starten"',
        'button "Zurück"', 'contentinfo'],
    "guide": [
        'banner', 'main', 'region "Unterwegs zu Postbank"',
        'heading "Unterwegs zu Postbank" [level=2]', 'region "Jetzt"',
        'heading "Jetzt" [level=3]', 'region "Bedienung"', 'button "Wiederholen"',
        'button "Wo bin ich?"', 'button "Was ist um mich herum?"', 'button "Pause"',
        'button "Beenden"', 'region "Verbindung und Position"', 'region "Ansagen bisher"',
        'figure "Karte für Begleitpersonen"',
        'img "Karte: Route, Ziel und geschätzte Position. Für die Führung nicht nötig."',
        'contentinfo'],
    "arrived": [
        'banner', 'main', 'region "Angekommen"', 'heading "Angekommen" [level=2]',
        'button "Neuen Weg planen"', 'contentinfo'],
    "error": [
        'banner', 'main', 'region "Das hat nicht geklappt"',
        'heading "Das hat nicht geklappt" [level=2]', 'button "Zurück zur Planung"',
        'contentinfo'],
}
_ROLE = re.compile(r"^(banner|main|contentinfo|region|search|searchbox|heading|button|group|"
                   r"radio|checkbox|list|figure|img|term)\b")


def outline(app: AppPage) -> list[str]:
    """The accessibility tree's landmarks, headings and controls, one per line."""
    out = []
    for line in app.page.locator("body").aria_snapshot().splitlines():
        item = line.strip().removeprefix("- ").strip("'").removesuffix(":")
        item = item.replace(" [checked]", "").replace(" [pressed]", "")
        if _ROLE.match(item):
            out.append(item)
    return out


def assert_keeps(found: list[str], needed: list[str]) -> None:
    rest = iter(found)
    missing = [item for item in needed if not any(item == x for x in rest)]
    assert not missing, f"gone from the accessibility tree (or out of order): {missing}\n{found}"


def check_screen(app: AppPage, name: str) -> None:
    """The whole bar for one screen, in light and dark, at desktop and 320 px width."""
    assert app.screen() == name
    assert_keeps(outline(app), OUTLINES[name])
    assert app.axe_violations() == [], name
    app.shot(name)
    app.page.emulate_media(color_scheme="dark")
    assert app.axe_violations(["color-contrast"]) == [], f"{name} (dark)"
    app.shot(f"{name}-dark")
    app.page.emulate_media(color_scheme="light")
    app.page.set_viewport_size(NARROW)
    width = app.page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{name}: scrolls sideways at 320 px ({width} px)"
    small = app.page.evaluate("""[...document.querySelectorAll('button, input[type=search]')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => [e.id || e.textContent.trim(), e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 44 || r.height < 44).map(([n]) => n)""")
    assert small == [], f"{name}: targets under 44 x 44 CSS px: {small}"
    app.shot(name)
    app.page.set_viewport_size(DESKTOP)


def test_every_screen_passes_axe_keeps_its_outline_and_reflows(open_app: OpenApp) -> None:
    """Plan, preview, guidance, arrived and an error, in German; then the preview in English."""
    app = open_app(speed=50)
    page = app.page
    check_screen(app, "plan")
    page.fill("#dest-q", "Postbank")
    page.press("#dest-q", "Enter")
    page.locator("#dest-picker .choices button").first.click()
    page.fill("#start-q", "Hauptbahnhof")
    page.press("#start-q", "Enter")
    page.wait_for_selector("#start-picker .choices button")
    assert app.axe_violations() == [], "plan, with search results"
    page.locator("#start-picker .choices button").first.click()
    page.click("#plan-go")
    app.wait_for_screen("preview")
    check_screen(app, "preview")
    page.click("#guide-start")
    app.wait_for_screen("guide")
    page.wait_for_selector("#map polyline")
    page.click("#cmd-pause")  # hold the walk still while it is checked
    check_screen(app, "guide")
    page.click("#cmd-pause")
    app.wait_for_screen("arrived", timeout_s=60)
    check_screen(app, "arrived")
    page.click("#arrived-again")
    page.get_by_label("Standort des Telefons").check()
    page.evaluate("""() => { navigator.geolocation.getCurrentPosition =
        (ok, fail) => fail({ code: 1, message: "User denied Geolocation" }); }""")  # said no
    page.click("#plan-go")
    app.wait_for_screen("error")
    assert "Zugriff wurde nicht erlaubt" in page.locator("#error-text").inner_text()
    check_screen(app, "error")

    page.click("#error-back")  # and in English, which is kept on the device
    page.get_by_label("Demo am Schreibtisch").check()
    page.get_by_label("English").check()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#plan-title").inner_text() == "Plan a walk"
    page.reload()
    page.wait_for_selector("body[data-ready]")
    assert page.get_by_role("button", name="Show the route").is_visible()
    page.fill("#dest-q", "Postbank")
    page.press("#dest-q", "Enter")
    page.locator("#dest-picker .choices button").first.click()
    page.fill("#start-q", "Hauptbahnhof")
    page.press("#start-q", "Enter")
    page.locator("#start-picker .choices button").first.click()
    with page.expect_request("**/v1/routes") as sent:
        page.click("#plan-go")
    assert sent.value.post_data_json["lang"] == "en"
    app.wait_for_screen("preview")
    assert page.locator("#pv-steps li").first.inner_text().startswith("Walk ")
    assert page.locator("#pv-warning-list li").first.inner_text().startswith("The lights at")
    assert app.axe_violations() == [], "preview, in English"
