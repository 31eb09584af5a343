"""Control calls only the Yandex Market sandbox has, under /_sandbox/yandex-market beside the
uniform control API: moving a return's refund and parcel through their documented statuses,
choosing whether Market collects a campaign's shipments (WITHDRAW) or the seller brings them
(IMPORT), and moving a confirmed first-mile shipment on (signed, accepted, accepted with
discrepancies naming the orders missing, finished, or failed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

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


class ShipmentTypeSetting(BaseModel):
    shipment_type: Literal["IMPORT", "WITHDRAW"]


class ShipmentMove(BaseModel):
    status: str = Field(description="ShipmentStatusType after OUTBOUND_CONFIRMED")
    missing_order_ids: list[int] = Field(default_factory=list, description="with ACCEPTED_WITH_DISCREPANCIES")


#: The moves of a confirmed shipment (this sandbox's reading of ShipmentStatusType).
SHIPMENT_MOVES: dict[str, frozenset[str]] = {
    "OUTBOUND_CONFIRMED": frozenset({"OUTBOUND_SIGNED", "ACCEPTED", "ACCEPTED_WITH_DISCREPANCIES", "ERROR"}),
    "OUTBOUND_SIGNED": frozenset({"ACCEPTED", "ACCEPTED_WITH_DISCREPANCIES", "ERROR"}),
    "ACCEPTED": frozenset({"FINISHED"}),
    "ACCEPTED_WITH_DISCREPANCIES": frozenset({"FINISHED"}),
}


def market_control(market: Market) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["sandbox control"])

    @router.put("/campaigns/{campaign_id}/shipment-type")
    def shipment_type(campaign_id: int, setting: ShipmentTypeSetting) -> dict[str, Any]:
        """Whether Market collects the campaign's shipments opened from now on (and the open one)."""
        if market.campaign(campaign_id) is None:
            raise HTTPException(404, f"unknown campaign {campaign_id}")
        withdraw = setting.shipment_type == "WITHDRAW"
        (market.withdraw_campaigns.add if withdraw else market.withdraw_campaigns.discard)(campaign_id)
        for shipment in market.shipments.values():
            if shipment.campaign_id == campaign_id and shipment.status == "OUTBOUND_CREATED":
                shipment.shipment_type = setting.shipment_type
        return {"campaign_id": campaign_id, "shipment_type": setting.shipment_type}

    @router.post("/shipments/{shipment_id}/move")
    def move_shipment(shipment_id: int, move: ShipmentMove) -> dict[str, Any]:
        shipment = market.shipments.get(shipment_id)
        if shipment is None:
            raise HTTPException(404, f"unknown shipment {shipment_id}")
        if move.status not in SHIPMENT_MOVES.get(shipment.status, frozenset()):
            raise HTTPException(
                409, f"shipment {shipment_id} is {shipment.status}: it cannot become {move.status}"
            )
        short = set(move.missing_order_ids)
        if (move.status == "ACCEPTED_WITH_DISCREPANCIES") != bool(short) or not short <= set(
            shipment.order_ids
        ):
            raise HTTPException(
                409, "missing_order_ids: orders of the shipment, with ACCEPTED_WITH_DISCREPANCIES only"
            )
        shipment.status, shipment.updated = move.status, datetime.now(UTC)
        if short:
            shipment.missing, shipment.discrepancies = sorted(short), True
        return {"id": shipment.id, "status": shipment.status, "missing_order_ids": shipment.missing}

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
