"""The route as a polyline in local metres, for projecting the walker's fixes onto it."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

from routing.geo import LocalFrame
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
        #: Per segment, what projecting a point on it needs that does not depend on the point:
        #: (ax, ay, dx, dy, |d|², start along, length along, compass bearing), computed once for
        #: the route rather than for every fix.
        self._segments = [
            (ax, ay, bx - ax, by - ay, (bx - ax) * (bx - ax) + (by - ay) * (by - ay),
             self.cum[i], self.cum[i + 1] - self.cum[i],
             math.degrees(math.atan2(bx - ax, by - ay)) % 360.0)
            for i, ((ax, ay), (bx, by)) in enumerate(zip(self.points, self.points[1:],
                                                         strict=False))]

    def project(self, lat: float, lon: float, near_along_m: float | None = None,
                window_m: float = 30.0) -> tuple[float, float, float]:
        """(along_m, distance_m from the line, bearing of the line there).

        With ``near_along_m`` the search prefers the part of the route near the last progress,
        so a route that doubles back does not make the walker jump ahead; only that part's
        segments are looked at (found by bisection: a walker's every fix is projected, and a
        long route has hundreds of segments), the whole route if none is near. Each segment is
        :func:`routing.geo.project_to_segment`'s arithmetic, inlined on the precomputed segment
        (the same floats; this runs for every fix of every walker).
        """
        px, py = self.frame.to_xy(lat, lon)
        first, end = 0, len(self._segments)
        if near_along_m is not None:
            # segment i runs from cum[i] to cum[i + 1]: those within window_m of near_along_m
            first = max(0, bisect_left(self.cum, near_along_m - window_m) - 1)
            end = min(end, bisect_right(self.cum, near_along_m + window_m))
        best_dist, best_along, best_bearing = math.inf, 0.0, 0.0
        hypot = math.hypot
        for ax, ay, dx, dy, denom, start, length, bearing in self._segments[first:end]:
            if denom == 0:
                t = 0.0
            else:  # max(0, min(1, u)), as project_to_segment clamps
                t = ((px - ax) * dx + (py - ay) * dy) / denom
                t = t if t < 1.0 else 1.0
                t = t if t > 0.0 else 0.0
            dist = hypot(px - (ax + t * dx), py - (ay + t * dy))
            if dist < best_dist:
                best_dist, best_along, best_bearing = dist, start + t * length, bearing
        if best_dist == math.inf:
            return self.project(lat, lon)
        return best_along, best_dist, best_bearing
