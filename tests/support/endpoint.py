"""A local HTTP endpoint standing in for a hosted OpenAI-compatible service (which cannot run
here): the client code under test makes its real requests to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port; yields its ``http://127.0.0.1:PORT``."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def local_endpoint(
    path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> AsyncIterator[str]:
    """Serve ``handler`` at ``POST /v1{path}`` on a free loopback port; yields the API base."""
    app = web.Application()
    app.router.add_post("/v1" + path, handler)
    async with serving(app) as base:
        yield base + "/v1"
