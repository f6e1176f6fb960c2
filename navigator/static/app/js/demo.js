// The demo's radio world: beacon readings a phone would hear at a point, made with the
// simulator's log-distance path-loss law, its noise and its dropouts (see beacons/simulator.py);
// and the demo walker, who follows the route at a steady pace.

import { Polyline, haversineM } from "./geo.js";

const MIN_DISTANCE_M = 0.5; // beacons/pathloss.py: closer than this the law means nothing
const RSSI_FLOOR_DBM = -127;

/** Mean RSSI at a distance (beacons/pathloss.py expected_rssi_dbm). */
export function expectedRssiDbm(distanceM, power1mDbm, exponent) {
  return power1mDbm - 10 * exponent * Math.log10(Math.max(distanceM, MIN_DISTANCE_M));
}

/** A seeded uniform random source in [0, 1) (mulberry32): the same seed, the same walk. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random) {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const keyOf = (beacon) => JSON.stringify(beacon);

/** The beacons along the route and what a phone hears of them. */
export class DemoRadio {
  constructor(radio, seed = 1) {
    this.radio = radio;
    this.random = seededRandom(seed);
    this.beacons = new Map();
  }

  /** Add beacons (from POST /v1/demo/beacons) to the world; a rerouted walk brings more. */
  add(beacons) {
    for (const b of beacons) this.beacons.set(keyOf(b.beacon), b);
  }

  /** The readings of one scan at ``point`` ([lat, lon]), as the live protocol takes them. */
  readingsAt(point) {
    const { path_loss_exponent: n, noise_db: noise, dropout, range_m: range } = this.radio;
    const out = [];
    for (const b of this.beacons.values()) {
      const d = haversineM(point, [b.lat, b.lon]);
      if (d > range) continue;
      const rssi = Math.round(expectedRssiDbm(d, b.measured_power, n) + noise * normal(this.random));
      if (this.random() < dropout || rssi < RSSI_FLOOR_DBM) continue;
      out.push({ beacon: b.beacon, rssi: Math.min(rssi, 20), tx_power: b.measured_power });
    }
    return out;
  }
}

/** A walker who follows a path at the demo's pace, and a new one when the route changes. */
export class DemoWalker {
  constructor(points, speedMps) {
    this.speed = speedMps;
    this.follow(points);
  }

  follow(points) {
    this.line = new Polyline(points);
    this.walked = 0;
  }

  /** Follow a new route from where the walker stands now (as a person would). */
  rejoin(points) {
    this.follow([this.position(), ...points]);
  }

  advance(seconds) {
    this.walked = Math.min(this.line.length, this.walked + this.speed * seconds);
  }

  position() {
    return this.line.at(this.walked);
  }
}
