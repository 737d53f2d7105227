import pytest
from starlette.requests import Request

from ringfence.http.negotiation import wants_html

CHROMIUM = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def request(path: str, accept: str | None) -> Request:
    headers = [] if accept is None else [(b"accept", accept.encode())]
    return Request({"type": "http", "method": "GET", "path": path, "headers": headers})


@pytest.mark.parametrize(
    ("path", "accept", "html"),
    [
        ("/nope", CHROMIUM, True),
        ("/account/credit", "text/html", True),
        ("/api/ring", CHROMIUM, False),  # the API answers JSON, even to a browser
        ("/nope", "*/*", False),  # fetch(), curl, httpx
        ("/nope", None, False),
        ("/nope", "application/json", False),
        ("/nope", "application/json, text/html", False),
        ("/nope", "text/html, application/json", True),
        ("/static/x.css", "text/css,*/*;q=0.1", False),
    ],
)
def test_a_page_only_for_a_browsers_navigation(path: str, accept: str | None, html: bool) -> None:
    assert wants_html(request(path, accept)) is html
