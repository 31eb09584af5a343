"""Stock export to Wildberries: PUT /api/v3/stocks/{warehouseId}, isolating bad items; and the
stock import: POST /api/v3/stocks/{warehouseId} reads up to 1000 sizes' amounts a call.

WB takes up to 1000 sizes per call and answers 204 for the whole batch or 409 with a list
of errors naming the refused items by barcode (`sku`) and amount; after a 409 nothing is
saved. So a 409 marks the named items bad and the rest of the batch is sent again, until it
goes through: one bad item never blocks the others. An item the 409 names but the connector
cannot match (a size sent by chrtID without a known barcode: WB then names no barcode) is
found by its amount when no other item has it, otherwise by halving the batch. Every input item gets exactly one ItemResult (key = chrtID).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from marketbridge.channels.batching import batched
from marketbridge.channels.errors import ChannelError
from marketbridge.channels.roles import ItemResult, RemoteStock, StockPush
from marketbridge.channels.wildberries import mapping
from marketbridge.channels.wildberries.client import WbApi
from marketbridge.channels.wildberries.endpoints import CONFLICT_COST, STOCKS_PUT

BATCH = 1000
MAX_AMOUNT = 100_000
MAX_ROUNDS = 5


def _refused(
    body: Any, by_barcode: dict[str, str]
) -> tuple[dict[str, tuple[str, str]], str | None, tuple[str, str, Any] | None]:
    """chrtID -> (code, message) of the items a 409 names, the code of an error naming none,
    and (code, message, amount) of an error naming an item the batch cannot match by barcode."""
    refused: dict[str, tuple[str, str]] = {}
    general: str | None = None
    unmatched: tuple[str, str, Any] | None = None
    errors = body if isinstance(body, list) else [body]
    for error in errors:
        if not isinstance(error, dict):
            continue
        code = str(error.get("code") or "Conflict")
        message = str(error.get("message") or "")
        data = error.get("data")
        if not isinstance(data, list) or not data:
            general = code
            continue
        for item in data:
            if not isinstance(item, dict):
                continue
            chrt = item.get("chrtId")
            key = str(chrt) if chrt is not None else by_barcode.get(str(item.get("sku") or ""))
            if key is not None:
                refused[key] = (code, message)
            else:
                unmatched = (code, message, item.get("amount"))
    return refused, general, unmatched


async def _push_batch(api: WbApi, warehouse: str, batch: Sequence[StockPush]) -> dict[str, ItemResult]:
    results: dict[str, ItemResult] = {}
    pending = list(batch)
    by_barcode = {p.barcode: p.external_id for p in batch if p.barcode}
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        rows = [{"chrtId": int(p.external_id), "amount": p.quantity} for p in pending]
        try:
            response = await api.put_stocks(warehouse, rows)
        except ChannelError as exc:
            for p in pending:
                results[p.external_id] = ItemResult(p.external_id, False, exc.code, str(exc), exc.retryable)
            return results
        if response.status_code != 409:
            for p in pending:
                results[p.external_id] = ItemResult(p.external_id, True)
            return results
        await api.charge(STOCKS_PUT, CONFLICT_COST - 1)
        try:
            body = response.json()
        except ValueError:
            body = None
        refused, general, unmatched = _refused(body, by_barcode)
        if not refused and unmatched is not None:
            code, message, amount = unmatched
            alike = [p for p in pending if p.quantity == amount]
            if len(alike) != 1:  # the amount does not tell which: halve the batch
                return {**results, **await _halve(api, warehouse, pending, (code, message))}
            refused = {alike[0].external_id: (code, message)}
        if not refused:
            code = general or "Conflict"
            for p in pending:
                results[p.external_id] = ItemResult(
                    p.external_id, False, code, f"stock update refused: {code}", retryable=True
                )
            return results
        for p in pending:
            if p.external_id in refused:
                code, message = refused[p.external_id]
                results[p.external_id] = ItemResult(p.external_id, False, code, message or code)
        pending = [p for p in pending if p.external_id not in refused]
    for p in pending:
        results[p.external_id] = ItemResult(
            p.external_id, False, "Conflict", "gave up after repeated 409", True
        )
    return results


async def _halve(
    api: WbApi, warehouse: str, pending: list[StockPush], error: tuple[str, str]
) -> dict[str, ItemResult]:
    """Find the items a 409 named without a barcode: a lone item is the one; else send each half."""
    if len(pending) == 1:
        code, message = error
        return {pending[0].external_id: ItemResult(pending[0].external_id, False, code, message or code)}
    middle = len(pending) // 2
    first = await _push_batch(api, warehouse, pending[:middle])
    return {**first, **await _push_batch(api, warehouse, pending[middle:])}


async def push_stocks(api: WbApi, items: Sequence[StockPush]) -> list[ItemResult]:
    by_key: dict[tuple[str, str], ItemResult] = {}
    groups: dict[str, list[StockPush]] = defaultdict(list)
    for item in items:
        key = (item.warehouse_id, item.external_id)
        if not item.external_id.isdigit():
            by_key[key] = ItemResult(item.external_id, False, "InvalidItem", "chrtID must be a number")
        elif not 0 <= item.quantity <= MAX_AMOUNT:
            by_key[key] = ItemResult(item.external_id, False, "UploadDataLimit", "amount must be 0..100000")
        elif not item.warehouse_id.isdigit():
            by_key[key] = ItemResult(item.external_id, False, "NotFound", "unknown warehouse")
        else:
            groups[item.warehouse_id].append(item)
    for warehouse, group in groups.items():
        unique: dict[str, StockPush] = {}
        for item in group:
            unique[item.external_id] = item  # the last amount for a size wins
        for batch in batched(list(unique.values()), BATCH):
            done = await _push_batch(api, warehouse, batch)
            for chrt, result in done.items():
                by_key[(warehouse, chrt)] = result
    missing = ItemResult("", False, "Unknown", "no result", retryable=True)
    out = []
    for i in items:  # each result's key is already its item's chrtID: no copy unless missing
        found = by_key.get((i.warehouse_id, i.external_id))
        out.append(found if found is not None else replace(missing, key=i.external_id))
    return out


async def read_stocks(
    api: WbApi, external_ids: Sequence[str], warehouse_ids: Sequence[str]
) -> AsyncIterator[list[RemoteStock]]:
    """The amounts WB holds for these sizes (chrtIDs) in each of these seller warehouses."""
    chrts = sorted({int(e) for e in external_ids if e.isdigit()})
    for warehouse in warehouse_ids:
        for chunk in batched(chrts, BATCH):
            body = await api.get_stocks(warehouse, chunk)

            def build(rows: list[dict[str, Any]], warehouse: str = warehouse) -> list[RemoteStock]:
                return [RemoteStock(str(int(r["chrtId"])), warehouse, max(int(r["amount"]), 0)) for r in rows]

            page = mapping.guarded("stocks", build, mapping.dicts(body, "stocks"))
            if page:
                yield page
