"""Bulk upserts of the catalog: products, offers (variants) and bundles, validated whole first.

Every check that needs the database (SKU of the wrong kind, unknown product or component,
a barcode owned by another offer) runs over the whole request before anything is written;
any problem raises `BulkInvalid` naming every offending item, and the caller's transaction
writes nothing. Rows are written in batches with INSERT ... ON CONFLICT, never one ORM object
at a time, so tens of thousands of items take seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge import model
from marketbridge.store.tables import Barcode, BundleComponent, Offer, Product
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for


@dataclass(frozen=True)
class ItemProblem:
    index: int
    sku: str
    field: str
    message: str


class BulkInvalid(Exception):
    def __init__(self, problems: list[ItemProblem]) -> None:
        super().__init__(f"{len(problems)} invalid item(s)")
        self.problems = problems


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    ids: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _OfferItem:
    """An offer to write, with where it came from in the request (for error messages)."""

    index: int
    path: str
    offer: model.Offer


def _among(session: AsyncSession, column: Any, values: list[str]) -> Any:
    """`column IN values`; on PostgreSQL as `= ANY(array)`: one parameter, and an index lookup per
    value even when the planner's statistics are stale right after a large write."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    return column.in_(values)


def _parts(session: AsyncSession, values: Sequence[str]) -> list[list[str]]:
    """Values in slices small enough for SQLite's parameter limit (PostgreSQL takes one array)."""
    distinct = sorted(set(values))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return [distinct] if distinct else []
    return chunks(distinct)


async def ids_by_sku(
    session: AsyncSession, table: Any, account_id: int, skus: Sequence[str]
) -> dict[str, Any]:
    """sku → (id, kind) for offers, sku → id for products; only the account's rows."""
    out: dict[str, Any] = {}
    for part in _parts(session, skus):
        if table is Offer:
            query: Any = select(Offer.sku, Offer.id, Offer.kind).where(
                Offer.account_id == account_id, _among(session, Offer.sku, part)
            )
            out.update({sku: (id_, kind) for sku, id_, kind in await session.execute(query)})
        else:
            query = select(Product.sku, Product.id).where(
                Product.account_id == account_id, _among(session, Product.sku, part)
            )
            out.update({sku: id_ for sku, id_ in await session.execute(query)})
    return out


def _duplicates(items: Sequence[tuple[int, str, str]]) -> list[ItemProblem]:
    seen: dict[str, int] = {}
    out = []
    for index, sku, path in items:
        if sku in seen:
            out.append(ItemProblem(index, sku, f"{path}.sku", f"SKU given twice (first at item {seen[sku]})"))
        else:
            seen[sku] = index
    return out


async def _check_offers(
    session: AsyncSession, account_id: int, items: list[_OfferItem], kind: str, known_products: set[str]
) -> tuple[list[ItemProblem], dict[str, Any], set[str]]:
    """Problems, the referenced products (sku → id) and the SKUs that exist already."""
    problems = _duplicates([(i.index, i.offer.sku, i.path) for i in items])
    existing = await ids_by_sku(session, Offer, account_id, [i.offer.sku for i in items])
    for item in items:
        found = existing.get(item.offer.sku)
        if found and found[1] != kind:
            problems.append(
                ItemProblem(item.index, item.offer.sku, f"{item.path}.sku", f"this SKU is a {found[1]} offer")
            )
    wanted_products = {i.offer.product_sku for i in items if i.offer.product_sku} - known_products
    products = (
        await ids_by_sku(session, Product, account_id, sorted(wanted_products)) if wanted_products else {}
    )
    for item in items:
        psku = item.offer.product_sku
        if psku and psku not in known_products and psku not in products:
            problems.append(
                ItemProblem(item.index, item.offer.sku, f"{item.path}.product_sku", f"no product {psku!r}")
            )
    owner_in_request: dict[str, tuple[int, str]] = {}
    for item in items:
        for code in item.offer.barcodes:
            other = owner_in_request.get(code)
            if other and other[1] != item.offer.sku:
                problems.append(
                    ItemProblem(
                        item.index,
                        item.offer.sku,
                        f"{item.path}.barcodes",
                        f"barcode {code} also given to {other[1]}",
                    )
                )
            owner_in_request.setdefault(code, (item.index, item.offer.sku))
    in_request = {i.offer.sku for i in items}
    for part in _parts(session, list(owner_in_request)):
        rows = await session.execute(
            select(Barcode.value, Offer.sku)
            .join(Offer, Offer.id == Barcode.offer_id)
            .where(Barcode.account_id == account_id, _among(session, Barcode.value, part))
        )
        for code, owner in rows:
            index, sku = owner_in_request[code]
            if owner != sku and owner not in in_request:
                problems.append(
                    ItemProblem(index, sku, "barcodes", f"barcode {code} belongs to offer {owner}")
                )
    return problems, products, set(existing)


async def _upsert_by_sku(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], columns: Sequence[str]
) -> dict[str, int]:
    """INSERT ... ON CONFLICT (account_id, sku) DO UPDATE the given columns; sku → id."""
    if not rows:
        return {}
    stmt = insert_for(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["account_id", "sku"], set_={c: getattr(stmt.excluded, c) for c in columns}
    ).returning(table.sku, table.id)
    # executemany: SQLAlchemy batches the rows into multi-row statements compiled once
    return {sku: id_ for sku, id_ in await session.execute(stmt, rows)}


async def _write_offers(
    session: AsyncSession,
    account_id: int,
    items: list[_OfferItem],
    kind: str,
    product_ids: dict[str, int],
    existing: set[str],
) -> UpsertCounts:
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "account_id": account_id,
            "sku": i.offer.sku,
            "kind": kind,
            "product_id": product_ids.get(i.offer.product_sku) if i.offer.product_sku else None,
            "name": i.offer.name,
            "size": i.offer.size,
            "color": i.offer.color,
            "weight_g": i.offer.weight_g,
            "requires_marking": i.offer.requires_marking,
            "updated_at": now,
        }
        for i in items
    ]
    columns = ("product_id", "name", "size", "color", "weight_g", "requires_marking", "updated_at")
    ids = await _upsert_by_sku(session, Offer, rows, columns)
    id_list = sorted(ids.values())
    for part in chunks(id_list):
        await session.execute(delete(Barcode).where(Barcode.offer_id.in_(part)))
    barcodes = [
        {"account_id": account_id, "offer_id": ids[i.offer.sku], "value": code}
        for i in items
        for code in i.offer.barcodes
    ]
    if barcodes:
        await session.execute(insert_for(session, Barcode), barcodes)
    created = sum(1 for i in items if i.offer.sku not in existing)
    return UpsertCounts(created=created, updated=len(items) - created, ids=ids)


async def upsert_offers(
    session: AsyncSession, account_id: int, offers: Sequence[model.Offer]
) -> UpsertCounts:
    items = [_OfferItem(n, f"items[{n}]", o) for n, o in enumerate(offers)]
    problems, products, existing = await _check_offers(session, account_id, items, "simple", set())
    if problems:
        raise BulkInvalid(problems)
    return await _write_offers(session, account_id, items, "simple", products, existing)


async def upsert_products(
    session: AsyncSession, account_id: int, products: Sequence[model.Product]
) -> tuple[UpsertCounts, UpsertCounts]:
    """Products and their nested offers; returns the counts for products and for offers."""
    problems = _duplicates([(n, p.sku, f"items[{n}]") for n, p in enumerate(products)])
    items: list[_OfferItem] = []
    for n, product in enumerate(products):
        for m, offer in enumerate(product.offers):
            if offer.product_sku not in (None, product.sku):
                problems.append(
                    ItemProblem(
                        n, offer.sku, f"items[{n}].offers[{m}].product_sku", "differs from the product's SKU"
                    )
                )
            items.append(
                _OfferItem(
                    n, f"items[{n}].offers[{m}]", offer.model_copy(update={"product_sku": product.sku})
                )
            )
    offer_problems, _, existing_offers = await _check_offers(
        session, account_id, items, "simple", {p.sku for p in products}
    )
    problems += offer_problems
    if problems:
        raise BulkInvalid(problems)
    existing_products = set(await ids_by_sku(session, Product, account_id, [p.sku for p in products]))
    now = utcnow()
    rows = [
        {
            "account_id": account_id,
            "sku": p.sku,
            "name": p.name,
            "description": p.description,
            "brand": p.brand,
            "category_id": p.category_id,
            "images": [i.model_dump(mode="json") for i in p.images],
            "attributes": [a.model_dump(mode="json") for a in p.attributes],
            "updated_at": now,
        }
        for p in products
    ]
    columns = ("name", "description", "brand", "category_id", "images", "attributes", "updated_at")
    product_ids = await _upsert_by_sku(session, Product, rows, columns)
    created = sum(1 for p in products if p.sku not in existing_products)
    product_counts = UpsertCounts(created=created, updated=len(products) - created, ids=product_ids)
    offer_counts = await _write_offers(session, account_id, items, "simple", product_ids, existing_offers)
    return product_counts, offer_counts


async def upsert_bundles(
    session: AsyncSession, account_id: int, bundles: Sequence[model.Bundle]
) -> UpsertCounts:
    """Bundles as offers of kind 'bundle' with their components (which must be simple offers)."""
    items = [_OfferItem(n, f"items[{n}]", model.Offer(sku=b.sku, name=b.name)) for n, b in enumerate(bundles)]
    problems, _, existing = await _check_offers(session, account_id, items, "bundle", set())
    components = await ids_by_sku(
        session, Offer, account_id, [c.offer_sku for b in bundles for c in b.components]
    )
    for n, bundle in enumerate(bundles):
        for m, comp in enumerate(bundle.components):
            found = components.get(comp.offer_sku)
            if found is None or found[1] != "simple":
                message = "no such offer" if found is None else "a component must be a simple offer"
                problems.append(ItemProblem(n, bundle.sku, f"items[{n}].components[{m}].offer_sku", message))
    if problems:
        raise BulkInvalid(problems)
    counts = await _write_offers(session, account_id, items, "bundle", {}, existing)
    bundle_ids = sorted(counts.ids.values())
    for part in chunks(bundle_ids):
        await session.execute(delete(BundleComponent).where(BundleComponent.bundle_id.in_(part)))
    rows = [
        {"bundle_id": counts.ids[b.sku], "component_id": components[c.offer_sku][0], "quantity": c.quantity}
        for b in bundles
        for c in b.components
    ]
    if rows:
        await session.execute(insert_for(session, BundleComponent), rows)
    return counts
