"""API docs served with no CDN: the Swagger UI and ReDoc assets come from a package.

The Swagger UI page starts the bundle with an inline script; its policy allows exactly that
script by its SHA-256 (CSP Level 2 hash source) and no other inline script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ringfence.web.security_headers import CONTENT_SECURITY_POLICY, content_security_policy

ASSETS = files("fastapi_offline") / "static"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def with_inline_scripts_allowed(page: HTMLResponse) -> HTMLResponse:
    """The page with a policy that allows its own inline scripts, by hash, and nothing more."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(bytes(page.body))
    ]
    policy = content_security_policy(script_src=" ".join(["'self'", *hashes]))
    page.headers[CONTENT_SECURITY_POLICY] = policy
    return page


def install_docs(app: FastAPI) -> None:
    app.mount("/static/apidocs", StaticFiles(directory=str(ASSETS)), name="apidocs")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="ringfence API",
            swagger_js_url="/static/apidocs/swagger-ui-bundle.js",
            swagger_css_url="/static/apidocs/swagger-ui.css",
            swagger_favicon_url="/static/apidocs/favicon.png",
        )
        return with_inline_scripts_allowed(page)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="ringfence API",
            redoc_js_url="/static/apidocs/redoc.standalone.js",
            redoc_favicon_url="/static/apidocs/favicon.png",
            with_google_fonts=False,
        )
