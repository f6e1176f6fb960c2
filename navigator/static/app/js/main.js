// The companion app: plan (destination, start, settings) -> preview -> guidance -> arrived.
// Focus moves only when the walker changes screens; during a walk nothing takes it away.

import { Announcer } from "./announcer.js";
import { ApiError, createSession, planRoute, verbosityLevels } from "./api.js";
import { Guidance } from "./guidance.js";
import { distance, num, setLang, t } from "./i18n.js";
import { CompanionMap } from "./map.js";
import { PlacePicker, choiceItem } from "./places.js";
import { GpsWatch, currentPosition, locationProblem } from "./positions.js";
import { loadSettings, recentPlaces, rememberPlace, saveSettings } from "./store.js";

const $ = (id) => document.getElementById(id);
const SCREENS = ["plan", "preview", "guide", "arrived", "error"];
const SHORTCUTS = { KeyR: "cmd-repeat", KeyW: "cmd-where", KeyA: "cmd-around",
  KeyP: "cmd-pause", KeyE: "cmd-end" };
/** ?speed=N runs the clock N times faster (a quick demo, and the browser tests). */
const SPEED = Math.min(50, Math.max(1, Number(new URLSearchParams(location.search).get("speed")) || 1));

const settings = loadSettings();
const state = { dest: null, start: null, from: null, route: null, guidance: null, verbosity: [] };
const announcer = new Announcer($("live-polite"), $("live-assertive"));
const map = new CompanionMap($("map"));

function show(name) {
  for (const screen of SCREENS) $(`screen-${screen}`).hidden = screen !== name;
  const heading = $(`${name}-title`);
  heading.focus();
}

function fail(message) {
  $("error-text").textContent = message;
  show("error");
}

function problemText(err) {
  return err instanceof ApiError && err.code === "network" ? t("err_network") : err.message;
}

// ---- plan

function applySettings() {
  setLang(settings.lang);
  announcer.lang = settings.lang;
  announcer.voice = settings.voice;
  announcer.vibrate = settings.vibrate;
  for (const name of ["mode", "profile", "lang", "verbosity"]) {
    for (const radio of document.querySelectorAll(`input[name="${name}"]`)) {
      radio.checked = radio.value === settings[name];
    }
  }
  document.querySelector('input[name="voice"]').checked = settings.voice;
  document.querySelector('input[name="vibrate"]').checked = settings.vibrate;
  $("vibrate-option").hidden = !navigator.vibrate;
  $("start-picker").hidden = settings.mode !== "demo-walk";
  $("verbosity").hidden = state.verbosity.length === 0;
  renderRecent();
  renderSummary();
}

function renderRecent() {
  const recent = recentPlaces();
  $("recent").hidden = recent.length === 0;
  $("recent-list").replaceChildren(...recent.map((place) => choiceItem(place, chooseDest)));
}

function renderSummary() {
  const parts = [state.dest ? t("chosen_dest", { name: state.dest.name }) : t("none_chosen")];
  if (settings.mode === "demo-walk" && state.start) {
    parts.push(t("chosen_start", { name: state.start.name }));
  }
  $("plan-summary").textContent = parts.join(" · ");
}

/** A destination chosen: remembered, and the next step (the go button) gets the focus. */
function chooseDest(place) {
  state.dest = place;
  rememberPlace(place);
  destPicker.clear();
  renderRecent();
  renderSummary();
  $("plan-error").textContent = "";
  $(settings.mode === "demo-walk" && !state.start ? "start-q" : "plan-go").focus();
}

function chooseStart(place) {
  state.start = place;
  startPicker.clear();
  renderSummary();
  $(state.dest ? "plan-go" : "dest-q").focus();
}

const destPicker = new PlacePicker($("dest-picker"), chooseDest);
const startPicker = new PlacePicker($("start-picker"), chooseStart);

function onSettingChange(event) {
  const { name, type, value, checked } = event.target;
  if (!(name in settings)) return;
  settings[name] = type === "checkbox" ? checked : value;
  saveSettings(settings);
  applySettings();
}

async function planWalk() {
  const error = $("plan-error");
  if (!state.dest) {
    error.textContent = t("need_dest");
    return;
  }
  if (settings.mode === "demo-walk" && !state.start) {
    error.textContent = t("need_start");
    $("start-q").focus();
    return;
  }
  error.textContent = "";
  let from;
  if (settings.mode === "demo-walk") {
    from = { place: state.start.id };
  } else {
    $("plan-summary").textContent = t("locating");
    try {
      const [lat, lon] = await currentPosition();
      from = { lat, lon };
    } catch (err) {
      renderSummary();
      fail(t("err_location", { reason: locationProblem(err) }));
      return;
    }
  }
  $("plan-summary").textContent = t("planning");
  try {
    state.route = await planRoute({ from, to: { place: state.dest.id }, profile: settings.profile,
      lang: settings.lang });
  } catch (err) {
    renderSummary();
    fail(problemText(err));
    return;
  }
  state.from = from;
  renderSummary();
  renderPreview();
  show("preview");
}

// ---- preview

/** Warnings for the walker derived from the route's own maneuvers, plus the server's. */
function routeWarnings(route) {
  const out = [];
  for (const m of route.maneuvers) {
    const street = m.attributes.street || t("a_street");
    if (m.kind === "cross" && m.attributes.signal === "none") out.push(t("warn_unsignalled", { street }));
    if (m.kind === "cross" && m.attributes.signal === "visual") out.push(t("warn_visual_only", { street }));
    if (m.kind === "cross" && m.attributes.signal === "unknown") out.push(t("warn_signal_unknown", { street }));
    if (m.kind === "steps") out.push(t("warn_steps", { count: m.attributes.count ?? "?" }));
  }
  return [...out, ...route.warnings];
}

function renderPreview() {
  const route = state.route;
  $("preview-title").textContent = t("preview_title", { name: state.dest.name });
  $("pv-length").textContent = distance(route.length_m);
  $("pv-duration").textContent = t("minutes", { n: num(Math.max(1, Math.round(route.duration_s / 60))) });
  $("pv-profile").textContent = t(`profile_${route.profile}`);
  $("pv-from").textContent = state.from.place ? state.start.name : t("my_location");
  const warnings = routeWarnings(route);
  $("pv-warnings").hidden = warnings.length === 0;
  $("pv-warning-list").replaceChildren(...warnings.map((text) => listItem(text)));
  $("pv-steps").replaceChildren(...route.maneuvers.map((m) => listItem(m.text)));
}

function listItem(text) {
  const item = document.createElement("li");
  item.textContent = text;
  return item;
}

// ---- guidance

async function startGuidance() {
  announcer.unlock(); // inside the click: browsers allow sound only after a gesture
  const body = { from: state.from, to: { place: state.dest.id }, profile: settings.profile,
    lang: settings.lang };
  if (state.verbosity.includes(settings.verbosity)) body.verbosity = settings.verbosity;
  let session;
  try {
    session = await createSession(body);
  } catch (err) {
    fail(problemText(err));
    return;
  }
  const gps = settings.mode === "demo-walk" ? null : new GpsWatch();
  gps?.start();
  state.guidance = new Guidance({
    session, route: state.route, mode: settings.mode, speed: SPEED, gps, announcer, map,
    els: { now: $("now-text"), history: $("history"), conn: $("conn-status"),
      pos: $("pos-status"), pause: $("cmd-pause") },
    on: {
      arrived: (text) => { endWalk(); $("arrived-text").textContent = text; show("arrived"); },
      gone: () => { endWalk(); fail(t("err_session_gone")); },
    },
  });
  $("guide-title").textContent = t("guide_title", { name: state.dest.name });
  $("cmd-pause").setAttribute("aria-pressed", "false");
  show("guide");
  try {
    await state.guidance.start();
  } catch (err) {
    endWalk();
    fail(problemText(err));
  }
}

function endWalk() {
  state.guidance?.stop();
  state.guidance?.gps?.stop();
  state.guidance = null;
}

function onShortcut(event) {
  if (!state.guidance || !event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
  const id = SHORTCUTS[event.code];
  if (!id) return;
  event.preventDefault();
  $(id).click();
}

// ---- wiring

function wire() {
  document.querySelector(".settings").addEventListener("change", onSettingChange);
  $("plan-go").addEventListener("click", planWalk);
  $("preview-back").addEventListener("click", () => show("plan"));
  $("guide-start").addEventListener("click", startGuidance);
  $("cmd-repeat").addEventListener("click", () => state.guidance?.command("repeat"));
  $("cmd-where").addEventListener("click", () => state.guidance?.command("where_am_i"));
  $("cmd-around").addEventListener("click", () => state.guidance?.command("around_me"));
  $("cmd-pause").addEventListener("click", () => state.guidance?.togglePause());
  $("cmd-end").addEventListener("click", () => {
    state.guidance?.end();
    endWalk();
    announcer.say(t("ended"));
    show("plan");
  });
  $("arrived-again").addEventListener("click", () => show("plan"));
  $("error-back").addEventListener("click", () => show("plan"));
  document.addEventListener("keydown", onShortcut);
}

async function boot() {
  wire();
  applySettings();
  $("screen-plan").hidden = false;
  document.body.dataset.ready = "true";
  state.verbosity = await verbosityLevels();
  applySettings();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {});
  }
}

boot();
