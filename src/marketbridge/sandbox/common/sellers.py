"""Many sellers in one sandbox process: one complete sandbox app per seller, chosen by credentials.

A sandbox app holds one seller (one set of credentials, its catalog, stocks, orders, push URL
and rate-limit buckets). `SellerRouter` wraps the app of the seller the process was started
with and adds more through the control API; every marketplace needs no code of its own for it:

- `POST /_sandbox/sellers` (body `{"credentials": {...}}`, or empty for made-up ones) builds
  another app with the sandbox's own `create_app` and answers its number and credentials;
  `GET /_sandbox/sellers` lists them. The first seller is number 0.
- `/_sandbox/sellers/{n}/...` is seller n's own control API (`/_sandbox/...` of its app).
- A marketplace request goes to the seller whose key or token it carries in a header, bare
  or after a scheme word (`Bearer ...`). Only credential values of KEY_LENGTH characters or
  more count, so short numeric ids never match a header by chance. A request that matches no
  added seller goes to seller 0, which answers it exactly as a one-seller sandbox does
  (its own credentials check included).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send

#: A credential value this long or longer identifies its seller (keys and tokens; not numeric ids).
KEY_LENGTH = 16

_SELLER_PATH = re.compile(r"^/_sandbox/sellers/(\d+)(/.*)$")


class NewSeller(BaseModel):
    credentials: dict[str, str] = Field(
        default_factory=dict, description="the seller's credentials; missing ones are made up"
    )


class SellerRouter:
    """An ASGI app: the first seller's sandbox app plus the ones added through the control API."""

    def __init__(
        self,
        create_app: Callable[..., FastAPI],
        make_credentials: Callable[[], dict[str, str]],
        credentials: dict[str, str],
        **app_options: Any,
    ) -> None:
        self._create_app = create_app
        self._make_credentials = make_credentials
        self._options = app_options
        self._stack: AsyncExitStack | None = None
        self.sellers: list[tuple[dict[str, str], FastAPI]] = []
        self._by_key: dict[str, FastAPI] = {}
        self._add(credentials, create_app(credentials=credentials, **app_options))
        self._control = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        self._control.include_router(self._router())

    @property
    def first(self) -> FastAPI:
        return self.sellers[0][1]

    def _add(self, credentials: dict[str, str], app: FastAPI) -> int:
        self.sellers.append((credentials, app))
        if len(self.sellers) > 1:  # seller 0 is where everything unmatched goes anyway
            for value in credentials.values():
                if len(value) >= KEY_LENGTH:
                    self._by_key[value] = app
        return len(self.sellers) - 1

    async def add_seller(self, given: dict[str, str]) -> int:
        """Build and start another seller's app; its number."""
        credentials = {**self._make_credentials(), **given}
        if any(self._by_key.get(v) for v in credentials.values()) or credentials == self.sellers[0][0]:
            raise ValueError("a seller with these credentials exists already")
        app = self._create_app(
            credentials=credentials, **{**self._options, "demo_data": False, "push_url": None}
        )
        if self._stack is not None:
            await self._stack.enter_async_context(app.router.lifespan_context(app))
        return self._add(credentials, app)

    def _router(self) -> APIRouter:
        router = APIRouter(prefix="/_sandbox/sellers", tags=["sandbox control"])

        @router.post("")
        async def add(request: NewSeller) -> dict[str, Any]:
            try:
                number = await self.add_seller(request.credentials)
            except (ValueError, KeyError) as exc:
                raise HTTPException(409 if isinstance(exc, ValueError) else 422, str(exc)) from exc
            return {"seller": number, "credentials": self.sellers[number][0]}

        @router.get("")
        async def listed() -> dict[str, Any]:
            return {"items": [{"seller": n, "credentials": c} for n, (c, _) in enumerate(self.sellers)]}

        return router

    def _for_headers(self, scope: Scope) -> FastAPI:
        if len(self.sellers) > 1:
            for _, raw in scope.get("headers", ()):
                value = raw.decode("latin-1").strip()
                app = self._by_key.get(value) or self._by_key.get(value.rpartition(" ")[2])
                if app is not None:
                    return app
        return self.first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith("/_sandbox/sellers"):
            matched = _SELLER_PATH.match(path)
            if matched is None:
                await self._control(scope, receive, send)
                return
            number = int(matched.group(1))
            if number >= len(self.sellers):
                await self._control(scope, receive, send)  # answers 404
                return
            inner = "/_sandbox" + matched.group(2)
            scope = {**scope, "path": inner, "raw_path": inner.encode()}
            await self.sellers[number][1](scope, receive, send)
            return
        await self._for_headers(scope)(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Start every seller's app (its push sender, ...) with the server; stop them with it."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._stack = AsyncExitStack()
                try:
                    for _, app in self.sellers:
                        await self._stack.enter_async_context(app.router.lifespan_context(app))
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._stack is not None:
                    await self._stack.aclose()
                    self._stack = None
                await send({"type": "lifespan.shutdown.complete"})
                return
