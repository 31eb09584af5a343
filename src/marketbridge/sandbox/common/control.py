"""The control API every sandbox serves under /_sandbox/: one contract for all marketplaces.

Tests, the demo and the benchmarks drive any sandbox through it the same way: seed a
catalog, play the buyer, move orders along, open returns, inject faults, switch limits,
set the push URL, and read back what the seller sent. Each sandbox implements
`SandboxBackend`; `control_router` turns it into the HTTP API. Nothing here exists on the
real marketplaces.
"""

from __future__ import annotations

import time
from collections import deque
from decimal import Decimal
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from marketbridge.sandbox.common.faults import FaultConfig, Faults
from marketbridge.sandbox.common.limits import SandboxLimits
from marketbridge.sandbox.common.push import PushSender
from marketbridge.sandbox.common.timing import Timing, TimingSettings


class SeedWarehouse(BaseModel):
    id: str | None = Field(default=None, description="marketplace id; made up when absent")
    name: str


class SeedOffer(BaseModel):
    offer_code: str = Field(description="the seller's article of this unit")
    name: str
    product_code: str | None = Field(default=None, description="groups units of one card (sizes of a card)")
    barcodes: list[str] = Field(default_factory=list)
    size: str | None = None
    color: str | None = None
    category_id: str | None = None
    price: Decimal = Decimal("1000")
    old_price: Decimal | None = None
    requires_marking: bool = False
    stocks: dict[str, int] = Field(default_factory=dict, description="warehouse id -> quantity")


class SeedRequest(BaseModel):
    warehouses: list[SeedWarehouse] = Field(default_factory=list)
    offers: list[SeedOffer] = Field(default_factory=list)


class BuyerLine(BaseModel):
    offer_code: str
    quantity: int = Field(default=1, ge=1, le=1000)


class BuyerOrder(BaseModel):
    lines: list[BuyerLine] = Field(min_length=1)
    warehouse_id: str | None = None
    buyer_city: str | None = "Moscow"


class MoveOrder(BaseModel):
    status: str = Field(
        description="canonical target (shipped, delivered, cancelled) or the marketplace's own status"
    )
    reason: str | None = None


class OpenReturn(BaseModel):
    order_id: str
    reason: str | None = "does not fit"


class PushSettings(BaseModel):
    url: str | None
    duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    reorder_rate: float = Field(default=0.0, ge=0, le=1)


class LimitSettings(BaseModel):
    enabled: bool


class SandboxBackend(Protocol):
    """What a sandbox implements for the control API; ids are the marketplace's own."""

    faults: Faults
    limits: SandboxLimits
    pusher: PushSender
    journal: deque[dict[str, Any]]
    timing: Timing

    def seed(self, request: SeedRequest) -> dict[str, Any]: ...

    def place_order(self, order: BuyerOrder) -> list[str]:
        """Create the order(s) a buyer's purchase makes; returns their marketplace ids."""
        ...

    def move_order(self, order_id: str, move: MoveOrder) -> dict[str, Any]: ...

    def open_return(self, request: OpenReturn) -> str: ...

    def stocks(self, offer_code: str | None = None) -> list[dict[str, Any]]:
        """[{offer_code, external_id, warehouse_id, quantity, set_at}] as the seller last set them.

        `set_at` is when the marketplace accepted that value (`wall_clock`): the benchmarks time
        a change up to there, not up to when a reader happened to look. With `offer_code`, only
        that offer's, found without going through the whole catalog.
        """
        ...

    def prices(self) -> list[dict[str, Any]]:
        """[{offer_code, external_id, price, old_price, min_price}]."""
        ...

    def cards(self) -> list[dict[str, Any]]:
        """[{offer_code, external_id, name, status, errors}] including cards sent by the seller."""
        ...

    def orders(self) -> list[dict[str, Any]]:
        """[{id, status, lines}] with the marketplace's raw statuses."""
        ...

    def reset(self) -> None: ...


#: Seconds since the epoch at monotonic time 0, taken once: the same moment reads the same.
_EPOCH_AT_MONOTONIC_ZERO = time.time() - time.monotonic()


def wall_clock(monotonic: float | None) -> float | None:
    """A moment kept as `time.monotonic()` in seconds since the epoch (None stays None)."""
    return None if monotonic is None else _EPOCH_AT_MONOTONIC_ZERO + monotonic


#: How many received requests the journal keeps for read-back.
JOURNAL_SIZE = 5000


def new_journal() -> deque[dict[str, Any]]:
    return deque(maxlen=JOURNAL_SIZE)


def control_router(backend: SandboxBackend) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["sandbox control"])

    @router.post("/seed")
    def seed(request: SeedRequest) -> dict[str, Any]:
        return backend.seed(request)

    @router.post("/orders")
    def place_order(order: BuyerOrder) -> dict[str, Any]:
        try:
            return {"ids": backend.place_order(order)}
        except KeyError as exc:
            raise HTTPException(404, f"unknown: {exc}") from exc
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc

    @router.post("/orders/{order_id}/move")
    def move_order(order_id: str, move: MoveOrder) -> dict[str, Any]:
        try:
            return backend.move_order(order_id, move)
        except KeyError as exc:
            raise HTTPException(404, f"unknown order {order_id}") from exc
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from exc

    @router.post("/returns")
    def open_return(request: OpenReturn) -> dict[str, Any]:
        try:
            return {"id": backend.open_return(request)}
        except KeyError as exc:
            raise HTTPException(404, f"unknown order {request.order_id}") from exc
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from exc

    @router.get("/stocks")
    def stocks(offer_code: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
        """Every unit's stock, or those of the offer codes named (`?offer_code=A&offer_code=B`)."""
        if not offer_code:
            return {"items": backend.stocks(None)}
        return {"items": [item for code in dict.fromkeys(offer_code) for item in backend.stocks(code)]}

    @router.get("/prices")
    def prices(offer_code: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
        """Every unit's price, or those of the offer codes named (`?offer_code=A&offer_code=B`)."""
        wanted = set(offer_code or ())
        items = backend.prices()
        return {"items": [i for i in items if i["offer_code"] in wanted] if wanted else items}

    @router.get("/cards")
    def cards() -> dict[str, Any]:
        return {"items": backend.cards()}

    @router.get("/orders")
    def orders() -> dict[str, Any]:
        return {"items": backend.orders()}

    @router.get("/journal")
    def journal(limit: int = 1000) -> dict[str, Any]:
        items = list(backend.journal)[-limit:]
        return {"items": items}

    @router.get("/faults")
    def get_faults() -> dict[str, Any]:
        return backend.faults.snapshot()

    @router.put("/faults")
    def set_faults(config: FaultConfig) -> dict[str, Any]:
        try:
            backend.faults.configure(config)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return backend.faults.snapshot()

    @router.put("/limits")
    def set_limits(settings: LimitSettings) -> dict[str, Any]:
        backend.limits.enabled = settings.enabled
        backend.limits.reset()
        return {"enabled": backend.limits.enabled}

    @router.get("/limits")
    def get_limits() -> dict[str, Any]:
        return {"enabled": backend.limits.enabled, "rejected": dict(backend.limits.rejected)}

    @router.put("/push")
    def set_push(settings: PushSettings) -> dict[str, Any]:
        backend.pusher.set_url(settings.url)
        backend.pusher.duplicate_rate = settings.duplicate_rate
        backend.pusher.reorder_rate = settings.reorder_rate
        return settings.model_dump()

    @router.get("/push")
    def get_push() -> dict[str, Any]:
        p = backend.pusher
        return {"url": p.url, "delivered": p.delivered, "failed": p.failed, "attempts": len(p.attempts)}

    @router.get("/timing")
    def get_timing() -> dict[str, Any]:
        return {"scale": backend.timing.scale}

    @router.put("/timing")
    def set_timing(settings: TimingSettings) -> dict[str, Any]:
        backend.timing.scale = settings.scale
        return {"scale": backend.timing.scale}

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        backend.reset()
        return {"ok": True}

    return router
