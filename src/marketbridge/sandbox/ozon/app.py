"""The Ozon sandbox as a FastAPI app: Seller API paths on one base URL, plus /_sandbox/ control.

Every marketplace request passes, in order: the journal (method, path, JSON body), the
credentials check (Client-Id + Api-Key, answered as the live API answers), the rate limits
of the connector's declaration (`channels/ozon/endpoints.py`: the global budget per Client-Id
and the method's own group; 429 with Ozon's body), and the fault injection. Unknown paths answer 404 in Ozon's error shape; a crash answers 500 in it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketbridge.channels.ozon.endpoints import SANDBOX_API
from marketbridge.sandbox.common.control import control_router
from marketbridge.sandbox.common.faults import fault_middleware
from marketbridge.sandbox.ozon import errors
from marketbridge.sandbox.ozon.backend import OzonBackend
from marketbridge.sandbox.ozon.control import ozon_control
from marketbridge.sandbox.ozon.routes_catalog import catalog_router
from marketbridge.sandbox.ozon.routes_documents import documents_router
from marketbridge.sandbox.ozon.routes_postings import postings_router
from marketbridge.sandbox.ozon.routes_shipping import shipping_router

_OPEN_PATHS = ("/_sandbox", "/docs", "/openapi.json", "/redoc")


def _is_open(path: str) -> bool:
    return path.startswith(_OPEN_PATHS)


def _auth_error(request: Request, client_id: str, api_key: str) -> Response | None:
    given_id = request.headers.get("client-id")
    given_key = request.headers.get("api-key")
    if not given_id or not given_key:
        return errors.error_response(401, errors.UNAUTHENTICATED, errors.MISSING_HEADERS_MESSAGE)
    if not given_id.strip().isdigit() or int(given_id) <= 0:
        return errors.error_response(400, errors.INVALID_ARGUMENT, errors.BAD_CLIENT_ID_MESSAGE)
    if given_id.strip() != client_id or given_key != api_key:
        return errors.error_response(404, errors.NOT_FOUND, errors.INVALID_KEY_MESSAGE)
    return None


Middleware = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]


def _gate(backend: OzonBackend, client_id: str, api_key: str) -> Middleware:
    """The way in of every marketplace request: journal, credentials, limits, faults."""
    faults = fault_middleware(backend.faults, errors.for_status)

    async def marketplace_gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if _is_open(path):
            return await call_next(request)
        raw = await request.body()
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:2000].decode("utf-8", "replace")
        backend.journal.append({"method": request.method, "path": path, "body": parsed, "at": time.time()})
        denied = _auth_error(request, client_id, api_key)
        if denied is not None:
            return denied
        with backend.state.lock:
            backend.state.settle()
        endpoint = SANDBOX_API.find(request.method, path)
        group = endpoint.group if endpoint is not None else None
        for limited in ("global", group if group != "global" else None):
            if limited and backend.limits.take(limited, client_id) is not None:
                return errors.for_status(429)
        return await faults(request, call_next)

    return marketplace_gate


async def _ozon_error(_: Request, exc: errors.OzonError) -> Response:
    return errors.error_response(exc.status, exc.code, exc.message)


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    if _is_open(request.url.path):
        return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)
    return errors.error_response(400, errors.INVALID_ARGUMENT, "Invalid request body")


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if _is_open(request.url.path):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    if exc.status_code in (404, 405):
        return errors.error_response(404, errors.NOT_FOUND, "Not Found")
    return errors.error_response(exc.status_code, errors.INTERNAL, str(exc.detail))


async def _crash(_: Request, exc: Exception) -> Response:
    return errors.error_response(500, errors.INTERNAL, "Internal error")


def create_app(
    credentials: dict[str, str],
    demo_data: bool = False,
    limits: bool = True,
    push_url: str | None = None,
) -> FastAPI:
    client_id = credentials["client_id"]
    api_key = credentials["api_key"]
    backend = OzonBackend(client_id, limits=limits, push_url=push_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        backend.pusher.loop = asyncio.get_running_loop()
        yield
        await backend.pusher.aclose()

    app = FastAPI(title="Ozon Seller API sandbox", lifespan=lifespan)
    app.state.backend = backend
    app.middleware("http")(_gate(backend, client_id, api_key))
    app.add_exception_handler(errors.OzonError, _ozon_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)
    app.include_router(catalog_router(backend))
    app.include_router(postings_router(backend))
    app.include_router(shipping_router(backend))
    app.include_router(documents_router(backend))
    app.include_router(control_router(backend))
    app.include_router(ozon_control(backend))
    if demo_data:
        from marketbridge.sandbox.ozon import demo

        demo.load(backend)
    return app


def jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
