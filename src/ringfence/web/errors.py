"""Every error leaves with its HTTP status: as ``{"error": {"code", "message"}}`` for programs,
and as a page in the site's layout for a browser's navigation
(``http.negotiation.wants_html``): what went wrong in words, and where to go from there."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from ringfence.errors import RingfenceError
from ringfence.http import deps
from ringfence.http.negotiation import wants_html
from ringfence.logging import get_logger

log = get_logger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


# The heading of an error page, by HTTP status.
_HEADINGS = {
    400: "That request could not be read",
    401: "Sign in first",
    403: "Not allowed",
    404: "Page not found",
    405: "That does not work here",
    409: "That clashes with something already there",
    413: "That is too large",
    415: "That kind of file is not accepted",
    422: "Something in the form is not right",
    429: "Too many tries",
    500: "Something went wrong on our side",
    503: "Not available right now",
}


# Starlette's bare reasons, in words for a page.
_PAGE_WORDS = {
    "Not Found": "there is no page at this address: it may have moved, or the link is wrong",
    "Method Not Allowed": "this address does not take that kind of request",
}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


async def refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    message: str,
    *,
    close: bool = False,
) -> None:
    """Answer for middleware that refuses a request before the app sees it (a body too large,
    control characters): the same page for a browser, or JSON for a program, as the app's own
    errors. ``close``: the connection is closed after it (the rest of the body is not read)."""
    headers = {"connection": "close"} if close else None
    response = error_response(Request(scope), status, code, message, headers)
    await response(scope, receive, send)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return "; ".join(parts) or "invalid request"


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as a page for a browser's navigation, else as JSON."""
    if not wants_html(request):
        return JSONResponse(error_body(code, message), status_code=status, headers=headers)
    message = _PAGE_WORDS.get(message, message)
    heading = _HEADINGS.get(status, "Something went wrong")
    context = {
        "title": heading,
        "status": status,
        "code": code,
        "message": message,
        "signed_in_needed": status in (401, 403) and "log in" in message.lower(),
    }
    try:
        return deps.templates(request).TemplateResponse(
            request, "error.html", context, status_code=status, headers=headers
        )
    except Exception:  # the page itself failed (a broken template): still answer in words
        log.exception("error_page_failed", path=request.url.path, status=status)
        page = f"<!doctype html><title>{status}</title><h1>{escape(heading)}</h1>"
        return HTMLResponse(page + f"<p>{escape(message)}</p>", status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RingfenceError)
    async def ringfence_error(request: Request, exc: RingfenceError) -> Response:
        if exc.http_status >= 500:
            log.error("request_failed", path=request.url.path, code=exc.code, error=exc.message)
        return error_response(request, exc.http_status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = str(exc.detail)
        headers = getattr(exc, "headers", None)
        return error_response(request, exc.status_code, code, message, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, "invalid_input", _validation_message(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path)
        return error_response(request, 500, "internal", "internal server error")
