"""The Wildberries sandbox app: every host's real paths on one port, plus /_sandbox/.

Each request to a marketplace path is journalled, then checked as WB's gateway does: the
token (401 with the gateway body), its categories against the path's `x-category` and the
read-only flag on writes (401 "token scope not allowed"), then the rate limit of the path's
group (429 with the gateway body and the X-Ratelimit-* headers). Handlers raise WbError,
answered in the shape of the service that owns the path.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketbridge.channels.wildberries.endpoints import CONFLICT_COST, CONFLICT_COST_GROUPS
from marketbridge.sandbox.common.control import control_router
from marketbridge.sandbox.common.faults import fault_middleware
from marketbridge.sandbox.common.journal import record_answer, request_entry
from marketbridge.sandbox.common.limits import SandboxLimits
from marketbridge.sandbox.common.push import PushSender
from marketbridge.sandbox.wildberries import (
    routes_common,
    routes_content,
    routes_meta,
    routes_orders,
    routes_prices,
    routes_stocks,
)
from marketbridge.sandbox.wildberries.backend import WildberriesBackend
from marketbridge.sandbox.wildberries.demo import load_demo
from marketbridge.sandbox.wildberries.endpoints import LIMIT_GROUPS, match, style_for
from marketbridge.sandbox.wildberries.errors import (
    Style,
    WbError,
    gateway_error,
    service_error,
)
from marketbridge.sandbox.wildberries.shop import Shop
from marketbridge.sandbox.wildberries.state import ShopState
from marketbridge.sandbox.wildberries.tokens import CATEGORY_BITS, TokenError, TokenIssuer

_OPEN_PATHS = ("/docs", "/openapi.json", "/docs/oauth2-redirect")


class TokenRequest(BaseModel):
    categories: list[str] | None = Field(default=None, description="token categories; all when absent")
    read_only: bool = False
    ttl_seconds: int = Field(default=180 * 24 * 3600, ge=-3600, le=10 * 365 * 24 * 3600)


class SellerSwitches(BaseModel):
    """Per-card switches the seller cannot change through the API."""

    nm_id: int
    editable_size_price: bool | None = None
    required_meta: list[Literal["sgtin", "uin", "imei", "gtin", "expiration"]] | None = Field(
        default=None, description="metadata WB will require on this card's new assembly tasks"
    )


def _limit_headers(limits: SandboxLimits, group: str, who: str) -> dict[str, str]:
    spec = limits.specs[group]
    return {
        "X-Ratelimit-Remaining": str(limits.remaining(group, who)),
        "X-Ratelimit-Limit": str(spec.burst),
    }


def gate(shop: Shop) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if path.startswith("/_sandbox") or path in _OPEN_PATHS:
            return await call_next(request)
        entry = request_entry(request, await request.body())
        shop.journal.append(entry)
        response = await _guarded(shop, request, call_next)
        return await record_answer(entry, response)

    return middleware


async def _guarded(
    shop: Shop, request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """WB's gateway: route, token, category, read-only flag, rate limit; then the handler."""
    path = request.url.path
    endpoint = match(request.method, path)
    if endpoint is None:
        return gateway_error(404, "not found", f"no route for {request.method} {path}")
    try:
        claims = shop.issuer.check(request.headers.get("Authorization"))
    except TokenError as exc:
        return gateway_error(401, "unauthorized", str(exc))
    if not any(claims.allows(c) for c in endpoint.categories):
        return gateway_error(401, "unauthorized", "token scope not allowed")
    if endpoint.write and claims.read_only:
        return gateway_error(401, "unauthorized", "read only token scope not allowed")
    who = str(claims.seller_id)
    wait = shop.limits.take(endpoint.group, who)
    if wait is not None:
        spec = shop.limits.specs[endpoint.group]
        refill = (spec.burst - shop.limits.remaining(endpoint.group, who)) / spec.rate
        headers = {
            "X-Ratelimit-Remaining": "0",
            "X-Ratelimit-Retry": str(max(1, math.ceil(wait))),
            "X-Ratelimit-Limit": str(spec.burst),
            "X-Ratelimit-Reset": str(max(1, math.ceil(refill))),
        }
        return gateway_error(429, "too many requests", f"limited by {endpoint.group}", headers)
    response = await call_next(request)
    if response.status_code == 409 and endpoint.group in CONFLICT_COST_GROUPS:
        shop.limits.charge(endpoint.group, who, CONFLICT_COST - 1)
    if endpoint.group in shop.limits.specs:
        response.headers.update(_limit_headers(shop.limits, endpoint.group, who))
    return response


def _fault_response(status: int) -> Response:
    if status == 429:
        headers = {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Retry": "1", "X-Ratelimit-Reset": "1"}
        return gateway_error(429, "too many requests", "limited by sandbox fault injection", headers)
    return gateway_error(status, "internal server error", "sandbox fault injection")


def extra_control_routes(app: FastAPI, shop: Shop) -> None:
    @app.post("/_sandbox/tokens", tags=["sandbox control"])
    def mint_token(request: TokenRequest) -> dict[str, Any]:
        try:
            token = shop.issuer.mint(
                request.categories, read_only=request.read_only, ttl_seconds=request.ttl_seconds
            )
        except ValueError as exc:
            return JSONResponse({"detail": str(exc), "known": list(CATEGORY_BITS)}, status_code=400)  # type: ignore[return-value]
        return {"token": token}

    @app.put("/_sandbox/cards", tags=["sandbox control"])
    def set_card(switches: SellerSwitches) -> dict[str, Any]:
        card = shop.state.cards.get(switches.nm_id)
        if card is None:
            return JSONResponse({"detail": f"unknown nmID {switches.nm_id}"}, status_code=404)  # type: ignore[return-value]
        if switches.editable_size_price is not None:
            card.editable_size_price = switches.editable_size_price
        if switches.required_meta is not None:
            card.required_meta = list(dict.fromkeys(switches.required_meta))
            card.need_kiz = "sgtin" in card.required_meta
        return {
            "nmID": card.nm_id,
            "editableSizePrice": card.editable_size_price,
            "requiredMeta": card.required_meta,
        }


def create_app(
    credentials: dict[str, str] | None = None,
    demo_data: bool = False,
    limits: bool = True,
    push_url: str | None = None,
    issuer: TokenIssuer | None = None,
) -> FastAPI:
    """The sandbox app. `credentials["token"]` must be a token minted by `issuer`."""
    shop = Shop(
        state=ShopState(),
        issuer=issuer or default_issuer(),
        limits=SandboxLimits(enabled=limits, specs=dict(LIMIT_GROUPS)),
        pusher=PushSender(url=push_url),
    )
    given = (credentials or {}).get("token")
    if given:
        shop.issuer.accept(given)
    backend = WildberriesBackend(shop)
    if demo_data:
        load_demo(backend)
    app = FastAPI(title="Wildberries sandbox", version="1")
    app.state.shop = shop
    app.state.backend = backend
    app.state.credentials = dict(credentials or {})
    for module in (routes_common, routes_content, routes_prices, routes_stocks, routes_orders, routes_meta):
        app.include_router(module.router(shop))
    app.include_router(control_router(backend))
    extra_control_routes(app, shop)

    @app.exception_handler(WbError)
    async def on_wb_error(request: Request, exc: WbError) -> Response:
        return service_error(style_for(request.url.path), exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/_sandbox"):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        style = style_for(request.url.path)
        code = "IncorrectRequestBody" if style == Style.MARKETPLACE else "InvalidRequestFormatContent"
        return service_error(style, WbError(400, code, "Некорректное тело запроса"))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> Response:
        return gateway_error(500, "internal server error", f"{type(exc).__name__}")

    app.middleware("http")(fault_middleware(shop.faults, _fault_response))
    app.middleware("http")(gate(shop))
    return app


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]


_DEFAULT_ISSUER: TokenIssuer | None = None


def default_issuer() -> TokenIssuer:
    """One issuer per process, so tokens printed on start and made in tests stay valid."""
    global _DEFAULT_ISSUER
    if _DEFAULT_ISSUER is None:
        _DEFAULT_ISSUER = TokenIssuer(secrets.token_bytes(32))
    return _DEFAULT_ISSUER
