"""The app installs (manifest, icons, a service worker) and its shell works offline; nothing the
API answers, positions among it, is ever cached."""

from __future__ import annotations

import struct

from navigator.webapp import STATIC_DIR
from tests.navigator.webapp.conftest import OpenApp


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_app_installs_and_its_shell_alone_works_offline(open_app: OpenApp) -> None:
    app = open_app()
    page = app.page
    manifest = page.request.get(f"{app.base_url}/app/manifest.webmanifest").json()
    assert manifest["start_url"] == "./" and manifest["display"] == "standalone"
    assert manifest["lang"] == "de" and manifest["name"].startswith("Blind Pilot")
    sizes = {}
    for icon in manifest["icons"]:
        body = page.request.get(f"{app.base_url}/app/{icon['src']}").body()
        if icon["type"] == "image/png":
            sizes[icon["sizes"]] = png_size(body)
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}

    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.state)") in (
        "activating", "activated")
    page.fill("#dest-q", "Post")  # an API answer, which must not be kept
    page.press("#dest-q", "Enter")
    page.wait_for_selector("#dest-picker .choices button")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    cached = page.evaluate("""async () => {
        const out = [];
        for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys()) out.push(request.url);
        }
        return out;
    }""")
    paths = sorted(url.removeprefix(app.base_url) for url in cached)
    shell = sorted(f"/app/{p.relative_to(STATIC_DIR).as_posix()}" for p in
                   STATIC_DIR.rglob("*") if p.is_file() and p.name not in ("index.html", "sw.js"))
    assert paths == sorted(["/app/", *shell]), "the app shell, and nothing else"

    page.context.set_offline(True)
    try:
        page.reload()
        page.wait_for_selector("body[data-ready]")
        assert page.locator("#plan-title").inner_text() == "Weg planen"
    finally:
        page.context.set_offline(False)
