"""Security headers a page may choose instead of the app's defaults (``web/security_headers``).

The defaults deny the microphone; a page that captures it (a call from the browser, a chat with an
agent) returns ``MICROPHONE`` with its response, and the middleware leaves a header the response
already has as it is.
"""

from __future__ import annotations

PERMISSIONS_POLICY = "Permissions-Policy"
NO_DEVICES = "microphone=(), camera=(), geolocation=()"
MICROPHONE_SELF = "microphone=(self), camera=(), geolocation=()"
MICROPHONE: dict[str, str] = {PERMISSIONS_POLICY: MICROPHONE_SELF}
