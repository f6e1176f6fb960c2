// The map: the city's own graph by bounding box (no tiles, no internet), coloured by what a
// blind walker needs, plus overlays the tools draw (a planned route, problems, a replay).
/* global L */
import { get } from "./api.js";

const FETCH_DELAY_MS = 150;
const NODE_ZOOM = 18;
const BEACON_ZOOM = 17;

export class ConsoleMap {
  /**
   * @param {(kind: string, id: number) => void} onSelect  a feature was chosen on the map
   * @param {(ident: string) => void} onBeacon  a beacon was (the map knows it by its identity)
   */
  constructor(element, onSelect, onBeacon) {
    this.onSelect = onSelect;
    this.onBeacon = onBeacon;
    this.map = L.map(element, { zoomSnap: 0.5, keyboard: true, attributionControl: true });
    this.map.attributionControl.setPrefix("Leaflet");
    this.graph = L.layerGroup().addTo(this.map);
    this.overlay = L.layerGroup().addTo(this.map);
    this.selected = null;
    this.edges = [];
    this.points = [];
    this.onPick = null;
    this.map.on("moveend", () => this.scheduleLoad());
    this.map.on("click", (e) => {
      if (e.originalEvent.shiftKey && this.onPick) this.onPick(e.latlng);
    });
  }

  fit(bbox) {
    const [w, s, e, n] = bbox;
    this.map.fitBounds([[s, w], [n, e]]);
  }

  centre() { return this.map.getCenter(); }
  goTo(lat, lon, zoom = 18) { this.map.setView([lat, lon], zoom); }

  scheduleLoad() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), FETCH_DELAY_MS);
  }

  /** Fetch what is in view and redraw it; resolves once drawn (tests and tools wait on it). */
  async load() {
    const b = this.map.getBounds();
    const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6));
    // nodes and landmarks only where they can be told apart (and the answer stays small)
    const zoom = this.map.getZoom();
    const layers = ["edges", ...(zoom >= NODE_ZOOM ? ["nodes", "landmarks"] : []),
      ...(zoom >= BEACON_ZOOM ? ["beacons"] : [])].join(",");
    const doc = await get(`/v1/map/features?bbox=${box.join(",")}&layers=${layers}`);
    this.draw(doc);
    document.body.dataset.mapLoads = String(Number(document.body.dataset.mapLoads ?? 0) + 1);
    this.map.fire("graphdrawn", { doc });
    return doc;
  }

  draw(doc) {
    if (!this.attributed) {
      this.map.attributionControl.addAttribution(doc.attribution);
      this.attributed = true;
    }
    this.graph.clearLayers();
    this.edges = [];
    this.points = [];
    for (const f of doc.features) {
      const p = f.properties;
      if (p.layer === "edge") {
        this.edges.push(p);
        const look = p.closed ? "closed" : p.look;
        const line = L.geoJSON(f, {
          style: { className: `edge look-${look}`, weight: p.look === "road" ? 6 : 4 },
        });
        line.on("click", (e) => {
          if (e.originalEvent.shiftKey) return;
          L.DomEvent.stop(e);
          this.onSelect("edge", p.id);
        });
        this.graph.addLayer(line);
      } else if (p.layer === "node") {
        const [lon, lat] = f.geometry.coordinates;
        const dot = L.circleMarker([lat, lon], { radius: 4, className: "node" });
        dot.on("click", (e) => { L.DomEvent.stop(e); this.onSelect("node", p.id); });
        this.graph.addLayer(dot);
      } else if (p.layer === "beacon") {
        this.points.push(p);
        const [lon, lat] = f.geometry.coordinates;
        const dot = L.circleMarker([lat, lon], { radius: 3, className: "beacon" });
        dot.on("click", (e) => { L.DomEvent.stop(e); this.onBeacon(p.ident); });
        this.graph.addLayer(dot);
      } else if (p.layer === "landmark") {
        this.points.push(p);
        const [lon, lat] = f.geometry.coordinates;
        const dot = L.circleMarker([lat, lon], { radius: 5, className: "landmark" }).bindTooltip(p.name);
        dot.on("click", (e) => { L.DomEvent.stop(e); this.onSelect("landmark", p.id); });
        this.graph.addLayer(dot);
      }
    }
    for (const layer of this.graph.getLayers()) {
      layer.eachLayer?.((l) => {
        const id = l.feature?.properties?.id;
        if (id !== undefined) l.getElement()?.setAttribute("data-edge", id);
      });
    }
    document.getElementById("map-note").textContent = doc.truncated
      ? "Only part of the map is drawn here: zoom in to see every edge." : "";
    this.highlight();
  }

  /** Mark the selected feature (kind, id) on the map. */
  select(kind, id) {
    this.selected = { kind, id };
    this.highlight();
  }

  highlight() {
    for (const el of document.querySelectorAll("#map .selected")) el.classList.remove("selected");
    if (this.selected?.kind === "edge") {
      document.querySelector(`#map [data-edge="${this.selected.id}"]`)?.classList.add("selected");
    }
  }

  /** Replace the tools' overlay with these layers (route, problems, replay paths). */
  showOverlay(layers) {
    this.overlay.clearLayers();
    for (const layer of layers) this.overlay.addLayer(layer);
  }
}
