"""Catalog: products, offers (variants) and bundles with bulk upsert, images, listing status per channel.

Bulk upserts are validated whole: any invalid item → 422 naming every invalid item by index
and SKU, and nothing is written. A request holds at most MAX_BULK items; in the products
upsert each product and each of its nested offers counts as one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from marketbridge import model
from marketbridge.api.bulk import ItemErrors
from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath, IdQuery
from marketbridge.api.offer_answers import (
    OfferOut,
    json_response,
    offer_answers,
    one_statement,
    page_answer,
    page_statement,
)
from marketbridge.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor, page_rows
from marketbridge.api.problems import FieldError, Problem, not_found
from marketbridge.api.scoped import channel_of, linked_offer_ids, owned
from marketbridge.store import catalog
from marketbridge.store.tables import Offer, Product
from marketbridge.store.types import utcnow
from marketbridge.sync import catalog as sync_catalog
from marketbridge.sync import ledger

router = APIRouter(prefix="/catalog", tags=["catalog"])

MAX_BULK = 50_000


class OffersBulk(BaseModel):
    items: list[model.Offer] = Field(min_length=1, max_length=MAX_BULK)


class ProductsBulk(BaseModel):
    items: list[model.Product] = Field(min_length=1, max_length=MAX_BULK)


class BundlesBulk(BaseModel):
    items: list[model.Bundle] = Field(min_length=1, max_length=MAX_BULK)


class BulkResult(BaseModel):
    created: int
    updated: int


class ProductsBulkResult(BaseModel):
    products: BulkResult
    offers: BulkResult


class ProductOut(BaseModel):
    id: int
    sku: str
    name: str
    description: str | None
    brand: str | None
    category_id: str | None
    images: list[model.Image]
    attributes: list[model.AttributeValue]
    offer_ids: list[int]
    updated_at: datetime


class ImagesIn(BaseModel):
    images: list[model.Image] = Field(max_length=30)


def invalid(exc: catalog.BulkInvalid) -> Problem:
    errors = [
        FieldError(field=f"body.{p.field}", message=p.message, index=p.index, sku=p.sku) for p in exc.problems
    ]
    return Problem(
        422, "invalid_items", f"{len(errors)} problem(s) in the request; nothing was written", errors=errors
    )


async def _product_outs(hub: HubDep, rows: list[Product]) -> list[ProductOut]:
    offers: dict[int, list[int]] = defaultdict(list)
    if rows:
        async with hub.db.reading() as s:
            for product_id, offer_id in await s.execute(
                select(Offer.product_id, Offer.id)
                .where(Offer.product_id.in_([r.id for r in rows]))
                .order_by(Offer.id)
            ):
                if product_id is not None:
                    offers[product_id].append(offer_id)
    return [
        ProductOut(
            id=r.id,
            sku=r.sku,
            name=r.name,
            description=r.description,
            brand=r.brand,
            category_id=r.category_id,
            images=[model.Image.model_validate(i) for i in r.images],
            attributes=[model.AttributeValue.model_validate(a) for a in r.attributes],
            offer_ids=offers[r.id],
            updated_at=r.updated_at,
        )
        for r in rows
    ]


@router.post(
    "/products/bulk", summary="Create or update products with their offers (whole request validated first)"
)
async def bulk_products(body: ProductsBulk, hub: HubDep, who: Writer) -> ProductsBulkResult:
    count = len(body.items) + sum(len(p.offers) for p in body.items)
    if count > MAX_BULK:
        raise Problem(
            422,
            "too_many_items",
            f"{count} items (products and their nested offers each count one); at most {MAX_BULK}",
        )
    try:
        async with hub.db.session() as s:
            products, offers = await catalog.upsert_products(s, who.account_id, body.items)
    except catalog.BulkInvalid as exc:
        raise invalid(exc) from exc
    return ProductsBulkResult(
        products=BulkResult(created=products.created, updated=products.updated),
        offers=BulkResult(created=offers.created, updated=offers.updated),
    )


@router.post("/offers/bulk", summary="Create or update offers (whole request validated first)")
async def bulk_offers(body: OffersBulk, hub: HubDep, who: Writer) -> BulkResult:
    try:
        async with hub.db.session() as s:
            counts = await catalog.upsert_offers(s, who.account_id, body.items)
    except catalog.BulkInvalid as exc:
        raise invalid(exc) from exc
    return BulkResult(created=counts.created, updated=counts.updated)


@router.post("/bundles/bulk", summary="Create or update bundles and their components")
async def bulk_bundles(body: BundlesBulk, hub: HubDep, who: Writer) -> BulkResult:
    try:
        async with hub.db.session() as s:
            counts = await catalog.upsert_bundles(s, who.account_id, body.items)
            await ledger.stock_changed(s, who.account_id, sorted(counts.ids.values()))
    except catalog.BulkInvalid as exc:
        raise invalid(exc) from exc
    return BulkResult(created=counts.created, updated=counts.updated)


SkuFilter = Annotated[str | None, Query(max_length=128, description="exact SKU")]


@router.get("/products", summary="List products")
async def list_products(
    hub: HubDep, who: Reader, limit: Limit = 100, cursor: Cursor = None, sku: SkuFilter = None
) -> Page[ProductOut]:
    rows = await page_rows(hub.db, Product, who.account_id, cursor, limit, sku=sku)
    return Page(items=await _product_outs(hub, rows), next_cursor=next_cursor([r.id for r in rows], limit))


@router.get("/products/{product_id}", summary="Read a product")
async def read_product(product_id: IdPath, hub: HubDep, who: Reader) -> ProductOut:
    async with hub.db.session() as s:
        row = await owned(s, Product, product_id, who.account_id, "product")
    return (await _product_outs(hub, [row]))[0]


@router.put("/products/{product_id}/images", summary="Replace a product's images")
async def put_images(product_id: IdPath, body: ImagesIn, hub: HubDep, who: Writer) -> ProductOut:
    async with hub.db.session() as s:
        row = await owned(s, Product, product_id, who.account_id, "product")
        row.images = [i.model_dump(mode="json") for i in body.images]
        row.updated_at = utcnow()
    return (await _product_outs(hub, [row]))[0]


@router.get(
    "/offers",
    summary="List offers and bundles with barcodes and listing status per channel",
    response_model=Page[OfferOut],
)
async def list_offers(
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    sku: SkuFilter = None,
    kind: Annotated[str | None, Query(pattern="^(simple|bundle)$")] = None,
    product_id: IdQuery = None,
    stock_known: Annotated[
        bool | None, Query(description="only offers whose stock the hub knows (true) or does not (false)")
    ] = None,
) -> Response:
    equal = {"sku": sku, "kind": kind, "product_id": product_id}
    filters = {name: value for name, value in equal.items() if value is not None}
    statement = page_statement(tuple(filters), stock_known)
    params = {**filters, "after": decode_cursor(cursor), "limit": limit}
    items = await offer_answers(hub.db, who.account_id, statement, params)
    return page_answer(items, next_cursor([i["id"] for i in items], limit))


@router.get("/offers/{offer_id}", summary="Read an offer or bundle", response_model=OfferOut)
async def read_offer(offer_id: IdPath, hub: HubDep, who: Reader) -> Response:
    found = await offer_answers(hub.db, who.account_id, one_statement(), {"offer_id": offer_id})
    if not found:
        raise not_found("offer")
    return json_response(found[0])


class ListIn(BaseModel):
    offer_skus: list[model.common.Code] = Field(min_length=1, max_length=1000)


class ListOut(BaseModel):
    task_id: str | None = Field(
        description="the marketplace's card task (moderation is followed in the background); "
        "null when every offer was on the channel already and is only put back on sale"
    )
    offers: int
    relisted: int = Field(default=0, description="offers already on the channel, put back on sale")


@router.post(
    "/listings/{connection_id}",
    status_code=202,
    summary="List offers on a channel: send their cards (category, attributes, images, price) for moderation",
)
async def list_on_channel(connection_id: IdPath, body: ListIn, hub: HubDep, who: Writer) -> ListOut:
    conn, channel = await channel_of(hub, connection_id, who.account_id)
    async with hub.db.session() as s:
        found = await catalog.ids_by_sku(s, Offer, who.account_id, body.offer_skus)
    errors = ItemErrors()
    errors.unknown(((n, sku, sku) for n, sku in enumerate(body.offer_skus)), set(found), "offer_sku", "offer")
    errors.raise_if_any()
    offer_ids = sorted(v[0] for v in found.values())
    async with hub.db.session() as s:  # offers on the channel already are only put back on sale
        relisted = await ledger.set_listed(s, who.account_id, connection_id, offer_ids, listed=True)
        on_channel = set(await linked_offer_ids(s, connection_id))
    new = [o for o in offer_ids if o not in on_channel]
    task_id = await sync_catalog.export_cards(hub.db, conn, channel, new) if new else None
    return ListOut(task_id=task_id, offers=len(found), relisted=relisted)


class DelistOut(BaseModel):
    delisted: int = Field(
        description="listings taken off sale by this call (already delisted ones are not counted)"
    )


@router.post(
    "/listings/{connection_id}/delist",
    summary="Take offers off sale on a channel: their stock there is pushed as 0 until they are listed again",
)
async def delist_on_channel(connection_id: IdPath, body: ListIn, hub: HubDep, who: Writer) -> DelistOut:
    await channel_of(hub, connection_id, who.account_id)
    async with hub.db.session() as s:
        found = await catalog.ids_by_sku(s, Offer, who.account_id, body.offer_skus)
        errors = ItemErrors()
        errors.unknown(
            ((n, sku, sku) for n, sku in enumerate(body.offer_skus)), set(found), "offer_sku", "offer"
        )
        errors.raise_if_any()
        changed = await ledger.set_listed(
            s, who.account_id, connection_id, [v[0] for v in found.values()], listed=False
        )
    return DelistOut(delisted=changed)
