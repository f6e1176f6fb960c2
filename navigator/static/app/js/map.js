// The companion's map: the route (a ring at its start, a diamond at its end) and the estimated
// position (with its error circle) drawn as plain SVG. Only for a sighted companion; guidance never needs it.

import { LocalFrame } from "./geo.js";

const SVG = "http://www.w3.org/2000/svg";
const SIZE = 100;
const MARGIN = 8;

function element(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

export class CompanionMap {
  constructor(svg) {
    this.svg = svg;
    this.route = [];
    this.position = null;
  }

  setRoute(points) {
    this.route = points;
    this.render();
  }

  /** The server's estimate: {lat, lon, error_m}, or null while the position is unknown. */
  setPosition(fix) {
    this.position = fix;
    this.render();
  }

  render() {
    this.svg.replaceChildren();
    if (this.route.length === 0) return;
    const frame = new LocalFrame(this.route[0]);
    const xy = this.route.map((p) => frame.toXY(p));
    const pos = this.position ? frame.toXY([this.position.lat, this.position.lon]) : null;
    const all = pos ? [...xy, pos] : xy;
    const xs = all.map(([x]) => x);
    const ys = all.map(([, y]) => y);
    const [minX, minY] = [Math.min(...xs), Math.min(...ys)];
    const span = Math.max(Math.max(...xs) - minX, Math.max(...ys) - minY, 20);
    const scale = (SIZE - 2 * MARGIN) / span;
    const offX = MARGIN + (SIZE - 2 * MARGIN - (Math.max(...xs) - minX) * scale) / 2;
    const offY = MARGIN + (SIZE - 2 * MARGIN - (Math.max(...ys) - minY) * scale) / 2;
    const toView = ([x, y]) => [offX + (x - minX) * scale, SIZE - offY - (y - minY) * scale];
    const line = xy.map((p) => toView(p).map((v) => v.toFixed(2)).join(",")).join(" ");
    this.svg.append(element("polyline", { class: "route", points: line }));
    const [sx, sy] = toView(xy[0]);
    this.svg.append(element("circle", { class: "start", cx: sx, cy: sy, r: 2 }));
    const [gx, gy] = toView(xy[xy.length - 1]);
    this.svg.append(element("rect", { class: "goal", x: gx - 2, y: gy - 2, width: 4, height: 4,
      transform: `rotate(45 ${gx} ${gy})` }));
    if (pos) {
      const [px, py] = toView(pos);
      const r = Math.max(1.5, this.position.error_m * scale);
      this.svg.append(element("circle", { class: "error-circle", cx: px, cy: py, r }));
      this.svg.append(element("circle", { class: "position", cx: px, cy: py, r: 1.8 }));
    }
  }
}
