"""The events feed: every event of the account in order, read with a cursor (also what webhooks carry)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from marketbridge.api.deps import HubDep, Reader
from marketbridge.api.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from marketbridge.model import EventType
from marketbridge.store.tables import Event

router = APIRouter(prefix="/events", tags=["events"])


class EventOut(BaseModel):
    id: str = Field(description="unique event id; the `Webhook-Id` of its deliveries")
    type: str
    occurred_at: datetime
    data: dict[str, Any]


@router.get(
    "",
    summary="Events in order; `next_cursor` is always set, so poll again with it to get only newer ones",
)
async def feed(
    hub: HubDep, who: Reader, limit: Limit = 100, cursor: Cursor = None, type: EventType | None = None
) -> Page[EventOut]:
    after = decode_cursor(cursor)
    query = select(Event).where(Event.account_id == who.account_id, Event.seq > after)
    if type is not None:
        query = query.where(Event.type == type.value)
    async with hub.db.session() as s:
        rows = list((await s.execute(query.order_by(Event.seq).limit(limit))).scalars())
    return Page(
        items=[EventOut(id=r.id, type=r.type, occurred_at=r.occurred_at, data=dict(r.data)) for r in rows],
        next_cursor=encode_cursor(rows[-1].seq if rows else after),
    )
