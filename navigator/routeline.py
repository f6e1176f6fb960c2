"""The route as a polyline in local metres, for projecting the walker's fixes onto it."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

from routing.geo import LocalFrame, project_to_segment
from routing.model import Route


class RouteLine:
    """The route as a polyline in local metres, for projecting fixes onto it."""

    def __init__(self, route: Route) -> None:
        lat0, lon0 = route.coordinates[0]
        self.frame = LocalFrame(lat0, lon0)
        self.points = [self.frame.to_xy(lat, lon) for lat, lon in route.coordinates]
        self.cum = [0.0]
        for (ax, ay), (bx, by) in zip(self.points, self.points[1:], strict=False):
            self.cum.append(self.cum[-1] + math.hypot(bx - ax, by - ay))
        self.length_m = self.cum[-1]
        #: Each segment's compass bearing, computed once: the projection of every fix needs it.
        self.bearings = [math.degrees(math.atan2(bx - ax, by - ay)) % 360.0
                         for (ax, ay), (bx, by) in zip(self.points, self.points[1:],
                                                       strict=False)]

    def project(self, lat: float, lon: float, near_along_m: float | None = None,
                window_m: float = 30.0) -> tuple[float, float, float]:
        """(along_m, distance_m from the line, bearing of the line there).

        With ``near_along_m`` the search prefers the part of the route near the last progress,
        so a route that doubles back does not make the walker jump ahead; only that part's
        segments are looked at (found by bisection: a walker's every fix is projected, and a
        long route has hundreds of segments), the whole route if none is near.
        """
        px, py = self.frame.to_xy(lat, lon)
        first, end = 0, len(self.points) - 1
        if near_along_m is not None:
            # segment i runs from cum[i] to cum[i + 1]: those within window_m of near_along_m
            first = max(0, bisect_left(self.cum, near_along_m - window_m) - 1)
            end = min(end, bisect_right(self.cum, near_along_m + window_m))
        best = (math.inf, 0.0, 0.0)
        for i in range(first, end):
            (ax, ay), (bx, by) = self.points[i], self.points[i + 1]
            t, dist = project_to_segment(px, py, ax, ay, bx, by)
            if dist < best[0]:
                best = (dist, self.cum[i] + t * (self.cum[i + 1] - self.cum[i]), self.bearings[i])
        if best[0] == math.inf:
            return self.project(lat, lon)
        return best[1], best[0], best[2]
