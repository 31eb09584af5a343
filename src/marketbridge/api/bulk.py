"""Bulk requests keyed by SKU: per-item checks naming every offender, and values kept per offer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.api.problems import FieldError, Problem
from marketbridge.store.catalog import ids_by_sku
from marketbridge.store.tables import Offer
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import insert_for


class ItemErrors:
    """Collects per-item problems of a bulk request; `raise_if_any` answers 422 naming them all."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, index: int, sku: str, field: str, message: str) -> None:
        self.errors.append(
            FieldError(field=f"body.items[{index}].{field}", message=message, index=index, sku=sku)
        )

    def duplicates(
        self, keys: Sequence[tuple[str, ...]], skus: Sequence[str], what: str, field: str = "offer_sku"
    ) -> None:
        seen: dict[tuple[str, ...], int] = {}
        for index, key in enumerate(keys):
            if key in seen:
                self.add(index, skus[index], field, f"{what} given twice (first at item {seen[key]})")
            else:
                seen.setdefault(key, index)

    def unknown(self, values: Iterable[tuple[int, str, str]], known: set[str], field: str, what: str) -> None:
        for index, sku, value in values:
            if value not in known:
                self.add(index, sku, field, f"no {what} {value!r}")

    def raise_if_any(self) -> None:
        if self.errors:
            raise Problem(
                422,
                "invalid_items",
                f"{len(self.errors)} problem(s) in the request; nothing was written",
                errors=self.errors,
            )


@dataclass(frozen=True)
class PerOffer:
    """A value kept per offer and per code of another table: stock per warehouse, price per price type."""

    table: Any  # the value rows: StockLevel, OfferPrice
    code_table: Any  # what the second key names: Warehouse, PriceType
    code_field: str  # its field in requests and answers: "warehouse", "price_type"
    value_field: str  # "on_hand", "amount"
    what: str  # "warehouse", "price type"
    bundles_allowed: bool

    @property
    def code_column(self) -> str:
        return f"{self.code_table.__tablename__.rstrip('s')}_id"

    async def codes(self, session: AsyncSession, account_id: int) -> dict[str, int]:
        query = select(self.code_table.code, self.code_table.id).where(
            self.code_table.account_id == account_id
        )
        return {code: id_ for code, id_ in await session.execute(query)}

    def page_query(self, account_id: int, after: int, sku: str | None, code: str | None) -> Any:
        """(value row, offer SKU, code) after the cursor, optionally for one SKU and one code."""
        table, codes = self.table, self.code_table
        query = (
            select(table, Offer.sku, codes.code)
            .join(Offer, Offer.id == table.offer_id)
            .join(codes, codes.id == getattr(table, self.code_column))
            .where(table.account_id == account_id, table.id > after)
        )
        if sku is not None:
            query = query.where(Offer.sku == sku)
        if code is not None:
            query = query.where(codes.code == code)
        return query.order_by(table.id)

    async def write(self, session: AsyncSession, account_id: int, items: Sequence[Any]) -> list[int]:
        """Validate every item (422 naming them all), then upsert; returns the offer ids written."""
        offers = await ids_by_sku(session, Offer, account_id, [i.offer_sku for i in items])
        codes = await self.codes(session, account_id)
        errors = ItemErrors()
        skus = [i.offer_sku for i in items]
        errors.unknown(((n, sku, sku) for n, sku in enumerate(skus)), set(offers), "offer_sku", "offer")
        item_codes = [getattr(i, self.code_field) for i in items]
        errors.unknown(
            ((n, skus[n], c) for n, c in enumerate(item_codes)), set(codes), self.code_field, self.what
        )
        if not self.bundles_allowed:
            for n, sku in enumerate(skus):
                if sku in offers and offers[sku][1] == "bundle":
                    errors.add(n, sku, "offer_sku", "a bundle's value follows its components; set theirs")
        errors.duplicates(list(zip(skus, item_codes, strict=True)), skus, f"offer and {self.what}")
        errors.raise_if_any()
        now = utcnow()
        rows = [
            {
                "account_id": account_id,
                "offer_id": offers[i.offer_sku][0],
                self.code_column: codes[getattr(i, self.code_field)],
                self.value_field: getattr(i, self.value_field),
                "updated_at": now,
            }
            for i in items
        ]
        stmt = insert_for(session, self.table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["offer_id", self.code_column],
            set_={c: getattr(stmt.excluded, c) for c in (self.value_field, "updated_at")},
        )
        await session.execute(stmt, rows)
        return sorted({r["offer_id"] for r in rows})
