"""The HTTP route tables of every area, in the order the API is served and documented.

(HTTP routes; walking routes are planned in :mod:`navigator.routeplan`.) The factory adds these
tables to the app and keeps them under ``ROUTE_TABLES`` for ``/openapi.json``; the auth and
OpenAPI tests walk this same list.
"""

from __future__ import annotations

from navigator import (
    admin,
    console,
    live,
    mapops,
    mapper,
    ops,
    pedestrian,
    suites,
    tester,
    transit,
    webapp,
)
from navigator.api import RouteTable


def route_tables() -> list[RouteTable]:
    """Every area's routes."""
    return [ops.routes, pedestrian.routes, live.routes, transit.routes, mapper.routes,
            mapops.routes, tester.routes, suites.routes, admin.routes, webapp.routes,
            console.routes]
