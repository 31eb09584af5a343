"""Marketplace categories and their attributes (from the local cache), and category mapping.

The category tree is cached per marketplace kind by the catalog sync; attributes of a
category are fetched from the marketplace on first request and cached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import delete, select

from marketbridge import model
from marketbridge.api.bulk import ItemErrors
from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath
from marketbridge.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor
from marketbridge.api.problems import not_found
from marketbridge.api.scoped import channel_of, owned
from marketbridge.channels.roles import CatalogSource, require
from marketbridge.store.tables import CachedCategory, CategoryMapping, Connection
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for

router = APIRouter(prefix="/connections/{connection_id}", tags=["categories"])

ExternalId = Annotated[str, Path(min_length=1, max_length=64)]


class CategoryOut(model.Category):
    attributes_cached: bool


class CategoryMappingItem(BaseModel):
    hub_category: str = Field(
        min_length=1, max_length=200, description="the seller's own category name or code"
    )
    external_category_id: str = Field(min_length=1, max_length=64)


class CategoryMappings(BaseModel):
    items: list[CategoryMappingItem] = Field(max_length=10_000)


@router.get("/categories", summary="The marketplace's category tree, from the cache")
async def list_categories(
    connection_id: IdPath,
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    parent_id: Annotated[str | None, Query(max_length=64)] = None,
    leaf: bool | None = None,
) -> Page[CategoryOut]:
    async with hub.db.session() as s:
        conn = await owned(s, Connection, connection_id, who.account_id, "connection")
        query = select(CachedCategory).where(
            CachedCategory.channel_kind == conn.kind, CachedCategory.id > decode_cursor(cursor)
        )
        if parent_id is not None:
            query = query.where(CachedCategory.parent_id == parent_id)
        if leaf is not None:
            query = query.where(CachedCategory.leaf.is_(leaf))
        rows = list((await s.execute(query.order_by(CachedCategory.id).limit(limit))).scalars())
    items = [
        CategoryOut(
            id=r.external_id,
            name=r.name,
            parent_id=r.parent_id,
            leaf=r.leaf,
            attributes_cached=r.attributes is not None,
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=next_cursor([r.id for r in rows], limit))


class RefreshOut(BaseModel):
    categories: int


@router.post(
    "/categories/refresh",
    summary="Fetch the marketplace's category tree into the cache (shared by every connection of its kind)",
)
async def refresh_categories(connection_id: IdPath, hub: HubDep, who: Writer) -> RefreshOut:
    conn, channel = await channel_of(hub, connection_id, who.account_id)
    tree = await require(channel, CatalogSource).categories()
    now = utcnow()
    rows = [
        {
            "channel_kind": conn.kind,
            "external_id": c.id[:64],
            "name": c.name[:500],
            "parent_id": c.parent_id[:64] if c.parent_id else None,
            "leaf": c.leaf,
            "fetched_at": now,
        }
        for c in tree
    ]
    if rows:
        async with hub.db.session() as s:
            stmt = insert_for(s, CachedCategory)
            stmt = stmt.on_conflict_do_update(
                index_elements=["channel_kind", "external_id"],
                set_={c: getattr(stmt.excluded, c) for c in ("name", "parent_id", "leaf", "fetched_at")},
            )
            await s.execute(stmt, rows)
    return RefreshOut(categories=len(rows))


@router.get(
    "/categories/{external_id}/attributes",
    summary="Attributes a category asks for (fetched from the marketplace once, then cached)",
)
async def category_attributes(
    connection_id: IdPath, external_id: ExternalId, hub: HubDep, who: Reader
) -> list[model.CategoryAttribute]:
    async with hub.db.session() as s:
        conn = await owned(s, Connection, connection_id, who.account_id, "connection")
        cached = (
            await s.execute(
                select(CachedCategory).where(
                    CachedCategory.channel_kind == conn.kind, CachedCategory.external_id == external_id
                )
            )
        ).scalar_one_or_none()
    if cached is None:
        raise not_found("category")
    if cached.attributes is not None:
        return [model.CategoryAttribute.model_validate(a) for a in cached.attributes]
    _, channel = await channel_of(hub, connection_id, who.account_id)
    fetched = await require(channel, CatalogSource).category_attributes(external_id)
    async with hub.db.session() as s:
        row = await s.get(CachedCategory, cached.id)
        if row is not None:
            row.attributes = [a.model_dump(mode="json") for a in fetched]
            row.fetched_at = utcnow()
    return fetched


@router.get("/category-mappings", summary="Which marketplace category each hub category goes to")
async def get_category_mappings(connection_id: IdPath, hub: HubDep, who: Reader) -> CategoryMappings:
    async with hub.db.session() as s:
        await owned(s, Connection, connection_id, who.account_id, "connection")
        rows = await s.execute(
            select(CategoryMapping.hub_category, CategoryMapping.external_category_id)
            .where(CategoryMapping.connection_id == connection_id)
            .order_by(CategoryMapping.id)
        )
        return CategoryMappings(
            items=[CategoryMappingItem(hub_category=h, external_category_id=e) for h, e in rows]
        )


@router.put("/category-mappings", summary="Replace the category mapping of a connection")
async def put_category_mappings(
    connection_id: IdPath, body: CategoryMappings, hub: HubDep, who: Writer
) -> CategoryMappings:
    errors = ItemErrors()
    names = [i.hub_category for i in body.items]
    errors.duplicates([(n,) for n in names], names, "hub category", "hub_category")
    async with hub.db.session() as s:
        conn = await owned(s, Connection, connection_id, who.account_id, "connection")
        known: set[str] = set()
        for part in chunks(sorted({i.external_category_id for i in body.items})):
            query = select(CachedCategory.external_id).where(
                CachedCategory.channel_kind == conn.kind, CachedCategory.external_id.in_(part)
            )
            known.update(r[0] for r in await s.execute(query))
        errors.unknown(
            ((n, i.hub_category, i.external_category_id) for n, i in enumerate(body.items)),
            known,
            "external_category_id",
            "cached marketplace category",
        )
        errors.raise_if_any()
        await s.execute(delete(CategoryMapping).where(CategoryMapping.connection_id == connection_id))
        for item in body.items:
            s.add(
                CategoryMapping(
                    account_id=who.account_id,
                    connection_id=connection_id,
                    hub_category=item.hub_category,
                    external_category_id=item.external_category_id,
                )
            )
    return body
