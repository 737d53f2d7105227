"""API docs served with no CDN: the Swagger UI and ReDoc assets come from a package."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = files("fastapi_offline") / "static"


def install_docs(app: FastAPI) -> None:
    app.mount("/static/apidocs", StaticFiles(directory=str(ASSETS)), name="apidocs")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="ringfence API",
            swagger_js_url="/static/apidocs/swagger-ui-bundle.js",
            swagger_css_url="/static/apidocs/swagger-ui.css",
            swagger_favicon_url="/static/apidocs/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="ringfence API",
            redoc_js_url="/static/apidocs/redoc.standalone.js",
            redoc_favicon_url="/static/apidocs/favicon.png",
            with_google_fonts=False,
        )
