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
from marketbridge.api.bulk import ItemErrors, PerOffer
from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath
from marketbridge.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor, page_rows
from marketbridge.api.problems import Problem
from marketbridge.api.scoped import linked_offer_ids, owned
from marketbridge.store.tables import Connection, OfferPrice, PriceMapping, PriceType
from marketbridge.sync import ledger

router = APIRouter(tags=["prices"])

PRICES = PerOffer(OfferPrice, PriceType, "price_type", "amount", "price type", bundles_allowed=True)

Target = Literal["price", "old_price", "min_price"]


class PriceTypeIn(BaseModel):
    code: model.common.Code = Field(max_length=64)
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
        return await PRICES.codes(s, account_id)


@router.get("/prices", summary="Prices per offer and price type")
async def list_prices(
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    sku: Annotated[str | None, Query(max_length=128)] = None,
    price_type: Annotated[str | None, Query(max_length=128)] = None,
) -> Page[PriceOut]:
    query = PRICES.page_query(who.account_id, decode_cursor(cursor), sku, price_type)
    async with hub.db.session() as s:
        rows = (await s.execute(query.limit(limit))).all()
    items = [
        PriceOut(offer_id=p.offer_id, offer_sku=o, price_type=t, amount=p.amount, updated_at=p.updated_at)
        for p, o, t in rows
    ]
    return Page(items=items, next_cursor=next_cursor([r[0].id for r in rows], limit))


@router.post("/prices/bulk", summary="Set prices per offer and price type (whole request validated first)")
async def bulk_prices(body: PricesBulk, hub: HubDep, who: Writer) -> PricesResult:
    async with hub.db.session() as s:
        offer_ids = await PRICES.write(s, who.account_id, body.items)
        to_push = await ledger.price_changed(s, who.account_id, offer_ids)
    return PricesResult(written=len(body.items), connections_to_push=sorted(to_push))


@router.get(
    "/connections/{connection_id}/price-mappings",
    summary="Which hub price type feeds which marketplace price",
)
async def get_price_mappings(connection_id: IdPath, hub: HubDep, who: Reader) -> PriceMappings:
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
    connection_id: IdPath, body: PriceMappings, hub: HubDep, who: Writer
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
        await ledger.price_changed(s, who.account_id, linked, connection_id=connection_id)
    return body
