"""Fault injection for the sandboxes: errors, timeouts, latency, malformed bodies, 429s,
and the fault menu of refusals a marketplace makes by its own rules.

The transport faults apply to the marketplace paths only, never to the control API under
/_sandbox/. The menu items (`MENU`) are answered by each sandbox the way its marketplace
answers them; a sandbox lists the items it emulates in `Faults.menu` (and its registry
spec), and a configuration asking for an item off its menu is refused. The control API
sets everything with `FaultConfig` and reads the counters back.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

#: Fault menu item: a price change refused by a rule of the marketplace (not a transport error).
PRICE_REFUSED = "price_refused"
#: Fault menu item: a packing (ship) the marketplace accepts, then fails while processing it.
SHIP_FAILED = "ship_failed"
#: Every menu item a sandbox may offer.
MENU = frozenset({PRICE_REFUSED, SHIP_FAILED})


class FaultConfig(BaseModel):
    error_rate: float = Field(default=0.0, ge=0, le=1, description="share of calls answered 500")
    timeout_rate: float = Field(default=0.0, ge=0, le=1, description="share of calls that hang")
    timeout_seconds: float = Field(default=35.0, ge=0, le=600)
    rate_limit_rate: float = Field(default=0.0, ge=0, le=1, description="share of calls answered 429")
    malformed_rate: float = Field(default=0.0, ge=0, le=1, description="share answered with a broken body")
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    seed: int | None = None
    refuse_prices: list[str] = Field(
        default_factory=list,
        max_length=10_000,
        description=f"menu item {PRICE_REFUSED}: offer codes whose price changes the marketplace refuses "
        "by one of its rules, answered as it answers such a refusal",
    )

    fail_ships: list[str] = Field(
        default_factory=list,
        max_length=10_000,
        description=f"menu item {SHIP_FAILED}: marketplace order ids whose packing (ship) the "
        "marketplace accepts and then fails, as it reports such a failure",
    )

    def menu_items(self) -> set[str]:
        """The menu items this configuration asks for."""
        asked = {PRICE_REFUSED: self.refuse_prices, SHIP_FAILED: self.fail_ships}
        return {item for item, values in asked.items() if values}


@dataclass
class FaultCounters:
    errors: int = 0
    timeouts: int = 0
    rate_limited: int = 0
    malformed: int = 0
    served: int = 0


@dataclass
class Faults:
    """Live fault settings of one sandbox, with counters of what was injected."""

    config: FaultConfig = field(default_factory=FaultConfig)
    counters: FaultCounters = field(default_factory=FaultCounters)
    #: the menu items this sandbox emulates (a subset of MENU)
    menu: frozenset[str] = frozenset()
    _rng: random.Random = field(default_factory=random.Random)

    def configure(self, config: FaultConfig) -> None:
        """Take `config`; ValueError (nothing changed) when it asks for an item off the menu."""
        missing = config.menu_items() - self.menu
        if missing:
            raise ValueError(f"this sandbox does not emulate {', '.join(sorted(missing))}")
        self.config = config
        self._rng = random.Random(config.seed)

    def snapshot(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(),
            "counters": asdict(self.counters),
            "menu": sorted(self.menu),
        }

    def price_refused(self, offer_code: str) -> bool:
        """Whether a price change of `offer_code` is to be refused (menu item price_refused)."""
        return offer_code in self.config.refuse_prices

    def ship_fails(self, order_id: str) -> bool:
        """Whether a ship of the marketplace order `order_id` is to fail (menu item ship_failed)."""
        return order_id in self.config.fail_ships

    def roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate


#: Builds the marketplace's own 429 / 500 bodies: (status) -> Response.
ErrorResponder = Callable[[int], Response]


def fault_middleware(faults: Faults, responder: ErrorResponder) -> Callable[..., Awaitable[Response]]:
    """An HTTP middleware (for `app.middleware("http")`) applying `faults` to marketplace paths."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path.startswith("/_sandbox") or request.url.path in ("/docs", "/openapi.json"):
            return await call_next(request)
        cfg = faults.config
        if cfg.latency_ms:
            await asyncio.sleep(cfg.latency_ms / 1000)
        if faults.roll(cfg.timeout_rate):
            faults.counters.timeouts += 1
            await asyncio.sleep(cfg.timeout_seconds)
            return responder(504)
        if faults.roll(cfg.rate_limit_rate):
            faults.counters.rate_limited += 1
            return responder(429)
        if faults.roll(cfg.error_rate):
            faults.counters.errors += 1
            return responder(500)
        response = await call_next(request)
        if faults.roll(cfg.malformed_rate):
            faults.counters.malformed += 1
            return Response(content=b'{"result": [', status_code=200, media_type="application/json")
        faults.counters.served += 1
        return response

    return middleware


def json_error(status: int, body: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=body, headers=headers)
