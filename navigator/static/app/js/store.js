// What the app keeps on the device: settings and recent destinations (a place's id and name).
// Never a position: the walker's whereabouts stay in memory and in the live session only.

const SETTINGS_KEY = "blindpilot.settings";
const RECENT_KEY = "blindpilot.recent";
const RECENT_MAX = 5;

export const DEFAULTS = Object.freeze({
  mode: "demo-walk", profile: "blind_cane", lang: "de", verbosity: "normal",
  voice: true, vibrate: true,
});

function read(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // private mode or full storage: the app works without remembering
  }
}

export function loadSettings() {
  const saved = read(SETTINGS_KEY, {});
  const out = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    if (typeof saved[key] === typeof DEFAULTS[key]) out[key] = saved[key];
  }
  return out;
}

export function saveSettings(settings) {
  const out = {};
  for (const key of Object.keys(DEFAULTS)) out[key] = settings[key];
  write(SETTINGS_KEY, out);
}

/** Recent destinations, newest first: [{id, name, kind}]. */
export function recentPlaces() {
  const list = read(RECENT_KEY, []);
  return Array.isArray(list) ? list.filter((p) => Number.isInteger(p.id) && p.name) : [];
}

export function rememberPlace(place) {
  const entry = { id: place.id, name: place.name, kind: place.kind };
  const rest = recentPlaces().filter((p) => p.id !== place.id);
  write(RECENT_KEY, [entry, ...rest].slice(0, RECENT_MAX));
}
