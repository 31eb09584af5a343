"""Mapping screens of one connection: hub warehouses → marketplace warehouses, hub price types →
marketplace price fields, hub categories → marketplace categories (from the cached tree)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from marketbridge.channels.errors import ChannelError
from marketbridge.channels.roles import CatalogSource, RemoteWarehouse, require
from marketbridge.store.tables import (
    CachedCategory,
    CategoryMapping,
    Connection,
    PriceMapping,
    PriceType,
    Product,
    Warehouse,
    WarehouseMapping,
)
from marketbridge.web.pages import (
    IdPath,
    IdQuery,
    Page,
    checked_form,
    form_id,
    hub_of,
    redirect,
    render,
    rows,
    url,
)
from marketbridge.web.views.common import account_connections
from marketbridge.wiring import Hub

router = APIRouter()

PRICE_TARGETS = ("price", "old_price", "min_price")
TABLES: dict[str, type[WarehouseMapping] | type[PriceMapping] | type[CategoryMapping]] = {
    "warehouses": WarehouseMapping,
    "prices": PriceMapping,
    "categories": CategoryMapping,
}
CATEGORY_CHOICES = 2000


async def _remote_warehouses(hub: Hub, conn: Connection) -> tuple[list[RemoteWarehouse], str | None]:
    try:
        return list(await hub.channels.get(conn).list_warehouses()), None
    except (ChannelError, ValueError) as exc:
        return [], str(exc)


async def _remote_categories(hub: Hub, conn: Connection) -> list[tuple[str, str]]:
    """The marketplace's leaf categories when none are cached yet (empty when it cannot be read)."""
    try:
        tree = await require(hub.channels.get(conn), CatalogSource).categories()
    except (ChannelError, ValueError):
        return []
    return sorted(((c.id, c.name) for c in tree if c.leaf), key=lambda c: c[1])[:CATEGORY_CHOICES]


@router.get("/mappings")
async def mappings_page(request: Request, viewer: Page, connection: IdQuery = None) -> Response:
    hub = hub_of(request)
    connections = await account_connections(hub, viewer.account_id)
    current = connections.get(connection or 0) or next(iter(connections.values()), None)
    context: dict[str, Any] = {"connections": connections, "current": current}
    if current is None:
        return render(request, viewer, "mappings.html", **context)
    remote, remote_error = await _remote_warehouses(hub, current.row)
    async with hub.db.session() as s:
        account = viewer.account_id
        warehouses = await rows(
            s, select(Warehouse).where(Warehouse.account_id == account).order_by(Warehouse.code)
        )
        price_types = await rows(
            s, select(PriceType).where(PriceType.account_id == account).order_by(PriceType.code)
        )
        context.update(
            warehouses=warehouses,
            price_types=price_types,
            remote=remote,
            remote_error=remote_error,
            warehouse_maps=await rows(
                s,
                select(WarehouseMapping)
                .where(WarehouseMapping.connection_id == current.id)
                .order_by(WarehouseMapping.id),
            ),
            price_maps=await rows(
                s,
                select(PriceMapping)
                .where(PriceMapping.connection_id == current.id)
                .order_by(PriceMapping.id),
            ),
            category_maps=await rows(
                s,
                select(CategoryMapping)
                .where(CategoryMapping.connection_id == current.id)
                .order_by(CategoryMapping.hub_category),
            ),
            hub_categories=sorted(
                c
                for (c,) in await s.execute(
                    select(Product.category_id)
                    .where(Product.account_id == account, Product.category_id.is_not(None))
                    .distinct()
                )
                if c
            ),
            targets=PRICE_TARGETS,
        )
        cached = await rows(
            s,
            select(CachedCategory)
            .where(CachedCategory.channel_kind == current.kind, CachedCategory.leaf.is_(True))
            .order_by(CachedCategory.name)
            .limit(CATEGORY_CHOICES),
        )
    context["remote_categories"] = [(c.external_id, c.name) for c in cached] or await _remote_categories(
        hub, current.row
    )
    context["warehouse_names"] = {w.id: f"{w.code} — {w.name}" for w in warehouses}
    context["remote_names"] = {w.external_id: w.name for w in remote}
    context["price_names"] = {p.id: f"{p.code} — {p.name}" for p in price_types}
    return render(request, viewer, "mappings.html", **context)


@router.post("/mappings/{connection_id}/{table}")
async def add_mapping(request: Request, connection_id: IdPath, table: str, viewer: Page) -> Response:
    back = url("/mappings", connection=connection_id)
    form, t, refused = await checked_form(request, viewer, back)
    if refused:
        return refused
    hub = hub_of(request)
    connections = await account_connections(hub, viewer.account_id)
    if connection_id not in connections or table not in TABLES:
        return redirect(request, back, ("error", t("not_found.text")))
    account = viewer.account_id
    try:
        async with hub.db.session() as s:
            if table == "warehouses":
                wh_id = form_id(form.get("warehouse_id"))
                external = (form.get("external_id") or "").strip()[:128]
                owned = await s.get(Warehouse, wh_id)
                if owned is None or owned.account_id != account or not external:
                    raise ValueError
                s.add(
                    WarehouseMapping(
                        account_id=account,
                        connection_id=connection_id,
                        warehouse_id=wh_id,
                        external_warehouse_id=external,
                    )
                )
            elif table == "prices":
                type_id = form_id(form.get("price_type_id"))
                target = form.get("target") or ""
                owned_type = await s.get(PriceType, type_id)
                if owned_type is None or owned_type.account_id != account or target not in PRICE_TARGETS:
                    raise ValueError
                s.add(
                    PriceMapping(
                        account_id=account, connection_id=connection_id, price_type_id=type_id, target=target
                    )
                )
            else:
                hub_category = (form.get("hub_category") or "").strip()[:200]
                external = (form.get("external_category_id") or "").strip()[:64]
                if not hub_category or not external:
                    raise ValueError
                s.add(
                    CategoryMapping(
                        account_id=account,
                        connection_id=connection_id,
                        hub_category=hub_category,
                        external_category_id=external,
                    )
                )
    except ValueError:
        return redirect(request, back, ("error", t("map.bad")))
    except IntegrityError:
        return redirect(request, back, ("error", t("map.exists")))
    return redirect(request, back, ("ok", t("map.saved")))


@router.post("/mappings/{connection_id}/{table}/{mapping_id}/delete")
async def delete_mapping(
    request: Request, connection_id: IdPath, table: str, mapping_id: IdPath, viewer: Page
) -> Response:
    back = url("/mappings", connection=connection_id)
    _, t, refused = await checked_form(request, viewer, back)
    if refused:
        return refused
    target = TABLES.get(table)
    if target is None:
        return redirect(request, back, ("error", t("not_found.text")))
    async with hub_of(request).db.session() as s:
        await s.execute(
            delete(target).where(
                target.id == mapping_id,
                target.connection_id == connection_id,
                target.account_id == viewer.account_id,
            )
        )
    return redirect(request, back, ("ok", t("map.deleted")))
