"""Control calls only the Yandex Market sandbox has, under /_sandbox/yandex-market beside the
uniform control API: moving a return's refund and parcel through their documented statuses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from marketbridge.sandbox.yandex_market.returns import move_error, status_notification
from marketbridge.sandbox.yandex_market.state import Market

PREFIX = "/_sandbox/yandex-market"


class ReturnMove(BaseModel):
    refund_status: str | None = Field(default=None, description="RefundStatusType; absent: unchanged")
    shipment_status: str | None = Field(
        default=None, description="ReturnShipmentStatusType; absent: unchanged"
    )


def market_control(market: Market) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["sandbox control"])

    @router.post("/returns/{return_id}/move")
    def move_return(return_id: int, move: ReturnMove) -> dict[str, Any]:
        """Move a return's refund and/or parcel; notifies ORDER_RETURN_STATUS_UPDATED."""
        opened = market.returns.get(return_id)
        if opened is None:
            raise HTTPException(404, f"unknown return {return_id}")
        refused = move_error(opened, move.refund_status, move.shipment_status)
        if refused:
            raise HTTPException(409, refused)
        opened.refund_status = move.refund_status or opened.refund_status
        opened.shipment_status = move.shipment_status or opened.shipment_status
        opened.updated = datetime.now(UTC)
        market.pusher.emit(status_notification(opened))
        return {
            "id": opened.id,
            "refundStatus": opened.refund_status,
            "shipmentStatus": opened.shipment_status,
        }

    return router
