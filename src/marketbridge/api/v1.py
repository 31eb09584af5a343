"""The seller API, version 1: every router mounted under /api/v1 with the problem answers documented."""

from __future__ import annotations

from fastapi import APIRouter

from marketbridge.api.problems import responses
from marketbridge.api.routes import (
    account,
    catalog,
    categories,
    connections,
    events,
    handovers,
    inventory,
    orders,
    pricing,
    returns,
    sync_runs,
    webhooks,
)

#: Order of the sections in the OpenAPI document and /docs.
ROUTERS = (
    account.router,
    connections.kinds_router,
    connections.router,
    categories.router,
    catalog.router,
    inventory.router,
    pricing.router,
    orders.router,
    handovers.router,
    returns.router,
    sync_runs.router,
    events.router,
    webhooks.router,
)


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=responses(400, 401, 403, 404, 409, 422, 502, 503))
    for module_router in ROUTERS:
        router.include_router(module_router)
    return router
