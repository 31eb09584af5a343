"""Price types, prices per offer and price type (read and bulk set), and price-type mapping per connection.

A connection's mapping says which hub price type feeds the marketplace's price, old
(strike-through) price and minimum price. Setting prices records what each linked listing
must now show in the same transaction and asks for a push.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from marketbridge import model
from marketbridge.api.bulk import ItemErrors
from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor, page_rows
from marketbridge.api.problems import Problem
from marketbridge.api.scoped import kick_all, linked_offer_ids, owned
from marketbridge.store.catalog import ids_by_sku
from marketbridge.store.tables import Connection, Offer, OfferPrice, PriceMapping, PriceType
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for
from marketbridge.sync import ledger
from marketbridge.sync.dispatch import JobKind

router = APIRouter(tags=["prices"])

Target = Literal["price", "old_price", "min_price"]


class PriceTypeIn(BaseModel):
    code: model.common.Code
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(default="RUB", pattern=r"^[A-Z]{3}$")


class PriceTypeOut(PriceTypeIn):
    id: int


class PriceIn(BaseModel):
    offer_sku: model.common.Code
    price_type: model.common.Code
    amount: model.Money = Field(gt=Decimal(0))


class PricesBulk(BaseModel):
    items: list[PriceIn] = Field(min_length=1, max_length=50_000)


class PriceOut(BaseModel):
    offer_id: int
    offer_sku: str
    price_type: str
    amount: model.Money
    updated_at: datetime


class PricesResult(BaseModel):
    written: int
    connections_to_push: list[int]


class PriceMappingItem(BaseModel):
    target: Target = Field(description="the marketplace's price field")
    price_type: model.common.Code = Field(description="hub price type code")


class PriceMappings(BaseModel):
    items: list[PriceMappingItem] = Field(max_length=3)


@router.get("/price-types", summary="List price types")
async def list_price_types(
    hub: HubDep, who: Reader, limit: Limit = 100, cursor: Cursor = None
) -> Page[PriceTypeOut]:
    rows = await page_rows(hub.db, PriceType, who.account_id, cursor, limit)
    return Page(
        items=[PriceTypeOut(id=r.id, code=r.code, name=r.name, currency=r.currency) for r in rows],
        next_cursor=next_cursor([r.id for r in rows], limit),
    )


@router.post("/price-types", status_code=201, summary="Create a price type (e.g. retail, old, minimum)")
async def create_price_type(body: PriceTypeIn, hub: HubDep, who: Writer) -> PriceTypeOut:
    try:
        async with hub.db.session() as s:
            row = PriceType(account_id=who.account_id, code=body.code, name=body.name, currency=body.currency)
            s.add(row)
            await s.flush()
    except IntegrityError as exc:
        raise Problem(409, "code_taken", f"a price type with code {body.code!r} exists already") from exc
    return PriceTypeOut(id=row.id, code=row.code, name=row.name, currency=row.currency)


async def _price_type_ids(hub: HubDep, account_id: int) -> dict[str, int]:
    async with hub.db.session() as s:
        return {
            c: i
            for c, i in await s.execute(
                select(PriceType.code, PriceType.id).where(PriceType.account_id == account_id)
            )
        }


@router.get("/prices", summary="Prices per offer and price type")
async def list_prices(
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    sku: Annotated[str | None, Query(max_length=128)] = None,
    price_type: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[PriceOut]:
    query = (
        select(OfferPrice, Offer.sku, PriceType.code)
        .join(Offer, Offer.id == OfferPrice.offer_id)
        .join(PriceType, PriceType.id == OfferPrice.price_type_id)
        .where(OfferPrice.account_id == who.account_id, OfferPrice.id > decode_cursor(cursor))
    )
    if sku is not None:
        query = query.where(Offer.sku == sku)
    if price_type is not None:
        query = query.where(PriceType.code == price_type)
    async with hub.db.session() as s:
        rows = (await s.execute(query.order_by(OfferPrice.id).limit(limit))).all()
    items = [
        PriceOut(offer_id=p.offer_id, offer_sku=o, price_type=t, amount=p.amount, updated_at=p.updated_at)
        for p, o, t in rows
    ]
    return Page(items=items, next_cursor=next_cursor([r[0].id for r in rows], limit))


@router.post("/prices/bulk", summary="Set prices per offer and price type (whole request validated first)")
async def bulk_prices(body: PricesBulk, hub: HubDep, who: Writer) -> PricesResult:
    items = body.items
    types = await _price_type_ids(hub, who.account_id)
    async with hub.db.session() as s:
        offers = await ids_by_sku(s, Offer, who.account_id, [i.offer_sku for i in items])
        errors = ItemErrors()
        errors.unknown(
            ((n, i.offer_sku, i.offer_sku) for n, i in enumerate(items)), set(offers), "offer_sku", "offer"
        )
        errors.unknown(
            ((n, i.offer_sku, i.price_type) for n, i in enumerate(items)),
            set(types),
            "price_type",
            "price type",
        )
        errors.duplicates(
            [(i.offer_sku, i.price_type) for i in items], [i.offer_sku for i in items], "offer and price type"
        )
        errors.raise_if_any()
        now = utcnow()
        rows = [
            {
                "account_id": who.account_id,
                "offer_id": offers[i.offer_sku][0],
                "price_type_id": types[i.price_type],
                "amount": i.amount,
                "updated_at": now,
            }
            for i in items
        ]
        for part in chunks(rows, 900):
            stmt = insert_for(s, OfferPrice).values(part)
            stmt = stmt.on_conflict_do_update(
                index_elements=["offer_id", "price_type_id"],
                set_={"amount": stmt.excluded.amount, "updated_at": stmt.excluded.updated_at},
            )
            await s.execute(stmt)
        touched = await ledger.price_changed(s, who.account_id, sorted({r["offer_id"] for r in rows}))
    await kick_all(hub, touched, JobKind.PRICES)
    return PricesResult(written=len(rows), connections_to_push=sorted(touched))


@router.get(
    "/connections/{connection_id}/price-mappings",
    summary="Which hub price type feeds which marketplace price",
)
async def get_price_mappings(connection_id: int, hub: HubDep, who: Reader) -> PriceMappings:
    async with hub.db.session() as s:
        await owned(s, Connection, connection_id, who.account_id, "connection")
        rows = await s.execute(
            select(PriceMapping.target, PriceType.code)
            .join(PriceType, PriceType.id == PriceMapping.price_type_id)
            .where(PriceMapping.connection_id == connection_id)
            .order_by(PriceMapping.id)
        )
        return PriceMappings(items=[PriceMappingItem(target=t, price_type=c) for t, c in rows])


@router.put(
    "/connections/{connection_id}/price-mappings",
    summary="Replace the price-type mapping of a connection; every linked listing's price is queued again",
)
async def put_price_mappings(
    connection_id: int, body: PriceMappings, hub: HubDep, who: Writer
) -> PriceMappings:
    types = await _price_type_ids(hub, who.account_id)
    errors = ItemErrors()
    errors.unknown(
        ((n, i.price_type, i.price_type) for n, i in enumerate(body.items)),
        set(types),
        "price_type",
        "price type",
    )
    errors.duplicates(
        [(i.target,) for i in body.items], [i.price_type for i in body.items], "target", "target"
    )
    errors.raise_if_any()
    async with hub.db.session() as s:
        await owned(s, Connection, connection_id, who.account_id, "connection")
        await s.execute(delete(PriceMapping).where(PriceMapping.connection_id == connection_id))
        for item in body.items:
            s.add(
                PriceMapping(
                    account_id=who.account_id,
                    connection_id=connection_id,
                    price_type_id=types[item.price_type],
                    target=item.target,
                )
            )
        await s.flush()
        linked = await linked_offer_ids(s, connection_id)
        touched = await ledger.price_changed(s, who.account_id, linked, connection_id=connection_id)
    await kick_all(hub, touched, JobKind.PRICES)
    return body
