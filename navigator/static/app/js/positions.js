// The phone's own position (W3C Geolocation). Kept in memory only, for the next scan.

import { t } from "./i18n.js";

const OPTIONS = { enableHighAccuracy: true, maximumAge: 1000, timeout: 20000 };
/** GeolocationPositionError codes: 1 permission denied, 2 unavailable, 3 timeout. */
const PROBLEMS = { 1: "geo_denied", 2: "geo_unavailable", 3: "geo_timeout" };

/** Why a position is missing, in the app's language. */
export function locationProblem(err) {
  return t(PROBLEMS[err?.code] ?? "geo_unavailable");
}

/** One position now (for planning a route from here): [lat, lon]. */
export function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error("no geolocation"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve([p.coords.latitude, p.coords.longitude]), reject, OPTIONS);
  });
}

/** The latest position while walking: {point, accuracy (95 % radius, m), heading, speed,
 *  receivedAt (performance.now() when it came)}. */
export class GpsWatch {
  constructor() {
    this.fix = null;
    this.id = null;
  }

  start() {
    if (!navigator.geolocation) return;
    this.id = navigator.geolocation.watchPosition((p) => {
      const { latitude, longitude, accuracy, heading, speed } = p.coords;
      this.fix = {
        point: [latitude, longitude],
        accuracy,
        heading: Number.isFinite(heading) ? heading % 360 : null,
        speed: Number.isFinite(speed) ? speed : null,
        receivedAt: performance.now(),
      };
    }, () => {}, OPTIONS);
  }

  latest() {
    return this.fix;
  }

  stop() {
    if (this.id !== null) navigator.geolocation.clearWatch(this.id);
    this.id = null;
    this.fix = null;
  }
}
