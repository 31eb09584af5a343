"""Warehouses, their mapping to marketplace warehouses, and stock levels (read and bulk set).

Setting stock writes on-hand quantities (reservations stay as they are), records what each
linked marketplace listing must now show in the same transaction, and asks for a push.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from marketbridge import model
from marketbridge.api.bulk import ItemErrors, PerOffer
from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath
from marketbridge.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor, page_rows
from marketbridge.api.problems import FieldError, Problem
from marketbridge.api.scoped import channel_of, linked_offer_ids, owned
from marketbridge.store.tables import Connection, StockLevel, Warehouse, WarehouseMapping
from marketbridge.sync import ledger

router = APIRouter(tags=["stocks"])

STOCKS = PerOffer(StockLevel, Warehouse, "warehouse", "on_hand", "warehouse", bundles_allowed=False)


class WarehouseOut(BaseModel):
    id: int
    code: str
    name: str


class WarehouseMappingItem(BaseModel):
    warehouse: str = Field(min_length=1, max_length=128, description="hub warehouse code")
    external_warehouse_id: str = Field(min_length=1, max_length=128)


class WarehouseMappings(BaseModel):
    items: list[WarehouseMappingItem] = Field(max_length=1000)


class RemoteWarehouseOut(BaseModel):
    external_id: str
    name: str
    active: bool


class StockIn(BaseModel):
    offer_sku: model.common.Code
    warehouse: model.common.Code
    on_hand: int = Field(ge=0, le=100_000_000)


class StocksBulk(BaseModel):
    items: list[StockIn] = Field(min_length=1, max_length=50_000)


class StockOut(BaseModel):
    offer_id: int
    offer_sku: str
    warehouse: str
    on_hand: int | None = Field(description="null: never set by the seller (nothing is pushed for it)")
    reserved: int
    available: int | None
    stock_known: bool
    updated_at: datetime


class StocksResult(BaseModel):
    written: int
    connections_to_push: list[int]


@router.get("/warehouses", summary="List hub warehouses")
async def list_warehouses(
    hub: HubDep, who: Reader, limit: Limit = 100, cursor: Cursor = None
) -> Page[WarehouseOut]:
    rows = await page_rows(hub.db, Warehouse, who.account_id, cursor, limit)
    return Page(
        items=[WarehouseOut(id=r.id, code=r.code, name=r.name) for r in rows],
        next_cursor=next_cursor([r.id for r in rows], limit),
    )


@router.post("/warehouses", status_code=201, summary="Create a hub warehouse")
async def create_warehouse(body: model.Warehouse, hub: HubDep, who: Writer) -> WarehouseOut:
    try:
        async with hub.db.session() as s:
            row = Warehouse(account_id=who.account_id, code=body.code, name=body.name)
            s.add(row)
            await s.flush()
    except IntegrityError as exc:
        raise Problem(409, "code_taken", f"a warehouse with code {body.code!r} exists already") from exc
    return WarehouseOut(id=row.id, code=row.code, name=row.name)


@router.get(
    "/connections/{connection_id}/warehouse-mappings",
    summary="Which hub warehouses feed which marketplace warehouses",
)
async def get_warehouse_mappings(connection_id: IdPath, hub: HubDep, who: Reader) -> WarehouseMappings:
    async with hub.db.session() as s:
        await owned(s, Connection, connection_id, who.account_id, "connection")
        rows = await s.execute(
            select(Warehouse.code, WarehouseMapping.external_warehouse_id)
            .join(Warehouse, Warehouse.id == WarehouseMapping.warehouse_id)
            .where(WarehouseMapping.connection_id == connection_id)
            .order_by(WarehouseMapping.id)
        )
        items = [WarehouseMappingItem(warehouse=c, external_warehouse_id=e) for c, e in rows]
    return WarehouseMappings(items=items)


async def _require_remote_warehouses(
    hub: HubDep, connection_id: int, account_id: int, items: list[WarehouseMappingItem]
) -> None:
    """422 `unknown_marketplace_warehouse` naming every mapped id the marketplace does not list."""
    if not items:
        return
    _, channel = await channel_of(hub, connection_id, account_id)
    known = {w.external_id for w in await channel.list_warehouses()}
    errors = [
        FieldError(
            field=f"body.items[{n}].external_warehouse_id",
            message=f"the marketplace has no warehouse {i.external_warehouse_id!r}; "
            "see GET /connections/{id}/remote-warehouses",
            index=n,
        )
        for n, i in enumerate(items)
        if i.external_warehouse_id not in known
    ]
    if errors:
        raise Problem(
            422,
            "unknown_marketplace_warehouse",
            f"{len(errors)} mapped warehouse(s) do not exist on the marketplace; nothing was changed",
            errors=errors,
        )


@router.put(
    "/connections/{connection_id}/warehouse-mappings",
    summary="Replace the warehouse mapping of a connection; every linked listing's stock is queued again",
)
async def put_warehouse_mappings(
    connection_id: IdPath, body: WarehouseMappings, hub: HubDep, who: Writer
) -> WarehouseMappings:
    await _require_remote_warehouses(
        hub, connection_id, who.account_id, body.items
    )  # asked outside the transaction
    async with hub.db.session() as s:
        await owned(s, Connection, connection_id, who.account_id, "connection")
        codes = await STOCKS.codes(s, who.account_id)
        errors = ItemErrors()
        errors.unknown(
            ((n, i.warehouse, i.warehouse) for n, i in enumerate(body.items)),
            set(codes),
            "warehouse",
            "warehouse",
        )
        keys = [(i.warehouse, i.external_warehouse_id) for i in body.items]
        errors.duplicates(keys, [i.warehouse for i in body.items], "mapping")
        errors.raise_if_any()
        await s.execute(delete(WarehouseMapping).where(WarehouseMapping.connection_id == connection_id))
        for item in body.items:
            s.add(
                WarehouseMapping(
                    account_id=who.account_id,
                    connection_id=connection_id,
                    warehouse_id=codes[item.warehouse],
                    external_warehouse_id=item.external_warehouse_id,
                )
            )
        await s.flush()
        linked = await linked_offer_ids(s, connection_id)
        await ledger.stock_changed(s, who.account_id, linked, connection_id=connection_id)
    return body


@router.get(
    "/connections/{connection_id}/remote-warehouses", summary="The marketplace's warehouses (asked live)"
)
async def remote_warehouses(connection_id: IdPath, hub: HubDep, who: Reader) -> list[RemoteWarehouseOut]:
    _, channel = await channel_of(hub, connection_id, who.account_id)
    found = await channel.list_warehouses()
    return [RemoteWarehouseOut(external_id=w.external_id, name=w.name, active=w.active) for w in found]


@router.get("/stocks", summary="Stock levels per offer and warehouse")
async def list_stocks(
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    sku: Annotated[str | None, Query(max_length=128)] = None,
    warehouse: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[StockOut]:
    query = STOCKS.page_query(who.account_id, decode_cursor(cursor), sku, warehouse)
    async with hub.db.session() as s:
        rows = (await s.execute(query.limit(limit))).all()
    items = [
        StockOut(
            offer_id=level.offer_id,
            offer_sku=offer_sku,
            warehouse=code,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=None if level.on_hand is None else max(level.on_hand - level.reserved, 0),
            stock_known=level.on_hand is not None,
            updated_at=level.updated_at,
        )
        for level, offer_sku, code in rows
    ]
    return Page(items=items, next_cursor=next_cursor([r[0].id for r in rows], limit))


@router.post(
    "/stocks/bulk", summary="Set on-hand stock per offer and warehouse (whole request validated first)"
)
async def bulk_stocks(body: StocksBulk, hub: HubDep, who: Writer) -> StocksResult:
    async with hub.db.session() as s:
        offer_ids = await STOCKS.write(s, who.account_id, body.items)
        to_push = await ledger.stock_changed(s, who.account_id, offer_ids)
    return StocksResult(written=len(body.items), connections_to_push=sorted(to_push))
