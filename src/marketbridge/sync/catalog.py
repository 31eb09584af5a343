"""Catalog: import the marketplace's units and match them to the hub's; export new cards; follow moderation.

The import streams page by page (memory stays flat whatever the catalog size), matches by
the connection's identifiers, creates what is missing when the connection allows it, and
queues stock and price for every newly linked unit — so units that existed on the
marketplace before the connection get their stock too.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.channels.roles import (
    CardDraft,
    CardExporter,
    CatalogSource,
    Channel,
    PriceSource,
    RemoteOffer,
    require,
)
from marketbridge.model import EventType, ListingStatus
from marketbridge.store.db import Database
from marketbridge.store.events import emit
from marketbridge.store.tables import (
    Barcode,
    CardExport,
    CategoryMapping,
    Connection,
    Link,
    Offer,
    OfferPrice,
    PriceMapping,
    Product,
)
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for
from marketbridge.sync import ledger
from marketbridge.sync.dispatch import JobKind
from marketbridge.sync.errors import ActionRefused
from marketbridge.sync.kicks import kick_after_commit
from marketbridge.sync.matching import UnitInfo, link_offers, linked_offers, resolve_units
from marketbridge.sync.runs import RunRecorder


async def import_catalog(db: Database, conn: Connection, channel: Channel, recorder: RunRecorder) -> None:
    create_missing = bool(conn.settings.get("create_missing", True))
    async for page in require(channel, CatalogSource).iter_offers():
        units = [
            UnitInfo(
                external_id=o.external_id,
                offer_code=o.offer_code,
                barcodes=tuple(o.barcodes),
                name=o.name,
                product_code=o.product_code or o.product_external_id,
                size=o.size,
                color=o.color,
                category_id=o.category_id,
                brand=o.brand,
                requires_marking=o.requires_marking,
            )
            for o in page
        ]
        async with db.session() as s:
            before = await linked_offers(s, conn.id, [u.external_id for u in units])
            resolved = await resolve_units(s, conn.account_id, conn.id, units, conn.settings, create_missing)
            await _record_listing_states(s, conn.id, page)
            new = [resolved[e] for e in resolved if e not in before]
            if new:
                await ledger.stock_changed(s, conn.account_id, new, connection_id=conn.id)
                await ledger.price_changed(s, conn.account_id, new, connection_id=conn.id)
        recorder.count("seen", len(page))
        recorder.count("linked", len(resolved) - len(before))
        recorder.count("unmatched", len(page) - len(resolved))
        await recorder.heartbeat()


async def _record_listing_states(s: AsyncSession, connection_id: int, page: Sequence[RemoteOffer]) -> None:
    """Write each unit's listing status where it changed, in one executemany."""
    current = {
        ext: (link_id, status, reason, code)
        for part in chunks([o.external_id for o in page])
        for ext, link_id, status, reason, code in await s.execute(
            select(Link.external_id, Link.id, Link.status, Link.status_reason, Link.external_code).where(
                Link.connection_id == connection_id, Link.entity_kind == "offer", Link.external_id.in_(part)
            )
        )
    }
    changes = [
        {
            "link_id": current[o.external_id][0],
            "st": o.status.value,
            "why": o.status_reason,
            "code": o.offer_code,
        }
        for o in page
        if o.external_id in current
        and current[o.external_id][1:] != (o.status.value, o.status_reason, o.offer_code)
    ]
    if changes:
        links = Link.__table__
        assert isinstance(links, Table)
        await s.execute(
            links.update()
            .where(links.c.id == bindparam("link_id"))
            .values(status=bindparam("st"), status_reason=bindparam("why"), external_code=bindparam("code")),
            changes,
        )


async def export_cards(db: Database, conn: Connection, channel: Channel, offer_ids: Sequence[int]) -> str:
    """Send cards for hub offers that are not on the marketplace yet; returns the marketplace task id."""
    async with db.session() as s:
        drafts: list[CardDraft] = []
        categories = {
            hub: ext
            for hub, ext in await s.execute(
                select(CategoryMapping.hub_category, CategoryMapping.external_category_id).where(
                    CategoryMapping.connection_id == conn.id
                )
            )
        }
        unpriced: list[str] = []
        for part in chunks(list(offer_ids)):
            rows = await s.execute(
                select(Offer, Product)
                .join(Product, Product.id == Offer.product_id, isouter=True)
                .where(Offer.id.in_(part))
            )
            for offer, product in rows:
                if offer.account_id != conn.account_id:
                    continue
                barcodes = [
                    b for (b,) in await s.execute(select(Barcode.value).where(Barcode.offer_id == offer.id))
                ]
                prices = {
                    target: amount
                    for target, amount in await s.execute(
                        select(PriceMapping.target, OfferPrice.amount)
                        .join(OfferPrice, OfferPrice.price_type_id == PriceMapping.price_type_id)
                        .where(
                            PriceMapping.connection_id == conn.id,
                            PriceMapping.target.in_(("price", "old_price")),
                            OfferPrice.offer_id == offer.id,
                        )
                    )
                }
                price = prices.get("price")
                if price is None:  # never a card at price 0: moderation would refuse it
                    unpriced.append(offer.sku)
                    continue
                category = product.category_id if product else None
                attributes: dict[str, list[str]] = {}
                for attr in (product.attributes if product else []) or []:
                    attributes[str(attr.get("attribute_id"))] = [str(v) for v in attr.get("values", [])]
                drafts.append(
                    CardDraft(
                        offer_code=offer.sku,
                        name=offer.name or (product.name if product else offer.sku),
                        category_id=categories.get(category or "", category or ""),
                        barcodes=barcodes,
                        price=price,
                        old_price=prices.get("old_price"),
                        attributes=attributes,
                        description=product.description if product else None,
                        brand=product.brand if product else None,
                        images=[
                            str(i["url"])
                            for i in (product.images if product else [])
                            if isinstance(i, dict) and i.get("url")
                        ],
                        product_code=product.sku if product else None,
                        size=offer.size,
                        weight_g=offer.weight_g,
                    )
                )
    if unpriced:
        raise ActionRefused(
            "no_price",
            "no price in the hub price type mapped to this connection's price for: " + ", ".join(unpriced),
        )
    task_id = await require(channel, CardExporter).export_cards(drafts)
    async with db.session() as s:
        s.add(
            CardExport(
                account_id=conn.account_id,
                connection_id=conn.id,
                task_id=task_id,
                offer_codes=[d.offer_code for d in drafts],
            )
        )
        kick_after_commit(s, conn.id, JobKind.MODERATION)  # follow it at once
    return task_id


async def follow_moderation(db: Database, conn: Connection, channel: Channel, recorder: RunRecorder) -> int:
    """Ask about every open card export; record results per card; returns how many are still open."""
    async with db.session() as s:
        open_exports = list(
            (
                await s.execute(
                    select(CardExport).where(CardExport.connection_id == conn.id, CardExport.status == "open")
                )
            ).scalars()
        )
    still_open = 0
    for export in open_exports:
        results = await require(channel, CardExporter).card_export_status(export.task_id)
        if results is None:
            still_open += 1
            continue
        async with db.session() as s:
            row = await s.get(CardExport, export.id)
            assert row is not None
            row.status = "done"
            row.finished_at = utcnow()
            row.results = [
                {
                    "offer_code": r.offer_code,
                    "status": r.status.value,
                    "external_id": r.external_id,
                    "errors": r.errors,
                }
                for r in results
            ]
            by_code = {
                sku: oid
                for sku, oid in await s.execute(
                    select(Offer.sku, Offer.id).where(
                        Offer.account_id == conn.account_id, Offer.sku.in_([r.offer_code for r in results])
                    )
                )
            }
            linked: list[tuple[UnitInfo, int]] = []
            for r in results:
                offer_id = by_code.get(r.offer_code)
                if offer_id is None:
                    continue
                if r.external_id:
                    linked.append((UnitInfo(external_id=r.external_id, offer_code=r.offer_code), offer_id))
                rejected = r.status == ListingStatus.REJECTED
                await emit(
                    s,
                    conn.account_id,
                    EventType.CARD_REJECTED if rejected else EventType.CARD_MODERATED,
                    {
                        "connection_id": conn.id,
                        "offer_id": offer_id,
                        "offer_code": r.offer_code,
                        "status": r.status.value,
                        "errors": r.errors,
                    },
                )
                recorder.count("rejected" if rejected else "moderated")
            await link_offers(s, conn.account_id, conn.id, linked, status=ListingStatus.PENDING.value)
            for r in results:
                if r.external_id:
                    await s.execute(
                        update(Link)
                        .where(
                            Link.connection_id == conn.id,
                            Link.entity_kind == "offer",
                            Link.external_id == r.external_id,
                        )
                        .values(status=r.status.value, status_reason="; ".join(r.errors) or None)
                    )
            new_ids = [oid for _, oid in linked]
            if new_ids:
                await ledger.stock_changed(s, conn.account_id, new_ids, connection_id=conn.id)
                await ledger.price_changed(s, conn.account_id, new_ids, connection_id=conn.id)
    return still_open


async def import_prices(db: Database, conn: Connection, channel: Channel, recorder: RunRecorder) -> None:
    """Take the marketplace's current prices into the hub's price types mapped for this connection."""
    async with db.session() as s:
        mapping = {
            target: type_id
            for target, type_id in await s.execute(
                select(PriceMapping.target, PriceMapping.price_type_id).where(
                    PriceMapping.connection_id == conn.id
                )
            )
        }
    if "price" not in mapping:
        recorder.item_error("mapping", "no price type is mapped to this connection's price")
        return
    async for page in require(channel, PriceSource).iter_prices():
        async with db.session() as s:
            offers = await linked_offers(s, conn.id, [p.external_id for p in page])
            for remote in page:
                offer_id = offers.get(remote.external_id)
                if offer_id is None:
                    recorder.count("unlinked")
                    continue
                for target, value in (
                    ("price", remote.price),
                    ("old_price", remote.old_price),
                    ("min_price", remote.min_price),
                ):
                    if target not in mapping or value is None:
                        continue
                    stmt = insert_for(s, OfferPrice).values(
                        account_id=conn.account_id,
                        offer_id=offer_id,
                        price_type_id=mapping[target],
                        amount=value,
                        updated_at=utcnow(),
                    )
                    await s.execute(
                        stmt.on_conflict_do_update(
                            index_elements=["offer_id", "price_type_id"],
                            set_={"amount": value, "updated_at": utcnow()},
                        )
                    )
                recorder.count("imported")
