"""Render the companion app's PNG icons from its SVG icon with the headless Chromium the browser
tests use (``python scripts/app_icons.py``; run again after editing ``icons/icon.svg``)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from playwright.async_api import async_playwright

ICONS = Path(__file__).resolve().parents[1] / "navigator" / "static" / "app" / "icons"
SIZES = (192, 512)


async def render() -> None:
    svg = base64.b64encode((ICONS / "icon.svg").read_bytes()).decode()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                          args=["--no-sandbox", "--disable-gpu"])
        for size in SIZES:
            page = await browser.new_page(viewport={"width": size, "height": size})
            await page.set_content(
                f'<html><body style="margin:0">'
                f'<img src="data:image/svg+xml;base64,{svg}" '
                f'width="{size}" height="{size}" style="display:block"></body></html>')
            await page.screenshot(path=str(ICONS / f"icon-{size}.png"))
            await page.close()
        await browser.close()


if __name__ == "__main__":
    asyncio.run(render())
