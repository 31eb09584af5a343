"""Products and their state on each channel: linked, on moderation, active, rejected with the reasons.

A card that was never accepted has no link; its state comes from the latest card export that
carried it (the marketplace's moderation answer, with its error texts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, not_, or_, select

from marketbridge.model import ListingStatus
from marketbridge.store.stock_known import stock_known_clause
from marketbridge.store.tables import Barcode, BundleComponent, CardExport, Link, Offer, Product
from marketbridge.web.pages import IdPath, Page, hub_of, render
from marketbridge.web.views.common import account_connections
from marketbridge.wiring import Hub

router = APIRouter()

PAGE_SIZE = 50
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
EXPORTS_LOOKED_AT = 500
#: The status filter for the offers whose stock the hub does not know (nothing is pushed for them).
NO_STOCK = "no_stock"


@dataclass
class ChannelState:
    status: str = ListingStatus.NOT_LISTED.value
    reasons: list[str] = field(default_factory=list)
    external_id: str | None = None
    exported_at: Any = None


async def _export_states(
    hub: Hub, account_id: int, codes: set[str] | None
) -> dict[tuple[int, str], ChannelState]:
    """(connection id, offer SKU) -> the state the newest finished or open export gave it."""
    out: dict[tuple[int, str], ChannelState] = {}
    async with hub.db.session() as s:
        exports = (
            await s.execute(
                select(CardExport)
                .where(CardExport.account_id == account_id)
                .order_by(CardExport.id.desc())
                .limit(EXPORTS_LOOKED_AT)
            )
        ).scalars()
        for export in exports:
            answered = {str(r.get("offer_code")): r for r in export.results or [] if isinstance(r, dict)}
            for code in export.offer_codes or []:
                key = (export.connection_id, str(code))
                if key in out or (codes is not None and code not in codes):
                    continue
                result = answered.get(str(code))
                if result is None:
                    out[key] = ChannelState(ListingStatus.PENDING.value, exported_at=export.created_at)
                else:
                    out[key] = ChannelState(
                        str(result.get("status") or ListingStatus.PENDING.value),
                        [str(e) for e in result.get("errors") or []],
                        result.get("external_id"),
                        export.finished_at or export.created_at,
                    )
    return out


async def channel_states(
    hub: Hub, account_id: int, offers: list[Offer]
) -> dict[tuple[int, int], ChannelState]:
    """(offer id, connection id) -> state: the link's when linked, else the card export's."""
    ids = [o.id for o in offers]
    states: dict[tuple[int, int], ChannelState] = {}
    exports = await _export_states(hub, account_id, {o.sku for o in offers})
    for (conn_id, code), state in exports.items():
        for offer in offers:
            if offer.sku == code:
                states[(offer.id, conn_id)] = state
    if ids:
        async with hub.db.session() as s:
            links = (
                await s.execute(
                    select(Link).where(
                        Link.account_id == account_id, Link.entity_kind == "offer", Link.entity_id.in_(ids)
                    )
                )
            ).scalars()
            for link in links:
                reasons = [r.strip() for r in (link.status_reason or "").split(";") if r.strip()]
                states[(link.entity_id, link.connection_id)] = ChannelState(
                    link.status or ListingStatus.LINKED.value, reasons, link.external_id, link.updated_at
                )
    return states


async def _offer_ids_with_status(hub: Hub, account_id: int, status: str) -> set[int]:
    by_export = {
        code for (_, code), st in (await _export_states(hub, account_id, None)).items() if st.status == status
    }
    async with hub.db.session() as s:
        found = {
            oid
            for (oid,) in await s.execute(
                select(Link.entity_id).where(
                    Link.account_id == account_id, Link.entity_kind == "offer", Link.status == status
                )
            )
        }
        if by_export:
            found |= {
                oid
                for (oid,) in await s.execute(
                    select(Offer.id).where(Offer.account_id == account_id, Offer.sku.in_(by_export))
                )
            }
    return found


@router.get("/products")
async def products(
    request: Request, viewer: Page, q: str = "", status: str = "", page: PageNumber = 1
) -> Response:
    hub = hub_of(request)
    connections = await account_connections(hub, viewer.account_id)
    page = max(page, 1)
    query = select(Offer).where(Offer.account_id == viewer.account_id)
    text = q.strip()[:100]
    if text:
        like = f"%{text}%"
        query = query.where(or_(Offer.sku.ilike(like), Offer.name.ilike(like)))
    statuses = [s.value for s in ListingStatus] + [NO_STOCK]
    if status == NO_STOCK:
        query = query.where(not_(stock_known_clause()))
    elif status in statuses:
        wanted = await _offer_ids_with_status(hub, viewer.account_id, status)
        query = query.where(Offer.id.in_(wanted or {-1}))
    async with hub.db.session() as s:
        total = int((await s.execute(select(func.count()).select_from(query.subquery()))).scalar_one())
        offers = list(
            (
                await s.execute(query.order_by(Offer.sku).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
            ).scalars()
        )
        ids = [o.id for o in offers]
        known = set(
            (await s.execute(select(Offer.id).where(Offer.id.in_(ids), stock_known_clause()))).scalars()
        )
    states = await channel_states(hub, viewer.account_id, offers)
    return render(
        request,
        viewer,
        "products.html",
        offers=offers,
        no_stock={o.id for o in offers} - known,
        states=states,
        connections=connections,
        q=text,
        status=status if status in statuses else "",
        statuses=statuses,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
    )


@router.get("/products/{offer_id}")
async def product(request: Request, offer_id: IdPath, viewer: Page) -> Response:
    hub = hub_of(request)
    async with hub.db.session() as s:
        offer = await s.get(Offer, offer_id)
        if offer is None or offer.account_id != viewer.account_id:
            return render(request, viewer, "not_found.html", http_status=404)
        item = await s.get(Product, offer.product_id) if offer.product_id else None
        barcodes = [b for (b,) in await s.execute(select(Barcode.value).where(Barcode.offer_id == offer.id))]
        components = list(
            (
                await s.execute(
                    select(Offer.sku, BundleComponent.quantity)
                    .join(Offer, Offer.id == BundleComponent.component_id)
                    .where(BundleComponent.bundle_id == offer.id)
                )
            ).tuples()
        )
    connections = await account_connections(hub, viewer.account_id)
    states = await channel_states(hub, viewer.account_id, [offer])
    return render(
        request,
        viewer,
        "product.html",
        offer=offer,
        item=item,
        barcodes=barcodes,
        components=components,
        connections=connections,
        states=states,
    )
