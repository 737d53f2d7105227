"use strict";
// ring's service worker. Ringing needs the server, so nothing of the page or the API is cached:
// when a navigation fails (no connection), the installed app shows the offline page instead of
// the browser's error. That page and its stylesheet are the only things kept.
const CACHE = "ring-offline-v1";
const OFFLINE = "/ring/offline";
const KEPT = [OFFLINE, "/static/ringfence.css", "/static/favicon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEPT)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // Older versions of ring's cache only: other pages of this site may keep caches of their own.
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("ring-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
  } else if (KEPT.includes(new URL(request.url).pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(request)));
  }
});
