"""The skeleton sandbox: the skeleton marketplace's API on loopback, plus the common /_sandbox/ control API.

It journals every marketplace request, checks the Api-Key header (401 otherwise), applies
the published limits of the connector's ApiDeclaration and the common fault injection.
The buyer's side (orders, returns) is where a real sandbox grows: here it refuses them.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketbridge.sandbox.common.control import (
    BuyerOrder,
    MoveOrder,
    OpenReturn,
    SeedRequest,
    control_router,
    new_journal,
)
from marketbridge.sandbox.common.faults import Faults, fault_middleware
from marketbridge.sandbox.common.limits import BucketSpec, SandboxLimits
from marketbridge.sandbox.common.push import PushSender
from marketbridge.sandbox.common.timing import Timing
from marketbridge.sandbox.registry import SandboxSpec
from tests.support.skeleton.connector import API, KIND


class SkeletonBackend:
    """The sandbox's state, and what the control API asks of it."""

    def __init__(self, limits: bool) -> None:
        self.faults = Faults()
        self.limits = SandboxLimits(
            enabled=limits,
            specs={g: BucketSpec(r.count, r.per_seconds, r.burst) for g, r in API.limits.items()},
        )
        self.pusher = PushSender()
        self.timing = Timing()  # the marketplace's real delays unless shortened
        self.journal: deque[dict[str, Any]] = new_journal()
        self.warehouses: dict[str, str] = {}
        self.offers: dict[str, dict[str, Any]] = {}
        self.stock: dict[tuple[str, str], int] = {}

    def seed(self, request: SeedRequest) -> dict[str, Any]:
        for w in request.warehouses:
            self.warehouses[w.id or str(7000 + len(self.warehouses))] = w.name
        for o in request.offers:
            external_id = self.offers.get(o.offer_code, {}).get("id") or str(100_000 + len(self.offers))
            self.offers[o.offer_code] = {
                "id": external_id,
                "offer_code": o.offer_code,
                "name": o.name,
                "barcodes": o.barcodes,
                "price": str(o.price),
            }
            for warehouse, quantity in o.stocks.items():
                self.stock[(o.offer_code, warehouse)] = quantity
        return {"warehouses": list(self.warehouses), "offers": {c: o["id"] for c, o in self.offers.items()}}

    def place_order(self, order: BuyerOrder) -> list[str]:
        raise ValueError("the skeleton marketplace takes no orders")

    def move_order(self, order_id: str, move: MoveOrder) -> dict[str, Any]:
        raise KeyError(order_id)

    def open_return(self, request: OpenReturn) -> str:
        raise KeyError(request.order_id)

    def stocks(self, offer_code: str | None = None) -> list[dict[str, Any]]:
        return [
            {"offer_code": c, "external_id": self.offers[c]["id"], "warehouse_id": w, "quantity": q}
            for (c, w), q in self.stock.items()
            if offer_code in (None, c)
        ]

    def prices(self) -> list[dict[str, Any]]:
        return [
            {
                "offer_code": c,
                "external_id": o["id"],
                "price": o["price"],
                "old_price": None,
                "min_price": None,
            }
            for c, o in self.offers.items()
        ]

    def cards(self) -> list[dict[str, Any]]:
        return [
            {"offer_code": c, "external_id": o["id"], "name": o["name"], "status": "active", "errors": []}
            for c, o in self.offers.items()
        ]

    def orders(self) -> list[dict[str, Any]]:
        return []

    def reset(self) -> None:
        self.warehouses.clear()
        self.offers.clear()
        self.stock.clear()
        self.journal.clear()


def _error(status: int) -> Response:
    return JSONResponse({"code": str(status), "message": "sandbox fault injection"}, status_code=status)


def create_app(
    credentials: dict[str, str], demo_data: bool = False, limits: bool = True, push_url: str | None = None
) -> FastAPI:
    """The sandbox app accepting `credentials["api_key"]`."""
    api_key = credentials["api_key"]
    backend = SkeletonBackend(limits)
    backend.pusher.url = push_url
    app = FastAPI(title="Skeleton marketplace sandbox")
    faults = fault_middleware(backend.faults, _error)

    @app.middleware("http")
    async def gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if path.startswith("/_sandbox") or path in ("/docs", "/openapi.json"):
            return await call_next(request)
        backend.journal.append({"method": request.method, "path": path, "at": time.time()})
        if request.headers.get("api-key") != api_key:
            return JSONResponse({"code": "unauthorized", "message": "wrong Api-Key"}, status_code=401)
        endpoint = API.find(request.method, path)
        if endpoint is not None and backend.limits.take(endpoint.group, api_key) is not None:
            return _error(429)
        return await faults(request, call_next)

    @app.get("/v1/warehouses")
    def warehouses() -> dict[str, Any]:
        return {"warehouses": [{"id": w, "name": n} for w, n in backend.warehouses.items()]}

    @app.post("/v1/offers/list")
    def offers(page: dict[str, int]) -> dict[str, Any]:
        start, limit = page.get("offset", 0), min(page.get("limit", 100), 100)
        return {"offers": list(backend.offers.values())[start : start + limit]}

    @app.get("/v1/categories")
    def categories() -> dict[str, Any]:
        return {"categories": [{"id": "1", "name": "Everything", "parent_id": None}]}

    @app.get("/v1/categories/{category_id}/attributes")
    def attributes(category_id: str) -> dict[str, Any]:
        return {"attributes": [{"id": "name", "name": "Name", "required": True}]}

    app.include_router(control_router(backend))
    return app


def make_credentials() -> dict[str, str]:
    return {"api_key": secrets.token_hex(16)}


#: What the skeleton would register (sandbox.registry.register(SPEC)) as a real package.
SPEC = SandboxSpec(
    kind=KIND,
    create_app=create_app,
    credential_options=("api_key",),
    make_credentials=make_credentials,
    host_aliases=("default",),
    describe=lambda credentials: f"header: Api-Key: {credentials['api_key']}",
)
