"""Control calls only the Ozon sandbox has: the push handshake, cutoff and delivery-date moves,
a ship that fails after its 200 (substatus ship_failed), return status moves, settings.

They live under /_sandbox/ozon beside the uniform control API every sandbox serves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from marketbridge.sandbox.ozon.backend import OzonBackend
from marketbridge.sandbox.ozon.state import Posting, iso, now

PREFIX = "/_sandbox/ozon"


class CutoffChange(BaseModel):
    shipment_date: datetime


class DeliveryDateChange(BaseModel):
    begin: datetime
    end: datetime


class OzonSettings(BaseModel):
    label_delay: float | None = Field(
        default=None,
        ge=0,
        le=600,
        description="seconds from packing to a printable label; null: the real 45 s through the timing scale",
    )


class ReturnStatusChange(BaseModel):
    sys_name: str = Field(min_length=1, description="the new visual status, e.g. ReturnMoneyApproved")
    display_name: str = ""


def ozon_control(backend: OzonBackend) -> APIRouter:
    """Every Ozon-only control call."""
    router = APIRouter(prefix=PREFIX, tags=["sandbox control"])
    for part in (_push_control, _posting_control, _settings_control):
        router.include_router(part(backend))
    return router


def _push_control(backend: OzonBackend) -> APIRouter:
    """The push URL handshake."""
    router = APIRouter()

    @router.post("/push/ping")
    async def ping() -> dict[str, Any]:
        """Send TYPE_PING to the push URL now, as Ozon does when the URL is set, and report the reply."""
        url = backend.pusher.url
        if not url:
            raise HTTPException(409, "no push URL is set (PUT /_sandbox/push)")
        body = {"message_type": "TYPE_PING", "time": iso(now())}
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                reply = await client.post(url, json=body)
        except httpx.HTTPError as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        try:
            answer: Any = reply.json()
        except ValueError:
            answer = reply.text[:500]
        ok = (
            reply.status_code == 200
            and isinstance(answer, dict)
            and {"version", "name", "time"} <= set(answer)
        )
        return {"ok": ok, "status": reply.status_code, "reply": answer}

    return router


def _posting_control(backend: OzonBackend) -> APIRouter:
    """Moves of a posting's dates, each announced by its push."""
    router = APIRouter()

    @router.post("/postings/{posting_number}/cutoff")
    async def cutoff(posting_number: str, change: CutoffChange) -> dict[str, Any]:
        with backend.state.lock:
            posting = _known(backend, posting_number)
            old = posting.shipment_date
            posting.shipment_date = change.shipment_date
            _announce(
                backend,
                posting,
                "TYPE_CUTOFF_DATE_CHANGED",
                {"new_cutoff_date": iso(posting.shipment_date), "old_cutoff_date": iso(old)},
            )
        return {"posting_number": posting_number, "shipment_date": iso(posting.shipment_date)}

    @router.post("/postings/{posting_number}/fail-ship")
    async def fail_ship(posting_number: str) -> dict[str, Any]:
        """The next ship of the posting answers 200, then the posting shows substatus ship_failed."""
        with backend.state.lock:
            posting = _known(backend, posting_number)
            if posting.status != "awaiting_packaging":
                raise HTTPException(
                    409, f"posting {posting_number} is {posting.status}, not awaiting_packaging"
                )
            posting.fail_next_ship = True
        return {"posting_number": posting_number, "fail_next_ship": True}

    @router.post("/returns/{return_id}/status")
    async def return_status(return_id: int, change: ReturnStatusChange) -> dict[str, Any]:
        """Move a return to another visual status now (its visual.change_moment moves too)."""
        with backend.state.lock:
            item = backend.state.returns.get(return_id)
            if item is None:
                raise HTTPException(404, f"unknown return {return_id}")
            item.status_name = change.sys_name
            item.status_title = change.display_name or change.sys_name
            item.status_id += 1
            item.status_changed_at = now()
        return {"id": return_id, "sys_name": item.status_name, "change_moment": iso(item.status_changed_at)}

    @router.post("/postings/{posting_number}/delivery-date")
    async def delivery_date(posting_number: str, change: DeliveryDateChange) -> dict[str, Any]:
        with backend.state.lock:
            posting = _known(backend, posting_number)
            old_begin = posting.delivery_begin or posting.shipment_date
            old_end = posting.delivery_end or posting.shipment_date
            posting.delivery_begin, posting.delivery_end = change.begin, change.end
            _announce(
                backend,
                posting,
                "TYPE_DELIVERY_DATE_CHANGED",
                {
                    "new_delivery_date_begin": iso(change.begin),
                    "new_delivery_date_end": iso(change.end),
                    "old_delivery_date_begin": iso(old_begin),
                    "old_delivery_date_end": iso(old_end),
                },
            )
        return {"posting_number": posting_number, "begin": iso(change.begin), "end": iso(change.end)}

    return router


def _known(backend: OzonBackend, posting_number: str) -> Posting:
    posting = backend.state.postings.get(posting_number)
    if posting is None:
        raise HTTPException(404, f"unknown posting {posting_number}")
    return posting


def _announce(backend: OzonBackend, posting: Posting, kind: str, dates: dict[str, Any]) -> None:
    """The push of a posting's date change, in Ozon's shape."""
    backend.emit(
        {
            "message_type": kind,
            "posting_number": posting.posting_number,
            **dates,
            "warehouse_id": posting.warehouse_id,
            "seller_id": backend.seller_id,
        }
    )


def _settings_control(backend: OzonBackend) -> APIRouter:
    """The cards as received, and the sandbox's own settings."""
    router = APIRouter()

    @router.get("/cards/received")
    async def received_cards() -> dict[str, Any]:
        """The card bodies the seller sent to /v3/product/import, as sent."""
        with backend.state.lock:
            return {"items": backend.received_cards()}

    @router.get("/settings")
    async def get_settings() -> dict[str, Any]:
        return {"label_delay": backend.label_delay, "label_wait": backend.label_wait()}

    @router.put("/settings")
    async def set_settings(settings: OzonSettings) -> dict[str, Any]:
        backend.label_delay = settings.label_delay
        return {"label_delay": backend.label_delay, "label_wait": backend.label_wait()}

    return router
