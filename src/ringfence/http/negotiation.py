"""Whether a request is a person's browser asking for a page, or a program asking for data."""

from __future__ import annotations

from starlette.requests import Request


def wants_html(request: Request) -> bool:
    """A page for a browser's navigation (its ``Accept`` names ``text/html`` before any JSON);
    JSON for ``/api/`` paths and for every client that does not ask for HTML (``fetch``,
    ``curl``, httpx all send ``*/*``)."""
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "").lower()
    html = accept.find("text/html")
    if html < 0:
        return False
    json = accept.find("application/json")
    return json < 0 or html < json
