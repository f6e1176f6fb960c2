// Reading and filling the edit forms: every field names its API attribute (data-field) and its
// type (data-type: text, number, int, bool), so one pair of functions serves every preset.

const BOOL_OPTIONS = [["", "unknown"], ["true", "yes"], ["false", "no"]];

/** Give every yes/no/unknown select its three options (once). */
export function addBoolOptions(root) {
  for (const select of root.querySelectorAll("select[data-type=bool]")) {
    if (select.options.length) continue;
    for (const [value, text] of BOOL_OPTIONS) select.add(new Option(text, value));
  }
}

/** A label and its number input for the API attribute ``field``. */
function numberField(id, text, field) {
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = text;
  const input = document.createElement("input");
  Object.assign(input, { id, inputMode: "decimal" });
  Object.assign(input.dataset, { field, type: "number" });
  return [label, input];
}

/** Fill every ``<div data-position="P" [data-level]>`` of ``root`` with the fields that move an
 * object by typing (WCAG 2.5.7: no dragging needed), one markup for every edit form: latitude
 * (``P-lat``), longitude (``P-lon``), a button for the map's centre (``data-here``) and, with
 * ``data-level``, the floor level (``P-level``). */
export function addPositionFields(root) {
  for (const slot of root.querySelectorAll("[data-position]")) {
    const p = slot.dataset.position;
    const here = document.createElement("button");
    Object.assign(here, { type: "button", textContent: "Use the map's centre" });
    here.dataset.here = p;
    const level = "level" in slot.dataset
      ? numberField(`${p}-level`, "Floor level (empty: none)", "level") : [];
    slot.replaceWith(...numberField(`${p}-lat`, "Latitude", "lat"),
      ...numberField(`${p}-lon`, "Longitude", "lon"), here, ...level);
  }
}

function parse(el) {
  const raw = el.value.trim();
  if (raw === "") return null;
  switch (el.dataset.type) {
    case "bool": return raw === "true";
    case "int": return Number.parseInt(raw, 10);
    case "number": return Number.parseFloat(raw.replace(",", "."));
    default: return raw;
  }
}

/** Show a row's values; a stored value a select does not offer (an imported OSM tag) is added
 * as an option of its own, so that saving another field does not silently erase it. */
export function fillForm(root, row) {
  for (const el of root.querySelectorAll("[data-field]")) {
    const value = row[el.dataset.field];
    const text = value === null || value === undefined ? "" : String(value);
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === text)) {
      el.add(new Option(`${text} (as stored)`, text));
    }
    el.value = text;
  }
}

/** The fields whose value differs from ``row``: the body of a PATCH. */
export function changedFields(root, row) {
  const out = {};
  for (const el of root.querySelectorAll("[data-field]")) {
    const name = el.dataset.field;
    const value = parse(el);
    if (Number.isNaN(value)) throw new Error(`${el.labels[0]?.textContent ?? name} is not a number`);
    if (value !== (row[name] ?? null)) out[name] = value;
  }
  return out;
}

/** "49.44, 7.76" -> {lat, lon}, or an Error that says what to type. */
export function parseLatLon(text) {
  const parts = text.split(/[,;\s]+/).filter(Boolean).map(Number);
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))
      || Math.abs(parts[0]) > 90 || Math.abs(parts[1]) > 180) {
    throw new Error(`"${text}" is not a position: type latitude, longitude`);
  }
  return { lat: parts[0], lon: parts[1] };
}

export const show = (el, visible) => { el.hidden = !visible; };
export const $ = (id) => document.getElementById(id);

/** Rows of a two- or three-column table from arrays of cell texts. */
export function fillRows(tbody, rows) {
  tbody.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    cells.forEach((text, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.textContent = text === null || text === undefined ? "—" : String(text);
      tr.append(cell);
    });
    return tr;
  }));
}
