"""Routes of the Ozon sandbox: each Seller API method is a declared endpoint and a handler.

A handler is a plain function of (backend, request); `router_of` mounts a table of
(endpoint, handler) pairs, so the path and version of every method come from the
connector's declaration (`channels/ozon/endpoints.py`) and nowhere else.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from marketbridge.channels.endpoints import Endpoint
from marketbridge.sandbox.ozon.backend import OzonBackend

Handler = Callable[[OzonBackend, Request], Awaitable[Any]]
Route = tuple[Endpoint, Handler]


def _bound(backend: OzonBackend, handler: Handler) -> Callable[[Request], Awaitable[Any]]:
    async def route(request: Request) -> Any:
        return await handler(backend, request)

    return route


def router_of(backend: OzonBackend, routes: Iterable[Route]) -> APIRouter:
    """A router serving every (endpoint, handler) pair for this backend."""
    router = APIRouter()
    for endpoint, handler in routes:
        router.add_api_route(
            endpoint.path,
            _bound(backend, handler),
            methods=[endpoint.method],
            name=handler.__name__,
            description=inspect.getdoc(handler) or "",
            response_model=None,
        )
    return router
