"""Walk demo routes in the companion app, in headless Chromium, against a running server, and
print one JSON line per walk: arrived, simulated seconds, what was said, the server's own error
estimate (not ground truth: the demo walker's true position stays in the browser).

    blindpilot serve --port 8080 &
    python scripts/app_demo_walks.py --dest Postbank,Subway --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from playwright.async_api import Browser, async_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


async def walk(browser: Browser, base: str, start: str, dest: str, speed: int) -> dict[str, Any]:
    context = await browser.new_context(locale="de-DE")
    page = await context.new_page()
    got: list[dict[str, Any]] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda d: got.append(json.loads(d))))
    await page.goto(f"{base}/app/?speed={speed}")
    await page.wait_for_selector("body[data-ready]")
    for field, name in (("dest", dest), ("start", start)):
        await page.fill(f"#{field}-q", name)
        await page.press(f"#{field}-q", "Enter")
        await page.locator(f"#{field}-picker .choices button").first.click()
    async with page.expect_response("**/v1/routes") as answer:
        await page.click("#plan-go")
    route = await (await answer.value).json()
    await page.click("#guide-start")
    t0 = time.monotonic()
    try:
        await page.wait_for_selector("#screen-arrived:not([hidden])", timeout=600_000 / speed)
        arrived = True
    except Exception:  # noqa: BLE001 - a timeout is a walk that did not arrive
        arrived = False
    fixes = [m for m in got if m["type"] == "fix" and m.get("available")]
    await context.close()
    return {"dest": dest, "length_m": route["length_m"], "arrived": arrived,
            "sim_s": fixes[-1]["t"] if fixes else None,
            "wall_s": round(time.monotonic() - t0, 1),
            "instructions": sum(m["type"] == "instruction" for m in got),
            "off_route": sum(m["type"] == "off_route" for m in got),
            "unavailable": sum(m["type"] == "location_unavailable" for m in got),
            "max_error_m": max((m["error_m"] for m in fixes), default=None)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8080")
    parser.add_argument("--start", default="Hauptbahnhof")
    parser.add_argument("--dest", default="Postbank,Subway,Hauptpost Kaiserslautern,Benderhof")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--speed", type=int, default=20)
    args = parser.parse_args()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for dest in args.dest.split(","):
            for _ in range(args.runs):
                print(json.dumps(await walk(browser, args.base, args.start, dest, args.speed)),
                      flush=True)
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
