// Service worker: the app shell (these files) works offline; nothing else is ever cached.
// Network first, so an upgraded server is used at once; the cache is the fallback when offline.
// API answers (places, routes, sessions, audio: positions among them) are never stored.

const CACHE = "blindpilot-shell-v1";
const SHELL = [
  "./",
  "app.css",
  "manifest.webmanifest",
  "icons/icon.svg",
  "icons/icon-192.png",
  "icons/icon-512.png",
  "js/announcer.js",
  "js/api.js",
  "js/demo.js",
  "js/geo.js",
  "js/guidance.js",
  "js/i18n.js",
  "js/live.js",
  "js/main.js",
  "js/map.js",
  "js/places.js",
  "js/positions.js",
  "js/store.js",
];
const SHELL_URLS = new Set(SHELL.map((path) => new URL(path, self.registration.scope).href));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  url.search = "";
  if (event.request.method !== "GET" || !SHELL_URLS.has(url.href)) return;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(url.href, copy));
    }
    return response;
  }).catch(() => caches.match(url.href)));
});
