"""Returns and claims: list, read, and confirm receipt (optionally putting the units back on hand)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from marketbridge import model
from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath, IdQuery
from marketbridge.api.pagination import Cursor, Limit, Page, next_cursor, page_rows
from marketbridge.api.scoped import owned
from marketbridge.store.tables import Return
from marketbridge.sync import returns
from marketbridge.wiring import Hub

router = APIRouter(prefix="/returns", tags=["returns"])


class ReturnOut(BaseModel):
    id: int
    connection_id: int
    external_id: str
    order_id: int | None
    order_external_id: str | None
    status: model.ReturnStatus
    reason: str | None
    lines: list[dict[str, Any]]
    opened_at: datetime
    received_at: datetime | None
    restocked: bool


class ConfirmIn(BaseModel):
    restock: bool = False


def return_out(r: Return) -> ReturnOut:
    return ReturnOut(
        id=r.id,
        connection_id=r.connection_id,
        external_id=r.external_id,
        order_id=r.order_id,
        order_external_id=r.order_external_id,
        status=model.ReturnStatus(r.status),
        reason=r.reason,
        lines=list(r.lines),
        opened_at=r.opened_at,
        received_at=r.received_at,
        restocked=r.restocked,
    )


async def _one(hub: Hub, return_id: int, account_id: int) -> ReturnOut:
    async with hub.db.session() as s:
        return return_out(await owned(s, Return, return_id, account_id, "return"))


@router.get("", summary="List returns")
async def list_returns(
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    connection_id: IdQuery = None,
    status: model.ReturnStatus | None = None,
) -> Page[ReturnOut]:
    rows = await page_rows(
        hub.db,
        Return,
        who.account_id,
        cursor,
        limit,
        connection_id=connection_id,
        status=status.value if status else None,
    )
    return Page(items=[return_out(r) for r in rows], next_cursor=next_cursor([r.id for r in rows], limit))


@router.get("/{return_id}", summary="Read a return")
async def read_return(return_id: IdPath, hub: HubDep, who: Reader) -> ReturnOut:
    return await _one(hub, return_id, who.account_id)


@router.post("/{return_id}/confirm", summary="Confirm the parcel came back; `restock` puts the units on hand")
async def confirm(return_id: IdPath, body: ConfirmIn, hub: HubDep, who: Writer) -> ReturnOut:
    await _one(hub, return_id, who.account_id)
    await returns.confirm_receipt(hub, who.account_id, return_id, body.restock)
    return await _one(hub, return_id, who.account_id)
