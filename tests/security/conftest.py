"""Hubs for the security tests: the seller API tests' real hub on loopback, hubs with settings
chosen per test, and a resolver seam so that host names never reach DNS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response

from marketbridge.app import create_app
from marketbridge.runtime.settings import Settings
from marketbridge.store.db import Database
from tests.api.conftest import ApiEnv, Tenant, api, client_a, fernet_key, make_hub, marketplace, tenants
from tests.support.resolver import StaticResolver
from tests.support.servers import serve_app

__all__ = ["api", "client_a", "fernet_key", "marketplace", "tenants"]

HubFactory = Callable[..., AbstractContextManager[ApiEnv]]


@pytest.fixture
def hub_with(db: Database, tenants: tuple[Tenant, Tenant], fernet_key: bytes) -> HubFactory:
    """`with hub_with(allow_loopback_targets=False, ...) as env:` a served hub with those settings."""

    @contextmanager
    def serve(**settings: Any) -> Iterator[ApiEnv]:
        hub = make_hub(db, fernet_key, Settings(**settings))
        with serve_app(create_app(hub)) as server:
            yield ApiEnv(hub, server, *tenants)

    return serve


def resolver_of(env: ApiEnv) -> StaticResolver:
    resolver = env.hub.resolver
    assert isinstance(resolver, StaticResolver)
    return resolver


@dataclass
class Recorder:
    """A server on loopback that records every request and answers what it is told to."""

    status: int = 200
    body: bytes = b"{}"
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        async def any_path(request: Request, path: str) -> Response:
            self.seen.append((request.method, "/" + path, dict(request.headers)))
            return Response(self.body, self.status, headers=self.headers, media_type=self.media_type)

        return app


async def until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Poll `condition` until it holds (a generous deadline, not a timing assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not reached: {what}")
        await asyncio.sleep(0.02)
