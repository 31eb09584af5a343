"""Hand-over documents: the act / waybill or the supply's QR code each hand-over gave, to print.

The courier or the pickup point takes the parcels only with it, so the hub keeps the
document the marketplace gave at `POST /orders/{id}/ship` and serves it again: for an order
(the document of its hand-over) and per hand-over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from marketbridge.api.deps import HubDep, Reader
from marketbridge.api.fields import IdPath, IdQuery
from marketbridge.api.labels import MEDIA_TYPES
from marketbridge.api.pagination import Cursor, Limit, Page, next_cursor, page_rows
from marketbridge.api.problems import Problem
from marketbridge.api.scoped import owned
from marketbridge.model import LabelFormat
from marketbridge.store.tables import HandoverDocument, Order
from marketbridge.sync import fulfilment

router = APIRouter(tags=["orders"])

BINARY: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
}


class HandoverDocumentOut(BaseModel):
    id: int
    connection_id: int
    handover_id: str
    kind: str
    format: str
    created_at: datetime


def document_file(doc: HandoverDocument, disposition: str = "attachment") -> Response:
    """The document as a file answer (inline for printing from the dashboard)."""
    name = f"handover-{doc.id}-{doc.kind}.{doc.format}"
    return Response(
        doc.content,
        media_type=MEDIA_TYPES.get(LabelFormat(doc.format), "application/octet-stream"),
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )


@router.get("/handover-documents", summary="The hand-over documents kept (acts, supply QR codes)")
async def list_documents(
    hub: HubDep, who: Reader, limit: Limit = 100, cursor: Cursor = None, connection_id: IdQuery = None
) -> Page[HandoverDocumentOut]:
    rows = await page_rows(
        hub.db, HandoverDocument, who.account_id, cursor, limit, connection_id=connection_id
    )
    items = [
        HandoverDocumentOut(
            id=r.id,
            connection_id=r.connection_id,
            handover_id=r.handover_id,
            kind=r.kind,
            format=r.format,
            created_at=r.created_at,
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=next_cursor([r.id for r in rows], limit))


@router.get(
    "/handover-documents/{document_id}",
    summary="One hand-over's document, to print",
    response_class=Response,
    responses=BINARY,
)
async def read_document(document_id: IdPath, hub: HubDep, who: Reader) -> Response:
    async with hub.db.session() as s:
        doc = await owned(s, HandoverDocument, document_id, who.account_id, "hand-over document")
    return document_file(doc)


@router.get(
    "/orders/{order_id}/handover-document",
    summary="The document of the order's hand-over (act / waybill or supply QR code), to print",
    response_class=Response,
    responses=BINARY,
)
async def order_document(order_id: IdPath, hub: HubDep, who: Reader) -> Response:
    async with hub.db.session() as s:
        await owned(s, Order, order_id, who.account_id, "order")
    doc = await fulfilment.handover_document(hub, who.account_id, order_id)
    if doc is None:
        raise Problem(
            404,
            "no_handover_document",
            f"order {order_id} has no hand-over document (not handed over yet, or the marketplace gave none)",
        )
    return document_file(doc)
