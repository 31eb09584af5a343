"""The FastAPI application of the seller API: health, metrics, /api/v1 and the push receivers.

The dashboard is mounted beside it by the composition root (`marketbridge.app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from marketbridge import __version__
from marketbridge.api import health, operator, problems
from marketbridge.api.bodies import BodyGuard
from marketbridge.api.idempotency import idempotency_middleware
from marketbridge.api.routes import push
from marketbridge.api.text_guard import nul_guard_middleware
from marketbridge.api.v1 import api_router
from marketbridge.runtime.metrics import HTTP_REQUESTS
from marketbridge.wiring import Hub


def create_api_app(hub: Hub) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hub.check_ready()
        yield
        await hub.aclose()

    app = FastAPI(
        title="marketbridge",
        version=__version__,
        description="One API for the seller's systems; many marketplaces behind it.",
        lifespan=lifespan,
    )
    app.state.hub = hub
    problems.install(app)
    app.middleware("http")(idempotency_middleware)
    app.middleware("http")(nul_guard_middleware)
    app.include_router(api_router())
    app.include_router(push.router)
    app.include_router(health.router)
    app.include_router(operator.router)

    @app.middleware("http")
    async def count_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        return response

    app.add_middleware(BodyGuard, hub=hub)  # added last: the outermost, before anything reads a body

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
