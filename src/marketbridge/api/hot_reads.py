"""The seller API's hottest reads answered before FastAPI's routing: a page of offers, one offer.

An ERP paging through the catalog sends these more than anything else, and FastAPI's own work
per request (walking the included routers, solving the parameters and dependencies, building a
request object) cost more than the answer. `HotReads`, a pure ASGI layer just outside the
routing, answers the plain form of these two requests with the parts the routes use: the key
checked by `deps.authenticate` (the same key memory, throttling, log of wrong keys and error
answers), the same parameter bounds and cursor, and the same query and JSON
(`api/offer_answers.py`). Every other request, and every one of these it does not read the plain
way (another method, a parameter it does not take, a value out of bounds, an escaped
character), goes on to the routes unchanged, so the validation answers (422) stay the routes'
own. Which checks run first is the routes' order too: the key, then the parameters. The routes
stay the documentation (OpenAPI) and the answer for everything else; `scope["route"]` is set to
theirs, so the request is counted under the route's template as before.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from marketbridge.api.deps import PRINCIPAL_SCOPE_KEY, authenticate, client_address
from marketbridge.api.fields import MAX_ID
from marketbridge.api.offer_answers import (
    json_response,
    offer_answers,
    one_statement,
    page_answer,
    page_statement,
)
from marketbridge.api.pagination import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT, decode_cursor, next_cursor
from marketbridge.api.problems import Problem, not_found, problem_response
from marketbridge.api.routes import catalog
from marketbridge.store.accounts import Principal
from marketbridge.wiring import Hub

PAGE_PATH = "/api/v1/catalog/offers"
_ONE_PATH = re.compile(r"/api/v1/catalog/offers/([1-9][0-9]{0,18})")
_LIMIT = re.compile(r"[1-9][0-9]{0,3}")
#: A cursor as this API writes them (URL-safe base64 without padding): nothing to unescape.
_CURSOR = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CURSOR}}}")


def page_params(query: bytes) -> dict[str, Any] | None:
    """`limit` and `cursor` of a plain offers page query (`limit=` and `cursor=`, each at most
    once, in bounds, nothing escaped); None for any other query, which the route reads."""
    limit, cursor = DEFAULT_LIMIT, None
    seen: set[bytes] = set()
    for pair in query.split(b"&") if query else ():
        name, equals, raw = pair.partition(b"=")
        if not equals or name in seen:
            return None
        seen.add(name)
        value = raw.decode("latin-1")
        if name == b"limit" and _LIMIT.fullmatch(value) and int(value) <= MAX_LIMIT:
            limit = int(value)
        elif name == b"cursor" and _CURSOR.fullmatch(value):
            cursor = value
        else:
            return None
    return {"limit": limit, "cursor": cursor}


def _authorization(scope: Scope) -> str | None:
    """The key of the first `Authorization: Bearer <key>` header, as `HTTPBearer` reads it."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, raw = value.decode("latin-1").partition(" ")
            return (raw.strip() or None) if scheme.lower() == "bearer" else None
    return None


def _route(endpoint: Any) -> APIRoute:
    """The route of `endpoint`: what the routing puts in `scope["route"]` (the request counter reads it)."""
    for route in catalog.router.routes:
        if isinstance(route, APIRoute) and route.endpoint is endpoint:
            return route
    raise LookupError(f"no route serves {endpoint.__name__}")


class HotReads:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub
        self.page_route = _route(catalog.list_offers)
        self.one_route = _route(catalog.read_offer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == PAGE_PATH:
            await self._page(scope, receive, send)
        elif (one := _ONE_PATH.fullmatch(path)) is not None and int(one[1]) <= MAX_ID:
            await self._one(int(one[1]), scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _caller(self, scope: Scope, receive: Receive, send: Send) -> Principal | None:
        """The caller, as `deps.reader` finds it; None once its refusal is sent."""
        known: Principal | None = scope.get(PRINCIPAL_SCOPE_KEY)
        if known is not None:  # checked before the body was read
            return known
        try:
            found = await authenticate(self.hub, _authorization(scope), client_address(scope), scope["path"])
        except Problem as refused:
            await problem_response(refused)(scope, receive, send)
            return None
        scope[PRINCIPAL_SCOPE_KEY] = found  # a request handed on to the route is not checked twice
        return found

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.page_route
        who = await self._caller(scope, receive, send)
        if who is None:
            return
        params = page_params(scope["query_string"])
        if params is None:
            await self.app(scope, receive, send)
            return
        try:
            after = decode_cursor(params["cursor"])
        except Problem as refused:
            await problem_response(refused)(scope, receive, send)
            return
        limit = params["limit"]
        statement = page_statement((), None)
        items = await offer_answers(self.hub.db, who.account_id, statement, {"after": after, "limit": limit})
        await page_answer(items, next_cursor([i["id"] for i in items], limit))(scope, receive, send)

    async def _one(self, offer_id: int, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.one_route
        who = await self._caller(scope, receive, send)
        if who is None:
            return
        found = await offer_answers(self.hub.db, who.account_id, one_statement(), {"offer_id": offer_id})
        response = json_response(found[0]) if found else problem_response(not_found("offer"))
        await response(scope, receive, send)
