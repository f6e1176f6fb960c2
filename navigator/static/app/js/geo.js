// Small geometry in metres (the same spherical earth as routing/geo.py).

const EARTH_RADIUS_M = 6371008.8;
const RAD = Math.PI / 180;

/** Great-circle distance between two [lat, lon] points, in metres. */
export function haversineM([lat1, lon1], [lat2, lon2]) {
  const dp = (lat2 - lat1) * RAD;
  const dl = (lon2 - lon1) * RAD;
  const a = Math.sin(dp / 2) ** 2
    + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** [lat, lon] points of a GeoJSON LineString ([lon, lat] pairs). */
export function fromGeoJSON(geometry) {
  return geometry.coordinates.map(([lon, lat]) => [lat, lon]);
}

/** A walkable polyline of [lat, lon] points: its length and the point so far along it. */
export class Polyline {
  constructor(points) {
    this.points = points;
    this.cum = [0];
    for (let i = 1; i < points.length; i += 1) {
      this.cum.push(this.cum[i - 1] + haversineM(points[i - 1], points[i]));
    }
    this.length = this.cum[this.cum.length - 1];
  }

  /** The point ``metres`` along the line (clamped to its ends). */
  at(metres) {
    const along = Math.max(0, Math.min(this.length, metres));
    let i = 1;
    while (i < this.points.length - 1 && this.cum[i] < along) i += 1;
    if (this.points.length === 1) return this.points[0];
    const span = this.cum[i] - this.cum[i - 1];
    const f = span === 0 ? 0 : (along - this.cum[i - 1]) / span;
    const [a, b] = [this.points[i - 1], this.points[i]];
    return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])];
  }
}

/** Equirectangular metres east/north of an origin (fine within a city). */
export class LocalFrame {
  constructor([lat0, lon0]) {
    this.origin = [lat0, lon0];
    this.ky = RAD * EARTH_RADIUS_M;
    this.kx = this.ky * Math.cos(lat0 * RAD);
  }

  toXY([lat, lon]) {
    return [(lon - this.origin[1]) * this.kx, (lat - this.origin[0]) * this.ky];
  }
}
