"""Catalog: products, offers (variants) and bundles with bulk upsert, images, listing status per channel.

Bulk upserts are validated whole: any invalid item → 422 naming every invalid item by index
and SKU, and nothing is written. A request holds at most MAX_BULK items; in the products
upsert each product and each of its nested offers counts as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import not_, select

from marketbridge import model
from marketbridge.api.bulk import ItemErrors
from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath, IdQuery
from marketbridge.api.pagination import Cursor, Limit, Page, next_cursor, page_rows
from marketbridge.api.problems import FieldError, Problem
from marketbridge.api.scoped import channel_of, linked_offer_ids, owned
from marketbridge.store import catalog
from marketbridge.store.stock_known import stock_known_clause
from marketbridge.store.tables import Barcode, BundleComponent, Link, Offer, Product
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


class ListingOut(BaseModel):
    connection_id: int
    external_id: str
    external_code: str | None
    status: model.ListingStatus
    status_reason: str | None
    updated_at: datetime


class ComponentOut(BaseModel):
    offer_id: int
    quantity: int


class OfferOut(BaseModel):
    id: int
    sku: str
    kind: str = Field(description="simple | bundle")
    product_id: int | None
    name: str | None
    size: str | None
    color: str | None
    weight_g: int | None
    requires_marking: bool
    barcodes: list[str]
    components: list[ComponentOut]
    listings: list[ListingOut]
    stock_known: bool = Field(
        description="false: the seller never set (or imported) this offer's stock; nothing is pushed for it"
    )
    updated_at: datetime


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


#: A page of offers loads their columns as plain rows, much cheaper than mapped objects.
OFFER_COLUMNS = tuple(Offer.__table__.columns)


async def _offer_outs(hub: HubDep, rows: Sequence[Any]) -> list[OfferOut]:
    """The answers for offers: mapped `Offer` objects or rows of OFFER_COLUMNS."""
    ids = [r.id for r in rows]
    barcodes: dict[int, list[str]] = defaultdict(list)
    components: dict[int, list[ComponentOut]] = defaultdict(list)
    listings: dict[int, list[ListingOut]] = defaultdict(list)
    known: set[int] = set()
    if ids:
        async with hub.db.reading() as s:
            known = set(
                (await s.execute(select(Offer.id).where(Offer.id.in_(ids), stock_known_clause()))).scalars()
            )
            for offer_id, value in await s.execute(
                select(Barcode.offer_id, Barcode.value).where(Barcode.offer_id.in_(ids)).order_by(Barcode.id)
            ):
                barcodes[offer_id].append(value)
            bundles = [r.id for r in rows if r.kind == "bundle"]
            for bundle_id, comp, qty in (
                await s.execute(
                    select(BundleComponent.bundle_id, BundleComponent.component_id, BundleComponent.quantity)
                    .where(BundleComponent.bundle_id.in_(bundles))
                    .order_by(BundleComponent.id)
                )
                if bundles
                else ()
            ):
                components[bundle_id].append(ComponentOut(offer_id=comp, quantity=qty))
            links = (
                await s.execute(
                    select(Link)
                    .where(
                        Link.entity_kind == "offer",
                        Link.entity_id.in_(ids),
                        Link.account_id == rows[0].account_id,
                    )
                    .order_by(Link.id)
                )
            ).scalars()
            for link in links:
                listings[link.entity_id].append(
                    ListingOut(
                        connection_id=link.connection_id,
                        external_id=link.external_id,
                        external_code=link.external_code,
                        status=_listing_status(link.status),
                        status_reason=link.status_reason,
                        updated_at=link.updated_at,
                    )
                )
    return [
        OfferOut(
            id=r.id,
            sku=r.sku,
            kind=r.kind,
            product_id=r.product_id,
            name=r.name,
            size=r.size,
            color=r.color,
            weight_g=r.weight_g,
            requires_marking=r.requires_marking,
            barcodes=barcodes[r.id],
            components=components[r.id],
            listings=listings[r.id],
            stock_known=r.id in known,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def _listing_status(raw: str | None) -> model.ListingStatus:
    try:
        return model.ListingStatus(raw or "linked")
    except ValueError:
        return model.ListingStatus.LINKED


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


@router.get("/offers", summary="List offers and bundles with barcodes and listing status per channel")
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
) -> Page[OfferOut]:
    where = None if stock_known is None else stock_known_clause()
    if stock_known is False:
        where = not_(stock_known_clause())
    equal = {"sku": sku, "kind": kind, "product_id": product_id}
    rows = await page_rows(hub.db, Offer, who.account_id, cursor, limit, where, OFFER_COLUMNS, **equal)
    return Page(items=await _offer_outs(hub, rows), next_cursor=next_cursor([r.id for r in rows], limit))


@router.get("/offers/{offer_id}", summary="Read an offer or bundle")
async def read_offer(offer_id: IdPath, hub: HubDep, who: Reader) -> OfferOut:
    async with hub.db.session() as s:
        row = await owned(s, Offer, offer_id, who.account_id, "offer")
    return (await _offer_outs(hub, [row]))[0]


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
