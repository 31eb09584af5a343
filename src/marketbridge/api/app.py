"""The FastAPI application of the seller API: health, metrics, /api/v1 and the push receivers.

The dashboard is mounted beside it by the composition root (`marketbridge.app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketbridge import __version__
from marketbridge.api import health, operator, problems
from marketbridge.api.bodies import BodyGuard
from marketbridge.api.hot_reads import HotReads
from marketbridge.api.idempotency import idempotency_applies, idempotency_middleware
from marketbridge.api.routes import push
from marketbridge.api.text_guard import nul_guard_applies, nul_guard_middleware
from marketbridge.api.v1 import api_router
from marketbridge.runtime.asgi import Selective
from marketbridge.runtime.metrics import HTTP_REQUESTS
from marketbridge.wiring import Hub


class RequestCounter:
    """Counts each answered request by method, route template and status (`mb_http_requests_total`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        path = getattr(scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()


_ALIVE_HEADERS = (
    (b"content-length", str(len(health.ALIVE)).encode()),
    (b"content-type", b"application/json"),
)


class Liveness:
    """Answers `GET /livez` before the other layers and the routing see it (counted all the
    same): a probe every second, or a load balancer's many, costs next to nothing. The route in
    `api/health.py` documents it and answers the other methods."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/livez" and scope["method"] == "GET":
            await send({"type": "http.response.start", "status": 200, "headers": _ALIVE_HEADERS})
            await send({"type": "http.response.body", "body": health.ALIVE})
            HTTP_REQUESTS.labels("GET", "/livez", "200").inc()
            return
        await self.app(scope, receive, send)


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
    app.include_router(health.router)  # first: the probes match without walking the other routes
    app.include_router(api_router())
    app.include_router(push.router)
    app.include_router(operator.router)

    app.add_middleware(HotReads, hub=hub)  # added first: the innermost, beside the routes
    app.add_middleware(Selective, dispatch=idempotency_middleware, applies=idempotency_applies)
    app.add_middleware(Selective, dispatch=nul_guard_middleware, applies=nul_guard_applies)

    app.add_middleware(RequestCounter)
    app.add_middleware(BodyGuard, hub=hub)  # the outermost but one, before anything reads a body
    app.add_middleware(Liveness)  # added last: the outermost

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
