"""The Yandex Market sandbox app: the Partner API's paths on loopback, plus /_sandbox/.

Every request to a marketplace path is journalled with its answer, then checked as the
Partner API does: credentials (`Api-Key`, or `Authorization: Bearer <OAuth token>`; none
is 401, a wrong one 403), the method (an unknown path is 404), the scope of the path (a
business id other than the seller's is 403, an unknown campaign id 404, and the seller's
business id where a campaign id belongs gets the real API's confusing answer: an empty
success, see routes), then the method's own limit (420, counted per item where the
description says so). A v2 method is also served without its version in the path, as Market
does for older clients. Handlers raise YmError, answered as ApiErrorResponse.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from marketbridge.channels.endpoints import Endpoint
from marketbridge.channels.yandex_market.endpoints import (
    ANSWER_COUNTED,
    ITEMS_COUNTED,
    LIMIT_STATUS,
    SANDBOX_API,
)
from marketbridge.sandbox.common.control import control_router
from marketbridge.sandbox.common.faults import fault_middleware
from marketbridge.sandbox.common.journal import record_answer, request_entry
from marketbridge.sandbox.common.limits import BucketSpec, SandboxLimits
from marketbridge.sandbox.yandex_market import (
    notify,
    routes_catalog,
    routes_fulfilment,
    routes_items,
    routes_orders,
    routes_prices,
    routes_reports,
    routes_returns,
    routes_shipments,
    routes_stocks,
)
from marketbridge.sandbox.yandex_market.backend import YandexMarketBackend
from marketbridge.sandbox.yandex_market.control import market_control
from marketbridge.sandbox.yandex_market.demo import load_demo
from marketbridge.sandbox.yandex_market.errors import YmError, error_body, error_response
from marketbridge.sandbox.yandex_market.state import Market

_OPEN_PATHS = ("/docs", "/openapi.json", "/docs/oauth2-redirect")
_PARAM = re.compile(r"\{(\w+)\}")


def _values(endpoint: Endpoint, path: str) -> dict[str, str]:
    """The path parameters of a request to `endpoint`, by the description's names."""
    parts = _PARAM.split(endpoint.path)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    found = re.match(f"^{regex}$", path)
    return found.groupdict() if found else {}


def _versioned(method: str, path: str) -> str:
    """The path of the method a request names: Market still takes its v2 methods without the
    version (`/campaigns`, `/businesses/{id}/offer-mappings`, as older clients send them)."""
    if path.startswith(("/v1/", "/v2/", "/v3/")) or SANDBOX_API.find(method, path) is not None:
        return path
    return f"/v2{path}" if SANDBOX_API.find(method, f"/v2{path}") is not None else path


def _credentials_error(market: Market, request: Request) -> Response | None:
    key = request.headers.get("api-key")
    authorization = request.headers.get("authorization", "")
    if key is None and not authorization:
        return error_response(401, "UNAUTHORIZED", "No authorization: send the Api-Key header")
    if key is not None:
        return None if key == market.api_key else error_response(403, "FORBIDDEN", "Api-Key is invalid")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not token.strip():
        return error_response(401, "UNAUTHORIZED", "Authorization header is malformed")
    if token.strip() != market.oauth_token:
        return error_response(403, "FORBIDDEN", "OAuth token is invalid or expired")
    return None


def _scope_error(market: Market, values: dict[str, str]) -> Response | None:
    business = values.get("businessId")
    if business is not None and business != str(market.business_id):
        return error_response(403, "FORBIDDEN", f"Access denied to business {business}")
    campaign = values.get("campaignId")
    business_in_its_place = campaign == str(market.business_id)  # answered by the routes, as Market does
    if campaign is None or business_in_its_place:
        return None
    if not campaign.isdigit() or market.campaign(int(campaign)) is None:
        return error_response(404, "NOT_FOUND", f"Campaign {campaign} not found")
    return None


def _cost(endpoint: Endpoint, body: Any) -> int:
    field = ITEMS_COUNTED.get(endpoint.group)
    counted = body.get(field) if field and isinstance(body, dict) else None
    return max(1, len(counted)) if isinstance(counted, list) else 1


def _answered(body: Any, path: tuple[str, ...]) -> int:
    """How many items an answer holds at `path` (lists on the way are walked through)."""
    if not path:
        return len(body) if isinstance(body, list) else 1
    if isinstance(body, list):
        return sum(_answered(item, path) for item in body)
    return _answered(body.get(path[0]), path[1:]) if isinstance(body, dict) else 0


def gate(
    market: Market,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if path.startswith(("/_sandbox", routes_reports.FILES)) or path in _OPEN_PATHS:
            return await call_next(request)
        sent = path
        path = _versioned(request.method, path)
        if path != sent:  # the version-less form of a v2 method: served as the v2 method
            request.scope["path"] = path
            request.scope["raw_path"] = path.encode()
        entry = request_entry(request, await request.body())
        if path != sent:
            entry.update(path=path, sent_path=sent)
        market.journal.append(entry)
        response = await record_answer(entry, await _guarded(market, request, path, entry["body"], call_next))
        endpoint = SANDBOX_API.find(request.method, path)
        if endpoint is not None and endpoint.group in ANSWER_COUNTED and response.status_code == 200:
            answered = _answered(entry.get("response"), ANSWER_COUNTED[endpoint.group])
            market.limits.charge(endpoint.group, str(market.business_id), max(0, answered - 1))
        return response

    return middleware


async def _guarded(
    market: Market,
    request: Request,
    path: str,
    body: Any,
    call_next: Callable[[Request], Awaitable[Response]],
) -> Response:
    refused = _credentials_error(market, request)
    if refused is not None:
        return refused
    endpoint = SANDBOX_API.find(request.method, path)
    if endpoint is None:
        return error_response(404, "NOT_FOUND", f"No method {request.method} {path}")
    refused = _scope_error(market, _values(endpoint, path))
    if refused is not None:
        return refused
    if market.limits.take(endpoint.group, str(market.business_id), _cost(endpoint, body)) is not None:
        return error_response(LIMIT_STATUS, "LIMIT_EXCEEDED", f"Request limit exceeded for {endpoint.group}")
    return await call_next(request)


def _fault_response(status: int) -> Response:
    if status == 429:  # the common fault injection's "over the limit": Market says it with 420
        return error_response(
            LIMIT_STATUS, "LIMIT_EXCEEDED", "Request limit exceeded (sandbox fault injection)"
        )
    return error_response(status, "INTERNAL_ERROR", "Internal error (sandbox fault injection)")


def create_app(
    credentials: dict[str, str], demo_data: bool = False, limits: bool = True, push_url: str | None = None
) -> FastAPI:
    """The sandbox accepting `credentials` (api_key, oauth_token) for the business `business_id`."""
    specs = {g: BucketSpec(r.count, r.per_seconds, r.burst) for g, r in SANDBOX_API.limits.items()}
    market = Market(
        business_id=int(credentials["business_id"]),
        api_key=credentials["api_key"],
        oauth_token=credentials.get("oauth_token", ""),
        limits=SandboxLimits(enabled=limits, specs=specs),
    )
    pusher = market.pusher
    pusher.suffix, pusher.timeout, pusher.greeting = notify.SUFFIX, notify.ANSWER_SECONDS, notify.ping
    pusher.final_statuses = notify.FINAL_STATUSES

    def retry_pause(failed: int) -> float | None:
        pause = notify.retry_pause(failed)
        return None if pause is None else market.timing.of(pause)

    pusher.retry_pause = retry_pause
    backend = YandexMarketBackend(market)
    if demo_data:
        load_demo(backend)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        market.pusher.loop = asyncio.get_running_loop()
        market.pusher.set_url(push_url)  # the URL given at start is checked with a PING too
        yield
        await market.pusher.aclose()

    app = FastAPI(title="Yandex Market Partner API sandbox", version="1", lifespan=lifespan)
    app.state.market = market
    for module in (
        routes_catalog,
        routes_stocks,
        routes_prices,
        routes_orders,
        routes_fulfilment,
        routes_items,
        routes_shipments,
        routes_returns,
        routes_reports,
    ):
        app.include_router(module.router(market))
    app.include_router(control_router(backend))
    app.include_router(market_control(market))

    @app.exception_handler(YmError)
    async def on_error(request: Request, exc: YmError) -> Response:
        return JSONResponse(error_body(exc.errors), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/_sandbox"):
            return JSONResponse({"detail": [str(e.get("msg", "")) for e in exc.errors()]}, status_code=422)
        return error_response(400, "BAD_REQUEST", "; ".join(str(e.get("msg", "")) for e in exc.errors()))

    app.middleware("http")(fault_middleware(market.faults, _fault_response))
    app.middleware("http")(gate(market))
    return app
