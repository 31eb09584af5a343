"""Finding (or creating) the hub offer behind a marketplace unit, and linking the two.

Matching order: an existing link by the marketplace's unit id, then the connection's
configured identifiers (seller article, barcode; `match_by` setting), then — when allowed —
a new product and offer made from what the marketplace says. Links are inserted with ON
CONFLICT DO NOTHING on (connection, kind, external id), so concurrent imports cannot double.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.store.tables import Barcode, Link, Offer, Product
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for

DEFAULT_MATCH_BY = ("offer_code", "barcode")


@dataclass(frozen=True)
class UnitInfo:
    """What the marketplace tells about a unit, enough to match it or create it."""

    external_id: str
    offer_code: str
    barcodes: tuple[str, ...] = ()
    name: str | None = None
    product_code: str | None = None
    size: str | None = None
    color: str | None = None
    category_id: str | None = None
    brand: str | None = None
    requires_marking: bool = False


def match_by(settings: dict[str, Any]) -> tuple[str, ...]:
    value = settings.get("match_by") or DEFAULT_MATCH_BY
    if isinstance(value, str):
        value = [value]
    return tuple(v for v in value if v in ("offer_code", "barcode", "external_id"))


async def linked_offers(
    session: AsyncSession, connection_id: int, external_ids: Sequence[str]
) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in chunks(list(set(external_ids))):
        rows = await session.execute(
            select(Link.external_id, Link.entity_id).where(
                Link.connection_id == connection_id, Link.entity_kind == "offer", Link.external_id.in_(part)
            )
        )
        out.update({ext: ent for ext, ent in rows})
    return out


async def resolve_units(
    session: AsyncSession,
    account_id: int,
    connection_id: int,
    units: Sequence[UnitInfo],
    settings: dict[str, Any],
    create_missing: bool = True,
) -> dict[str, int]:
    """external id -> hub offer id for every unit that matched or was created; links the new ones."""
    resolved = await linked_offers(session, connection_id, [u.external_id for u in units])
    todo = [u for u in units if u.external_id not in resolved]
    if not todo:
        return resolved
    by_code: dict[str, int] = {}
    by_barcode: dict[str, int] = {}
    rules = match_by(settings)
    if "offer_code" in rules or "external_id" in rules:
        codes = {u.offer_code for u in todo if u.offer_code} | {u.external_id for u in todo}
        for part in chunks(sorted(codes)):
            by_code.update(
                {
                    sku: oid
                    for sku, oid in await session.execute(
                        select(Offer.sku, Offer.id).where(Offer.account_id == account_id, Offer.sku.in_(part))
                    )
                }
            )
    if "barcode" in rules:
        barcodes = sorted({b for u in todo for b in u.barcodes})
        for part in chunks(barcodes):
            for value, oid in await session.execute(
                select(Barcode.value, Barcode.offer_id).where(
                    Barcode.account_id == account_id, Barcode.value.in_(part)
                )
            ):
                by_barcode[value] = oid
    new_links: list[tuple[UnitInfo, int]] = []
    for unit in todo:
        offer_id: int | None = None
        for rule in rules:
            if rule == "offer_code" and unit.offer_code in by_code:
                offer_id = by_code[unit.offer_code]
            elif rule == "barcode":
                offer_id = next((by_barcode[b] for b in unit.barcodes if b in by_barcode), None)
            elif rule == "external_id" and unit.external_id in by_code:
                offer_id = by_code[unit.external_id]
            if offer_id is not None:
                break
        if offer_id is None and create_missing:
            offer_id = await _create_offer(session, account_id, unit)
            by_code[unit.offer_code or unit.external_id] = offer_id
        if offer_id is not None:
            new_links.append((unit, offer_id))
    await link_offers(session, account_id, connection_id, new_links)
    return await linked_offers(session, connection_id, [u.external_id for u in units])


async def link_offers(
    session: AsyncSession,
    account_id: int,
    connection_id: int,
    pairs: Sequence[tuple[UnitInfo, int]],
    status: str = "linked",
) -> None:
    now = utcnow()
    rows = [
        {
            "account_id": account_id,
            "connection_id": connection_id,
            "entity_kind": "offer",
            "entity_id": offer_id,
            "external_id": unit.external_id,
            "external_code": unit.offer_code,
            "status": status,
            "extra": {"barcode": unit.barcodes[0] if unit.barcodes else None},
            "updated_at": now,
        }
        for unit, offer_id in pairs
    ]
    if rows:
        stmt = insert_for(session, Link).on_conflict_do_nothing(
            index_elements=["connection_id", "entity_kind", "external_id"]
        )
        await session.execute(stmt, rows)


async def _create_offer(session: AsyncSession, account_id: int, unit: UnitInfo) -> int:
    """A product and offer made from the marketplace's description of a unit we did not know."""
    sku = unit.offer_code or unit.external_id
    product_sku = unit.product_code or sku
    product_id = (
        await session.execute(
            select(Product.id).where(Product.account_id == account_id, Product.sku == product_sku)
        )
    ).scalar_one_or_none()
    if product_id is None:
        stmt = insert_for(session, Product).values(
            account_id=account_id,
            sku=product_sku,
            name=unit.name or sku,
            brand=unit.brand,
            category_id=unit.category_id,
            images=[],
            attributes=[],
            updated_at=utcnow(),
        )
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["account_id", "sku"]))
        product_id = (
            await session.execute(
                select(Product.id).where(Product.account_id == account_id, Product.sku == product_sku)
            )
        ).scalar_one()
    stmt = insert_for(session, Offer).values(
        account_id=account_id,
        product_id=product_id,
        kind="simple",
        sku=sku,
        name=unit.name,
        size=unit.size,
        color=unit.color,
        requires_marking=unit.requires_marking,
        updated_at=utcnow(),
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["account_id", "sku"]))
    offer_id = (
        await session.execute(select(Offer.id).where(Offer.account_id == account_id, Offer.sku == sku))
    ).scalar_one()
    if unit.barcodes:
        bstmt = insert_for(session, Barcode).values(
            [{"account_id": account_id, "offer_id": offer_id, "value": b} for b in unit.barcodes]
        )
        await session.execute(bstmt.on_conflict_do_nothing(index_elements=["account_id", "value"]))
    return int(offer_id)
