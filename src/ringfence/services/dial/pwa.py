"""dial as an app a phone can install: its web app manifest and a service worker.

The worker keeps only the page's static files (script, styles, icons) for a quick start; the
page itself and every API answer carry an account's data and a CSRF token, so they always come
from the network and are never cached on the device. Offline, opening the app says that calls
need a connection. The worker lives under ``/dial/`` and is allowed the scope ``/dial`` (the
page's own path, which has no trailing slash) by ``Service-Worker-Allowed``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from ringfence.services.dial.manifest import SERVICE

router = APIRouter(include_in_schema=False)
SCOPE = SERVICE.path
CACHE = "ringfence-dial-v1"
SHELL = (
    "/static/ringfence.css",
    "/static/webrtc.js",
    "/static/dial/dial.js",
    "/static/dial/dial.css",
    "/static/dial/icons/dial-192.png",
    "/static/dial/icons/dial-512.png",
)
OFFLINE = (
    "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
    "<title>Offline · dial</title><p>You are offline: calls need a connection. Try again "
    "once you are back online.</p>"
)


def web_manifest() -> dict[str, Any]:
    """The manifest (W3C Web Application Manifest): what a phone shows and starts."""
    return {
        "name": "ringfence dial",
        "short_name": "dial",
        "description": SERVICE.summary,
        "id": SCOPE,
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f7f7f4",
        "theme_color": "#0b6e4f",
        "icons": [
            {
                "src": f"/static/dial/icons/dial-{size}.png",
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }


def worker_script() -> str:
    """The service worker: the shell cached at install, old caches dropped at activation,
    static files from the cache first, pages from the network (a note when offline), and
    nothing else touched."""
    shell = json.dumps(list(SHELL))
    return f""""use strict";
const CACHE = "{CACHE}";
const SHELL = {shell};
const OFFLINE = {json.dumps(OFFLINE)};
self.addEventListener("install", (event) => {{
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(SHELL))
    .then(() => self.skipWaiting()));
}});
self.addEventListener("activate", (event) => {{
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
}});
self.addEventListener("fetch", (event) => {{
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin === location.origin && SHELL.includes(url.pathname)) {{
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }} else if (request.mode === "navigate") {{
    event.respondWith(fetch(request).catch(() =>
      new Response(OFFLINE, {{ headers: {{ "Content-Type": "text/html; charset=utf-8" }} }})));
  }}
}});
"""


@router.get("/dial/manifest.webmanifest")
async def manifest() -> JSONResponse:
    return JSONResponse(
        web_manifest(),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/dial/sw.js")
async def service_worker() -> Response:
    return Response(
        worker_script(),
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": SCOPE, "Cache-Control": "no-cache"},
    )
