"""The application factory: one FastAPI app that mounts the core and every enabled service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from ringfence import __version__, composition
from ringfence.accounts.jobs import ANNOUNCE_JOB
from ringfence.accounts.policy_notice import unannounced
from ringfence.errors import RingfenceError
from ringfence.http.deps import require_operator_login
from ringfence.jobs import JobQueue
from ringfence.logging import get_logger
from ringfence.privacy import policy
from ringfence.privacy.core import Privacy
from ringfence.settings import Settings
from ringfence.store import Database, require_current
from ringfence.telephony.testphone import LENT_AS as TEST_PHONE
from ringfence.telephony.testphone import start_telephony
from ringfence.web import (
    account_privacy,
    accounts,
    admin,
    billing,
    captcha,
    docs,
    errors,
    gpc,
    health,
    metrics,
    openapi,
    pages,
    phone,
    privacy_choices,
    privacy_pages,
    privacy_phone,
    privacy_requests,
    telephony_status,
)
from ringfence.web.body_limit import BodyLimit
from ringfence.web.control_characters import ControlCharacters
from ringfence.web.dropped_connections import RetryDroppedReads
from ringfence.web.security_headers import SecurityHeaders
from ringfence.web.signed_in import SignedIn

log = get_logger(__name__)


def create_app(
    settings: Settings,
    *,
    queue: JobQueue | None = None,
    run_workers: bool | None = None,
    check_schema: bool = True,
) -> FastAPI:
    """Build the app. ``run_workers`` defaults to the setting ``jobs.in_process``."""
    settings.ensure_data_dir()
    db = Database(settings.resolved_database_url)
    privacy = Privacy(settings, db)
    queue = queue or JobQueue(settings)
    workers = settings.jobs.in_process if run_workers is None else run_workers

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if check_schema:
                await require_current(db)
                async with db.session() as session:
                    # Dates the policy: a changed inventory gets a new "last updated".
                    await policy.current_stamp(session, privacy.inventory, privacy.clock)
            app.state.telephony, app.state.test_phone = await start_telephony(settings, privacy)
            queue.lend(TEST_PHONE, app.state.test_phone)  # campaigns and evaluations call it too
            for start in app.state.starters:
                await start()
            if workers:
                queue.start()
            async with db.session() as session:
                changed = await unannounced(session, privacy.inventory, privacy.clock)
            if changed:
                try:
                    # Account holders hear of a changed policy once (whichever process claims
                    # it first, in the job).
                    await queue.enqueue(ANNOUNCE_JOB)
                except RingfenceError as exc:  # the queue is out of reach: the hourly run will
                    log.warning("policy_announcement_not_queued", error=exc.message)
            log.info("started", jobs=queue.backend, workers_in_process=workers)
            yield
        finally:
            if app.state.test_phone is not None:
                queue.lend(TEST_PHONE, None)
                await app.state.test_phone.stop()
            if app.state.telephony is not None:
                await app.state.telephony.stop()
            if workers:
                # Off the loop: the workers finish their jobs, then each thread's own loop is
                # closed, which cannot happen on a thread whose loop is running.
                await asyncio.to_thread(queue.stop)
            for close in app.state.closers:
                await close()
            if app.state.redis is not None:
                await app.state.redis.aclose()
            await db.dispose()

    app = FastAPI(
        title="ringfence",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db
    app.state.privacy = privacy
    app.state.telephony = None
    app.state.test_phone = None
    app.state.queue = queue
    app.state.redis = aioredis.from_url(settings.redis_url) if settings.redis_url else None
    services = composition.enabled(settings)
    app.state.templates = pages.make_templates(
        services, settings.web.title, test_phone=settings.telephony.builtin_test_phone
    )
    app.state.instances = {}  # one per type, made on first use (ringfence.http.instances)
    app.state.closers = []
    app.state.starters = []  # services' steps once the store and telephony are up

    errors.install_error_handlers(app)
    openapi.install_openapi(app)
    # Outermost last: the headers go on every answer, the body cap before anything reads it;
    # who is signed in is looked up on a request the others let through, and a read that meets a
    # dropped database connection (that lookup included) is run once more.
    app.add_middleware(SignedIn)
    app.add_middleware(RetryDroppedReads)
    app.add_middleware(ControlCharacters)
    app.add_middleware(
        BodyLimit,
        routes=app.router.routes,
        default=settings.web.max_body_bytes,
        upload=settings.web.max_upload_bytes,
    )
    app.add_middleware(SecurityHeaders)
    gpc.install_gpc(app)
    app.state.metrics = metrics.install_metrics(app, queue)
    app.include_router(health.router)
    app.include_router(telephony_status.router)
    app.include_router(captcha.router)
    docs.install_docs(app)
    app.include_router(privacy_pages.router)
    app.include_router(privacy_requests.router)
    app.include_router(privacy_phone.router)
    app.include_router(privacy_choices.router)
    app.include_router(accounts.router)
    app.include_router(account_privacy.router)
    app.include_router(billing.router)
    app.include_router(phone.router)
    app.include_router(admin.router)
    app.state.service_names = {s.name for s in services}
    for service in services:
        if service.web is not None:
            web = composition.load(service.web)
            install = getattr(web, "install", None)
            if install is not None:
                install(app)
            app.include_router(web.router)
        if service.admin is not None:  # the service's console section, for operators only
            app.include_router(
                composition.load(service.admin).router,
                prefix=f"/admin/{service.name}",
                dependencies=[Depends(require_operator_login)],
            )
        app.include_router(privacy_pages.service_policy_router(service.name))
    app.include_router(pages.home_router(list(services)))
    for service in services:
        static = pages.package_dir(service, "static")
        if static is not None:
            app.mount(
                f"/static/{service.name}",
                StaticFiles(directory=static),
                name=f"static-{service.name}",
            )
    app.mount("/static", StaticFiles(directory=pages.WEB_DIR / "static"), name="static")
    return app
