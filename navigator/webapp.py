"""The companion web app for walkers at ``/app/``: its static files and the beacons of its demo.

The app is plain HTML, CSS and JavaScript modules shipped as package data (no build step),
served by aiohttp's static route. Its demo mode walks a route in the browser and makes up the
beacon scans a phone would hear there with the simulator's path-loss law, so the live pipeline
(positioning, guidance, speech) runs for real without a beacon in sight; the beacons it needs
come from ``POST /v1/demo/beacons``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from beacons.layout import near_path
from beacons.model import BeaconKind
from beacons.pathloss import PathLossModel
from navigator import api
from navigator.keys import MAP
from navigator.schemas import BeaconIdentity
from navigator.simulation import WalkOptions

STATIC_DIR = Path(__file__).resolve().parent / "static" / "app"
PREFIX = "/app/"
#: Shell files revalidate on every load (cheap with their ETag), so an upgraded server is never
#: hidden behind an old app; icons change only with a release.
SHELL_CACHE = "no-cache"
ICON_CACHE = "public, max-age=86400"
#: The app talks only to its own origin; nothing is loaded from anywhere else.
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
#: How far the demo's simulated phone hears a beacon (the simulator's default range).
DEMO_RANGE_M = 30.0


class WebAppRoutes(api.RouteTable):
    """The demo's JSON endpoint (declared like every API route) plus the app's static files."""

    def add_to(self, app: web.Application) -> None:
        super().add_to(app)
        app.router.add_get("/app", _to_app)
        app.router.add_get(PREFIX, _index)
        app.router.add_static(PREFIX, STATIC_DIR, name="app")
        app.on_response_prepare.append(_app_headers)


routes = WebAppRoutes("pedestrian")


async def _to_app(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect(PREFIX)


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def _app_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Cache policy and content security for the app's files (and nothing else)."""
    if not request.path.startswith(PREFIX) or response.status >= 400:
        return
    icon = request.path.startswith(PREFIX + "icons/")
    response.headers["Cache-Control"] = ICON_CACHE if icon else SHELL_CACHE
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.path.endswith(".webmanifest"):
        response.content_type = "application/manifest+json"


# --------------------------------------------------------------------------- demo beacons


class PathIn(BaseModel):
    """A route's GeoJSON LineString, as ``POST /v1/routes`` returns it ([lon, lat] pairs)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["LineString"]
    coordinates: list[Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        min_length=1, max_length=5000)

    @model_validator(mode="after")
    def _positions(self) -> PathIn:
        for lon, lat in self.coordinates:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError("each position is [lon, lat] in degrees")
        return self


class DemoBeaconsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    geometry: PathIn


class DemoRadio(BaseModel):
    """The simulated world the browser reproduces (the simulator's and testers' defaults)."""

    path_loss_exponent: float
    noise_db: float
    dropout: float
    range_m: float
    speed_mps: float


class DemoBeacon(BaseModel):
    beacon: BeaconIdentity
    lat: float
    lon: float
    measured_power: float


class DemoBeaconsOut(BaseModel):
    radio: DemoRadio
    beacons: list[DemoBeacon]


def demo_radio() -> dict[str, float]:
    """The radio world of a demo walk: the walker and noise of a tester's default simulation."""
    walk = WalkOptions()
    return {"path_loss_exponent": PathLossModel().exponent, "noise_db": walk.noise_db,
            "dropout": walk.dropout, "range_m": DEMO_RANGE_M, "speed_mps": walk.speed_mps}


@routes.route("POST", "/v1/demo/beacons", body=DemoBeaconsRequest, response=DemoBeaconsOut,
              summary="The beacons a walker on this route could hear, for the app's demo walk")
async def demo_beacons(request: web.Request, body: DemoBeaconsRequest) -> web.Response:
    path = [(lat, lon) for lon, lat in body.geometry.coordinates]
    near = near_path(request.app[MAP].beacons, path, DEMO_RANGE_M)
    # the live protocol names iBeacons and Eddystone-UIDs only (BeaconIdentity)
    beacons: list[dict[str, Any]] = [
        {"beacon": p.beacon.to_json(), "lat": p.lat, "lon": p.lon,
         "measured_power": p.measured_power_dbm}
        for p in near if p.beacon.kind is not BeaconKind.ALTBEACON]
    return api.json_response({"radio": demo_radio(), "beacons": beacons})
