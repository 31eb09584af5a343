"""The work ledger: what must be pushed to which connection, recorded before anything is sent.

When stock or prices change in the hub, `stock_changed` / `price_changed` compute the value
each linked marketplace listing should now show and upsert one pending change per
(connection, listing[, marketplace warehouse]). A newer value overwrites an older one that
was not sent yet (coalescing), and a value equal to what the marketplace last accepted is
not queued at all (delta only). The pushers read due rows from here, so a lost queue
message or a crash loses nothing. Every connection that got a pending change is kicked once
the transaction committed (`sync/kicks.py`): the callers do not kick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.store.tables import (
    BundleComponent,
    Connection,
    Link,
    Offer,
    OfferPrice,
    PendingChange,
    PriceMapping,
    PushedValue,
    StockLevel,
    WarehouseMapping,
)
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for
from marketbridge.sync.dispatch import ChangeKind
from marketbridge.sync.kicks import kick_after_commit


def stock_key(external_id: str, warehouse_id: str) -> str:
    return f"{external_id}@{warehouse_id}"


#: The listing status of an offer taken off sale on one channel: its stock there is 0.
DELISTED = "delisted"


@dataclass(frozen=True)
class OfferLink:
    connection_id: int
    offer_id: int
    external_id: str
    offer_code: str
    barcode: str | None
    delisted: bool = False


async def _offer_links(
    session: AsyncSession, account_id: int, offer_ids: Sequence[int], connection_id: int | None = None
) -> list[OfferLink]:
    out: list[OfferLink] = []
    for part in chunks(list(offer_ids)):
        query = (
            select(
                Link.connection_id,
                Link.entity_id,
                Link.external_id,
                Link.external_code,
                Link.extra,
                Link.status,
            )
            .join(Connection, Connection.id == Link.connection_id)
            .where(
                Link.account_id == account_id,
                Link.entity_kind == "offer",
                Link.entity_id.in_(part),
                Connection.enabled.is_(True),
            )
        )
        if connection_id is not None:
            query = query.where(Link.connection_id == connection_id)
        for conn_id, offer_id, ext, code, extra, status in (await session.execute(query)).all():
            out.append(
                OfferLink(
                    conn_id, offer_id, ext, code or "", (extra or {}).get("barcode"), status == DELISTED
                )
            )
    return out


async def _with_bundles(session: AsyncSession, offer_ids: Iterable[int]) -> set[int]:
    """The offers plus every bundle that contains one of them."""
    ids = set(offer_ids)
    for part in chunks(list(ids)):
        rows = await session.execute(
            select(BundleComponent.bundle_id).where(BundleComponent.component_id.in_(part))
        )
        ids.update(r[0] for r in rows)
    return ids


async def _components(session: AsyncSession, bundle_ids: Iterable[int]) -> dict[int, list[tuple[int, int]]]:
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for part in chunks(list(bundle_ids)):
        rows = await session.execute(
            select(BundleComponent.bundle_id, BundleComponent.component_id, BundleComponent.quantity).where(
                BundleComponent.bundle_id.in_(part)
            )
        )
        for bundle_id, component_id, qty in rows:
            out[bundle_id].append((component_id, qty))
    return out


async def _available(session: AsyncSession, offer_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """offer id -> hub warehouse id -> available (on hand minus reserved, never negative), for
    the levels the seller set: a level with unknown on-hand stock (NULL) is left out."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for part in chunks(list(offer_ids)):
        rows = await session.execute(
            select(
                StockLevel.offer_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved
            ).where(StockLevel.offer_id.in_(part))
        )
        for offer_id, wh, on_hand, reserved in rows:
            if on_hand is not None:
                out[offer_id][wh] = max(on_hand - reserved, 0)
    return out


async def _warehouse_map(
    session: AsyncSession, connection_ids: Iterable[int]
) -> dict[int, dict[str, set[int]]]:
    """connection id -> marketplace warehouse id -> the hub warehouses that feed it."""
    out: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    ids = list(set(connection_ids))
    for part in chunks(ids):
        rows = await session.execute(
            select(
                WarehouseMapping.connection_id,
                WarehouseMapping.external_warehouse_id,
                WarehouseMapping.warehouse_id,
            ).where(WarehouseMapping.connection_id.in_(part))
        )
        for conn_id, ext_wh, wh in rows:
            out[conn_id][ext_wh].add(wh)
    return out


async def offer_kinds(session: AsyncSession, offer_ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in chunks(list(offer_ids)):
        out.update(
            {i: k for i, k in (await session.execute(select(Offer.id, Offer.kind).where(Offer.id.in_(part))))}
        )
    return out


async def stock_targets(
    session: AsyncSession, account_id: int, offer_ids: Iterable[int], connection_id: int | None = None
) -> list[tuple[int, str, dict[str, Any]]]:
    """(connection id, key, payload) for every linked listing × mapped marketplace warehouse
    whose stock is known: an offer the seller never set stock for in any hub warehouse feeding
    that marketplace warehouse (or a bundle with such a component) gets no value at all, so a
    live shop keeps the stock it shows until the seller sets or imports one."""
    ids = await _with_bundles(session, offer_ids)
    links = await _offer_links(session, account_id, sorted(ids), connection_id)
    if not links:
        return []
    kinds = await offer_kinds(session, {link.offer_id for link in links})
    bundles = await _components(session, [i for i, k in kinds.items() if k == "bundle"])
    needed = {link.offer_id for link in links} | {c for comps in bundles.values() for c, _ in comps}
    available = await _available(session, needed)
    whmap = await _warehouse_map(session, {link.connection_id for link in links})

    def avail(offer_id: int, hub_whs: set[int]) -> int | None:
        if offer_id in bundles:
            parts = [(avail(c, hub_whs), q) for c, q in bundles[offer_id]]
            if any(n is None for n, _ in parts):
                return None
            return min((int(n or 0) // q for n, q in parts), default=0)
        levels = available.get(offer_id, {})
        known = [levels[w] for w in hub_whs if w in levels]
        return sum(known) if known else None

    out: list[tuple[int, str, dict[str, Any]]] = []
    for link in links:
        for ext_wh, hub_whs in whmap.get(link.connection_id, {}).items():
            qty = 0 if link.delisted else avail(link.offer_id, hub_whs)
            if qty is None:
                continue
            payload = {
                "external_id": link.external_id,
                "offer_code": link.offer_code,
                "warehouse_id": ext_wh,
                "quantity": qty,
                "barcode": link.barcode,
                "offer_id": link.offer_id,
            }
            out.append((link.connection_id, stock_key(link.external_id, ext_wh), payload))
    return out


async def price_targets(
    session: AsyncSession, account_id: int, offer_ids: Iterable[int], connection_id: int | None = None
) -> list[tuple[int, str, dict[str, Any]]]:
    """(connection id, key, payload) with price / old_price / min_price per linked listing."""
    links = await _offer_links(session, account_id, sorted(set(offer_ids)), connection_id)
    if not links:
        return []
    conn_ids = {link.connection_id for link in links}
    mappings: dict[int, dict[str, int]] = defaultdict(dict)
    for conn_id, target, price_type_id in await session.execute(
        select(PriceMapping.connection_id, PriceMapping.target, PriceMapping.price_type_id).where(
            PriceMapping.connection_id.in_(conn_ids)
        )
    ):
        mappings[conn_id][target] = price_type_id
    prices: dict[tuple[int, int], Decimal] = {}
    for part in chunks(sorted({link.offer_id for link in links})):
        for offer_id, type_id, amount in await session.execute(
            select(OfferPrice.offer_id, OfferPrice.price_type_id, OfferPrice.amount).where(
                OfferPrice.offer_id.in_(part)
            )
        ):
            prices[(offer_id, type_id)] = amount
    out: list[tuple[int, str, dict[str, Any]]] = []
    for link in links:
        mapping = mappings.get(link.connection_id, {})
        if "price" not in mapping:
            continue
        price = prices.get((link.offer_id, mapping["price"]))
        if price is None:
            continue
        payload: dict[str, Any] = {
            "external_id": link.external_id,
            "offer_code": link.offer_code,
            "price": str(price),
            "offer_id": link.offer_id,
        }
        for target in ("old_price", "min_price"):
            value = prices.get((link.offer_id, mapping[target])) if target in mapping else None
            payload[target] = str(value) if value is not None else None
        out.append((link.connection_id, link.external_id, payload))
    return out


#: The pending changes as a Core table, for executemany statements with bound parameters.
PENDING_TABLE = cast(Table, PendingChange.__table__)
DROP_PENDING = delete(PENDING_TABLE).where(
    PENDING_TABLE.c.connection_id == bindparam("stale_connection"),
    PENDING_TABLE.c.kind == bindparam("stale_kind"),
    PENDING_TABLE.c.key == bindparam("stale_key"),
)


async def queue(
    session: AsyncSession,
    account_id: int,
    kind: ChangeKind,
    targets: list[tuple[int, str, dict[str, Any]]],
    force: bool = False,
) -> int:
    """Upsert pending changes; unless `force`, skip values the marketplace already holds.

    Each connection that got a change is kicked after the transaction commits."""
    if not targets:
        return 0
    pushed: dict[tuple[int, str], dict[str, Any]] = {}
    if not force:
        by_conn: dict[int, list[str]] = defaultdict(list)
        for conn_id, key, _ in targets:
            by_conn[conn_id].append(key)
        for conn_id, keys in by_conn.items():
            for part in chunks(keys):
                for key, value in await session.execute(
                    select(PushedValue.key, PushedValue.value).where(
                        PushedValue.connection_id == conn_id,
                        PushedValue.kind == kind,
                        PushedValue.key.in_(part),
                    )
                ):
                    pushed[(conn_id, key)] = value
    now = utcnow()
    rows: list[dict[str, Any]] = []
    stale: list[dict[str, Any]] = []
    for conn_id, key, payload in targets:
        if not force and _same(pushed.get((conn_id, key)), payload):
            stale.append({"stale_connection": conn_id, "stale_kind": kind, "stale_key": key})
            continue
        rows.append(
            {
                "account_id": account_id,
                "connection_id": conn_id,
                "kind": kind,
                "key": key,
                "payload": payload,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
    # rows are taken in (connection, key) order, as pushing._lock_in_key_order takes them
    stale.sort(key=lambda r: (r["stale_connection"], r["stale_key"]))
    rows.sort(key=lambda r: (r["connection_id"], r["key"]))
    if stale:  # the marketplace has these values already: drop any older pending value
        await session.execute(DROP_PENDING, stale)
    if rows:
        stmt = insert_for(session, PendingChange)
        stmt = stmt.on_conflict_do_update(
            index_elements=["connection_id", "kind", "key"],
            set_={
                "payload": stmt.excluded.payload,
                "version": PendingChange.version + 1,
                "updated_at": stmt.excluded.updated_at,
                "attempts": 0,
                "next_attempt_at": stmt.excluded.next_attempt_at,
                "last_error": None,
            },
        )
        await session.execute(stmt, rows)  # executemany: one cached statement, batched VALUES
        for conn_id in {row["connection_id"] for row in rows}:
            kick_after_commit(session, conn_id, kind.job)
    return len(rows)


#: Payload fields that are the hub's own bookkeeping, not part of the value the marketplace holds.
LOCAL_FIELDS = frozenset({"offer_id", "barcode"})


def marketplace_value(payload: dict[str, Any]) -> dict[str, Any]:
    """The part of a pending change that the marketplace holds once it is pushed."""
    return {k: v for k, v in payload.items() if k not in LOCAL_FIELDS}


def _same(pushed: dict[str, Any] | None, payload: dict[str, Any]) -> bool:
    if pushed is None:
        return False
    return all(pushed.get(k) == v for k, v in marketplace_value(payload).items())


async def stock_changed(
    session: AsyncSession,
    account_id: int,
    offer_ids: Iterable[int],
    connection_id: int | None = None,
    force: bool = False,
) -> set[int]:
    """Queue the new stock of these offers (and bundles made of them); returns the connections
    whose listings they are (the API reports them; the kicks go out after commit by themselves)."""
    targets = await stock_targets(session, account_id, offer_ids, connection_id)
    await queue(session, account_id, ChangeKind.STOCK, targets, force=force)
    return {t[0] for t in targets}


async def price_changed(
    session: AsyncSession,
    account_id: int,
    offer_ids: Iterable[int],
    connection_id: int | None = None,
    force: bool = False,
) -> set[int]:
    targets = await price_targets(session, account_id, offer_ids, connection_id)
    await queue(session, account_id, ChangeKind.PRICE, targets, force=force)
    return {t[0] for t in targets}


async def set_listed(
    session: AsyncSession, account_id: int, connection_id: int, offer_ids: Iterable[int], listed: bool
) -> int:
    """Take offers off sale on one channel (their stock there becomes 0) or put them back; returns links changed."""
    ids = sorted(set(offer_ids))
    changed = 0
    for part in chunks(ids):
        condition = (
            (Link.account_id == account_id)
            & (Link.connection_id == connection_id)
            & (Link.entity_kind == "offer")
            & Link.entity_id.in_(part)
        )
        if listed:
            result = await session.execute(
                update(Link).where(condition, Link.status == DELISTED).values(status="active")
            )
        else:
            result = await session.execute(
                update(Link)
                .where(condition, (Link.status != DELISTED) | Link.status.is_(None))
                .values(status=DELISTED)
            )
        changed += int(getattr(result, "rowcount", 0) or 0)
    await stock_changed(session, account_id, ids, connection_id=connection_id)
    return changed
