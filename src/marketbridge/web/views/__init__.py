"""The dashboard's screens, one module each; `routers()` lists them for mounting."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from marketbridge.web.views import auth, catalog, connections, mappings, orders, runs, webhooks

    return [
        auth.router,
        connections.router,
        mappings.router,
        catalog.router,
        orders.router,
        runs.router,
        webhooks.router,
    ]
