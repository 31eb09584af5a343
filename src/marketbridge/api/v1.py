"""The seller API, version 1: every router mounted under /api/v1 with the problem answers documented."""

from __future__ import annotations

from fastapi import APIRouter

from marketbridge.api.problems import responses
from marketbridge.api.routes import catalog, connections


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=responses(400, 401, 403, 404, 409, 422))
    for module_router in (connections.kinds_router, connections.router, catalog.router):
        router.include_router(module_router)
    return router
