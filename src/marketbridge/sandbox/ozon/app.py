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
from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketbridge.channels.ozon.endpoints import SANDBOX_API
from marketbridge.sandbox.common.control import control_router
from marketbridge.sandbox.common.faults import fault_middleware
from marketbridge.sandbox.ozon import errors
from marketbridge.sandbox.ozon.backend import OzonBackend
from marketbridge.sandbox.ozon.routes_catalog import catalog_router
from marketbridge.sandbox.ozon.routes_documents import documents_router
from marketbridge.sandbox.ozon.routes_postings import postings_router
from marketbridge.sandbox.ozon.routes_shipping import shipping_router
from marketbridge.sandbox.ozon.state import iso, now

_OPEN_PATHS = ("/_sandbox", "/docs", "/openapi.json", "/redoc")


class CutoffChange(BaseModel):
    shipment_date: datetime


class DeliveryDateChange(BaseModel):
    begin: datetime
    end: datetime


class OzonSettings(BaseModel):
    label_delay: float = Field(
        default=0.0, ge=0, le=600, description="seconds from packing to a printable label"
    )


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
        backend.loop = asyncio.get_running_loop()
        yield
        await backend.pusher.aclose()

    app = FastAPI(title="Ozon Seller API sandbox", lifespan=lifespan)
    app.state.backend = backend
    faults = fault_middleware(backend.faults, errors.for_status)

    @app.middleware("http")
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

    @app.exception_handler(errors.OzonError)
    async def ozon_error(_: Request, exc: errors.OzonError) -> Response:
        return errors.error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_open(request.url.path):
            return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)
        return errors.error_response(400, errors.INVALID_ARGUMENT, "Invalid request body")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_open(request.url.path):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code in (404, 405):
            return errors.error_response(404, errors.NOT_FOUND, "Not Found")
        return errors.error_response(exc.status_code, errors.INTERNAL, str(exc.detail))

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> Response:
        return errors.error_response(500, errors.INTERNAL, "Internal error")

    app.include_router(catalog_router(backend))
    app.include_router(postings_router(backend))
    app.include_router(shipping_router(backend))
    app.include_router(documents_router(backend))
    app.include_router(control_router(backend))
    app.include_router(_ozon_control(backend))
    if demo_data:
        from marketbridge.sandbox.ozon import demo

        demo.load(backend)
    return app


def jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _ozon_control(backend: OzonBackend) -> APIRouter:
    """Control calls only Ozon has: the push handshake and cutoff moves."""
    router = APIRouter(prefix="/_sandbox/ozon", tags=["sandbox control"])

    @router.post("/push/ping")
    async def ping() -> dict[str, Any]:
        """Send TYPE_PING to the push URL now, as Ozon does when the URL is set, and report the reply."""
        url = backend.pusher.url
        if not url:
            raise HTTPException(409, "no push URL is set (PUT /_sandbox/push)")
        body = {"message_type": "TYPE_PING", "time": iso(now())}
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                reply = await client.post(url, json=body)
        except httpx.HTTPError as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        try:
            answer: Any = reply.json()
        except ValueError:
            answer = reply.text[:500]
        ok = (
            reply.status_code == 200
            and isinstance(answer, dict)
            and {"version", "name", "time"} <= set(answer)
        )
        return {"ok": ok, "status": reply.status_code, "reply": answer}

    @router.post("/postings/{posting_number}/cutoff")
    async def cutoff(posting_number: str, change: CutoffChange) -> dict[str, Any]:
        with backend.state.lock:
            posting = backend.state.postings.get(posting_number)
            if posting is None:
                raise HTTPException(404, f"unknown posting {posting_number}")
            old = posting.shipment_date
            posting.shipment_date = change.shipment_date
            backend.emit(
                {
                    "message_type": "TYPE_CUTOFF_DATE_CHANGED",
                    "posting_number": posting_number,
                    "new_cutoff_date": iso(posting.shipment_date),
                    "old_cutoff_date": iso(old),
                    "warehouse_id": posting.warehouse_id,
                    "seller_id": backend.seller_id,
                }
            )
        return {"posting_number": posting_number, "shipment_date": iso(posting.shipment_date)}

    @router.post("/postings/{posting_number}/delivery-date")
    async def delivery_date(posting_number: str, change: DeliveryDateChange) -> dict[str, Any]:
        with backend.state.lock:
            posting = backend.state.postings.get(posting_number)
            if posting is None:
                raise HTTPException(404, f"unknown posting {posting_number}")
            old_begin = posting.delivery_begin or posting.shipment_date
            old_end = posting.delivery_end or posting.shipment_date
            posting.delivery_begin, posting.delivery_end = change.begin, change.end
            backend.emit(
                {
                    "message_type": "TYPE_DELIVERY_DATE_CHANGED",
                    "posting_number": posting_number,
                    "new_delivery_date_begin": iso(change.begin),
                    "new_delivery_date_end": iso(change.end),
                    "old_delivery_date_begin": iso(old_begin),
                    "old_delivery_date_end": iso(old_end),
                    "warehouse_id": posting.warehouse_id,
                    "seller_id": backend.seller_id,
                }
            )
        return {"posting_number": posting_number, "begin": iso(change.begin), "end": iso(change.end)}

    @router.get("/cards/received")
    async def received_cards() -> dict[str, Any]:
        """The card bodies the seller sent to /v3/product/import, as sent."""
        with backend.state.lock:
            return {"items": backend.received_cards()}

    @router.get("/settings")
    async def get_settings() -> dict[str, Any]:
        return {"label_delay": backend.label_delay}

    @router.put("/settings")
    async def set_settings(settings: OzonSettings) -> dict[str, Any]:
        backend.label_delay = settings.label_delay
        return {"label_delay": backend.label_delay}

    return router
