"""Prometheus metrics: request counts and latency by route template, and the job backlog.

``/metrics`` is the operator's (``http.deps.require_operator``): the bearer token of
``RINGFENCE_WEB__OPERATOR_TOKEN``, or, without one, a scraper on the server itself."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from ringfence.http.deps import OperatorOnly
from ringfence.jobs import JobQueue


def _route_template(request: Request) -> str:
    """The matched route's template (``/numbers/{region}``), never the raw path, which could
    hold personal data and would explode the label set."""
    route = request.scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "other"))
    if request.url.path.startswith("/static/"):
        return "/static"
    return "unmatched"


class SipRefusals(Collector):
    """``ringfence_sip_inbound_refused_total{reason}``: inbound SIP requests the admission gate
    refused or challenged, read from the app's telephony engine when it runs."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "ringfence_sip_inbound_refused",
            "Inbound SIP requests refused (403, 503) or challenged (407), by reason",
            labels=["reason"],
        )
        engine = getattr(self._app.state, "telephony", None)
        if engine is not None:
            for reason, count in sorted(engine.inbound_refusals().items()):
                family.add_metric([reason], count)
        yield family


def install_metrics(app: FastAPI, queue: JobQueue | None) -> CollectorRegistry:
    """A registry per app, so several apps in one process (tests) never clash."""
    registry = CollectorRegistry()
    requests = Counter(
        "ringfence_http_requests",
        "HTTP requests served",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "ringfence_http_request_seconds",
        "HTTP request latency",
        ["method", "route"],
        registry=registry,
    )
    registry.register(SipRefusals(app))
    if queue is not None:
        pending = Gauge("ringfence_jobs_pending", "Jobs waiting in the queue", registry=registry)
        pending.set_function(queue.pending)

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        requests.labels(request.method, route, str(response.status_code)).inc()
        latency.labels(request.method, route).observe(time.perf_counter() - start)
        return response

    @app.get("/metrics", include_in_schema=False, dependencies=[OperatorOnly])
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return registry
