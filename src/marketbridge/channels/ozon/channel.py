"""The Ozon channel: the Channel protocol over the Seller API (FBS).

Orders are Ozon postings (external id = posting_number); units are keyed by Ozon's `sku`.
Polling uses /v4/posting/fbs/list twice per window (postings created in it, and postings
whose status changed in it), so every posting created or changed is seen in every status.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from marketbridge.channels.batching import batched, send_batches
from marketbridge.channels.endpoints import Endpoint
from marketbridge.channels.errors import BadResponse, NotSupported, RequestRejected
from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon import fulfilment, mapping
from marketbridge.channels.ozon.client import DEFAULT_BASE_URL, OzonApi
from marketbridge.channels.ozon.push import handle_push
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import (
    CardDraft,
    CardResult,
    ConnectionConfig,
    HandOver,
    HandOverResult,
    ItemResult,
    PackBox,
    PackResult,
    PricePush,
    PushReply,
    RemoteOffer,
    RemoteOrder,
    RemotePrice,
    RemoteReturn,
    RemoteWarehouse,
    StockPush,
)
from marketbridge.model import Category, CategoryAttribute, Label, LabelFormat, ListingStatus
from marketbridge.runtime.ratelimit import Limiter

#: Per-item error codes worth trying again later.
RETRYABLE_CODES = frozenset({"TOO_MANY_REQUESTS", "PRICE_IS_NOT_SENT", "product_is_not_created"})
CACHE_SECONDS = 3600.0
MAX_PERIOD = timedelta(days=365)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _item_results(
    keys: Sequence[str], sent: Sequence[Mapping[str, Any]], answer: Mapping[str, Any], match: Sequence[str]
) -> list[ItemResult]:
    """One ItemResult per sent item, matched to `result[]` by the fields in `match`."""
    result = answer.get("result")
    if not isinstance(result, list):
        raise BadResponse("ozon: a batch answer without result[]")
    by_key: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for entry in result:
        if isinstance(entry, Mapping):
            by_key.setdefault(tuple(str(entry.get(f) or "") for f in match), []).append(entry)
    out = []
    for key, item in zip(keys, sent, strict=True):
        found = by_key.get(tuple(str(item.get(f) or "") for f in match))
        if not found:
            out.append(
                ItemResult(key=key, ok=False, code="no_result", message="Ozon did not report this item")
            )
            continue
        entry = found.pop(0)
        errors = [e for e in entry.get("errors") or [] if isinstance(e, Mapping)]
        if entry.get("updated") and not errors:
            out.append(ItemResult(key=key, ok=True))
            continue
        code = str(errors[0].get("code") or "not_updated") if errors else "not_updated"
        message = "; ".join(str(e.get("message") or e.get("code")) for e in errors) or "not updated"
        out.append(
            ItemResult(key=key, ok=False, code=code, message=message, retryable=code in RETRYABLE_CODES)
        )
    return out


class OzonChannel:
    kind = "ozon"
    # roles' facts (see channels/roles): a posting per box, handed over by an act
    multi_box = True
    hand_over_by = HandOver.ACT
    label_formats = frozenset({LabelFormat.PDF})
    stock_items_per_second = 80 / 60 * api.MAX_STOCK_BATCH  # 80 stock calls a minute, 100 pairs each
    catalog_offers_per_second = 0.0  # the read limits are far above what a hub needs

    def __init__(self, config: ConnectionConfig, limiter: Limiter) -> None:
        base = config.base_urls.get("default") or DEFAULT_BASE_URL
        self.config = config
        self.api = OzonApi(
            config.connection_id,
            base,
            config.credentials["client_id"],
            config.credentials["api_key"],
            limiter,
        )
        self._cache: dict[str, tuple[float, Any]] = {}
        self._product_of: dict[str, int] = {}

    async def aclose(self) -> None:
        await self.api.aclose()

    async def check(self) -> None:
        await self.api.call(api.WAREHOUSES, {})

    async def list_warehouses(self) -> list[RemoteWarehouse]:
        answer = await self.api.call(api.WAREHOUSES, {})
        return [mapping.warehouse(w) for w in mapping.items(answer.get("result"), "warehouses")]

    # --- catalog ---------------------------------------------------------------------------

    async def _product_ids(self) -> AsyncIterator[list[int]]:
        async def fetch(last_id: Hashable) -> Page[int]:
            answer = await self.api.call(
                api.PRODUCT_LIST,
                {"filter": {"visibility": "ALL"}, "last_id": last_id, "limit": api.PAGE_SIZE},
            )
            result = mapping.obj(answer.get("result"), "product list result")
            page = mapping.items(result.get("items"), "product list items")
            ids = [int(mapping.text(p, "product_id", "a product list item")) for p in page]
            return token_page(ids, str(result.get("last_id") or ""), has_next=len(page) >= api.PAGE_SIZE)

        async for ids in paginate(fetch, "", what="ozon product list"):
            yield ids

    async def _infos(self, product_ids: Sequence[int]) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        for chunk in batched(product_ids, api.MAX_INFO_IDS):
            answer = await self.api.call(api.PRODUCT_INFO, {"product_id": [str(i) for i in chunk]})
            out.extend(mapping.items(answer.get("items"), "product info items"))
        return out

    async def iter_offers(self) -> AsyncIterator[list[RemoteOffer]]:
        async for ids in self._product_ids():
            offers = [o for o in (mapping.offer(i) for i in await self._infos(ids)) if o is not None]
            if offers:
                yield offers

    async def iter_prices(self) -> AsyncIterator[list[RemotePrice]]:
        async def fetch(cursor: Hashable) -> Page[Mapping[str, Any]]:
            answer = await self.api.call(
                api.PRICE_INFO, {"filter": {"visibility": "ALL"}, "cursor": cursor, "limit": api.PAGE_SIZE}
            )
            page = mapping.items(answer.get("items"), "price items")
            return token_page(page, str(answer.get("cursor") or ""), has_next=len(page) >= api.PAGE_SIZE)

        async for page in paginate(fetch, "", what="ozon prices"):
            ids = [int(mapping.text(p, "product_id", "a price item")) for p in page]
            skus = {str(i.get("id")): str(i.get("sku")) for i in await self._infos(ids) if i.get("sku")}
            prices = [
                mapping.price(p, skus[str(p.get("product_id"))])
                for p in page
                if str(p.get("product_id")) in skus
            ]
            if prices:
                yield prices

    async def _push_batches(
        self,
        endpoint: Endpoint,
        field: str,
        size: int,
        entries: Sequence[tuple[str, dict[str, Any] | None]],
        match: tuple[str, ...],
    ) -> list[ItemResult]:
        """Send (key, item) pairs in batches of `size`; an item of None is refused locally."""

        async def send(batch: Sequence[tuple[str, dict[str, Any]]]) -> list[ItemResult]:
            items = [item for _, item in batch]
            answer = await self.api.call(endpoint, {field: items})
            return _item_results([k for k, _ in batch], items, answer, match)

        valid = [(k, item) for k, item in entries if item is not None]
        sent = iter(await send_batches(valid, size, lambda entry: entry[0], send))
        return [
            next(sent)
            if item is not None
            else ItemResult(key=key, ok=False, code="invalid", message="not a valid Ozon item")
            for key, item in entries
        ]

    async def _products_by_sku(self, skus: Sequence[str]) -> dict[str, int]:
        """sku -> product_id (Ozon's stock method wants both article and product id); cached for good."""
        wanted = sorted({s for s in skus if s.isdigit() and s not in self._product_of})
        for chunk in batched(wanted, api.MAX_INFO_IDS):
            answer = await self.api.call(api.PRODUCT_INFO, {"sku": list(chunk)})
            for info in mapping.items(answer.get("items"), "product info items"):
                sku, pid = info.get("sku"), info.get("id")
                if isinstance(pid, int) and not isinstance(pid, bool) and sku:
                    self._product_of[str(sku)] = pid
        return {s: self._product_of[s] for s in skus if s in self._product_of}

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]:
        products = await self._products_by_sku([s.external_id for s in items])
        entries: list[tuple[str, dict[str, Any] | None]] = []
        unknown: set[str] = set()
        for s in items:
            product_id = products.get(s.external_id)
            if product_id is None:
                unknown.add(s.external_id)
            ok = product_id is not None and s.warehouse_id.isdigit() and bool(s.offer_code)
            entries.append(
                (
                    s.external_id,
                    {
                        "offer_id": s.offer_code,
                        "product_id": product_id,
                        "quant_size": 1,
                        "warehouse_id": int(s.warehouse_id),
                        "stock": max(0, s.quantity),
                    }
                    if ok
                    else None,
                )
            )
        results = await self._push_batches(
            api.STOCKS, "stocks", api.MAX_STOCK_BATCH, entries, ("offer_id", "warehouse_id")
        )
        for r in results:
            if r.key in unknown:
                r.code, r.message = "offer_id_not_found", f"Ozon has no product with SKU {r.key}"
        return results

    async def push_prices(self, items: Sequence[PricePush]) -> list[ItemResult]:
        entries: list[tuple[str, dict[str, Any] | None]] = [
            (
                p.external_id,
                {
                    "offer_id": p.offer_code,
                    "price": format(p.price, "f"),
                    "old_price": format(p.old_price, "f") if p.old_price else "0",
                    "min_price": format(p.min_price, "f") if p.min_price else "0",
                    "currency_code": p.currency,
                }
                if p.offer_code
                else None,
            )
            for p in items
        ]
        return await self._push_batches(api.PRICES, "prices", api.MAX_PRICE_BATCH, entries, ("offer_id",))

    def _cached(self, key: str) -> Any:
        hit = self._cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        return None

    async def categories(self) -> list[Category]:
        cached = self._cached("tree")
        if cached is not None:
            return list(cached)
        answer = await self.api.call(api.CATEGORY_TREE, {"language": "DEFAULT"})
        tree = mapping.categories(mapping.items(answer.get("result"), "category tree"))
        self._cache["tree"] = (time.monotonic(), tree)
        return list(tree)

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        key = f"attributes:{category_id}"
        cached = self._cached(key)
        if cached is not None:
            return list(cached)
        try:
            category, type_id = mapping.split_category(category_id)
        except ValueError as exc:
            raise RequestRejected(str(exc)) from exc
        answer = await self.api.call(
            api.CATEGORY_ATTRIBUTES,
            {"description_category_id": category, "type_id": type_id, "language": "DEFAULT"},
        )
        attributes = [mapping.attribute(a) for a in mapping.items(answer.get("result"), "attributes")]
        self._cache[key] = (time.monotonic(), attributes)
        return list(attributes)

    async def attribute_values(self, category_id: str, attribute_id: str) -> dict[str, int]:
        """The dictionary of an attribute, value -> dictionary_value_id (all pages, cached)."""
        key = f"values:{category_id}:{attribute_id}"
        cached = self._cached(key)
        if cached is not None:
            return dict(cached)
        category, type_id = mapping.split_category(category_id)

        async def fetch(last: Hashable) -> Page[tuple[str, int]]:
            answer = await self.api.call(
                api.ATTRIBUTE_VALUES,
                {
                    "attribute_id": int(attribute_id),
                    "description_category_id": category,
                    "type_id": type_id,
                    "language": "DEFAULT",
                    "last_value_id": last,
                    "limit": api.VALUES_PAGE,
                },
            )
            page = [
                (str(v.get("value")), v["id"])
                for v in mapping.items(answer.get("result"), "attribute values")
                if isinstance(v.get("id"), int) and not isinstance(v.get("id"), bool)
            ]
            return token_page(
                page, max((vid for _, vid in page), default=0), has_next=bool(answer.get("has_next"))
            )

        values: dict[str, int] = {}
        async for page in paginate(fetch, 0, what="ozon attribute values"):
            values.update(page)
        self._cache[key] = (time.monotonic(), values)
        return dict(values)

    async def export_cards(self, cards: Sequence[CardDraft]) -> str:
        task_ids = []
        for chunk in batched(cards, api.MAX_CARD_BATCH):
            payload = []
            for card in chunk:
                try:
                    dictionaries = await self._dictionaries(card)
                    payload.append(mapping.card_item(card, dictionaries))
                except ValueError as exc:
                    raise RequestRejected(f"ozon: card {card.offer_code}: {exc}") from exc
            answer = await self.api.call(api.CARD_IMPORT, {"items": payload})
            result = mapping.obj(answer.get("result"), "import result")
            task_ids.append(mapping.text(result, "task_id", "the import result"))
        return ",".join(task_ids)

    async def _dictionaries(self, card: CardDraft) -> dict[str, dict[str, int]]:
        wanted = {a.id: a for a in await self.category_attributes(card.category_id) if a.dictionary}
        given = set(card.attributes) | ({mapping.BRAND_ATTRIBUTE} if card.brand else set())
        return {aid: await self.attribute_values(card.category_id, aid) for aid in given if aid in wanted}

    async def card_export_status(self, task_id: str) -> list[CardResult] | None:
        results: list[CardResult] = []
        imported: dict[str, CardResult] = {}
        for one in (t for t in task_id.split(",") if t):
            if not one.isdigit():
                raise RequestRejected(f"ozon: not an import task id: {task_id!r}")
            answer = await self.api.call(api.CARD_IMPORT_INFO, {"task_id": int(one)})
            result = mapping.obj(answer.get("result"), "import info result")
            for item in mapping.items(result.get("items"), "import info items"):
                status = str(item.get("status") or "")
                offer_code = mapping.text(item, "offer_id", "an import item")
                if status in ("pending", "processing", ""):
                    return None
                errors = [
                    str(e.get("message") or e.get("description") or e.get("code"))
                    for e in mapping.items(item.get("errors"), "import errors")
                ]
                if status == "imported" and not errors:
                    card = CardResult(offer_code=offer_code, status=ListingStatus.PENDING)
                    imported[str(item.get("product_id"))] = card
                else:
                    card = CardResult(offer_code=offer_code, status=ListingStatus.REJECTED, errors=errors)
                results.append(card)
        if imported:
            for info in await self._infos([int(i) for i in imported if i.isdigit()]):
                done = imported.get(str(info.get("id")))
                offer = mapping.offer(info)
                if done is not None and offer is not None:
                    done.external_id = offer.external_id
                    done.status = offer.status
        return results

    # --- orders ------------------------------------------------------------------------------

    async def iter_orders(self, since: datetime, until: datetime) -> AsyncIterator[list[RemoteOrder]]:
        seen: set[str] = set()
        created = {"since": _iso(since), "to": _iso(until)}
        changed = {
            "since": _iso(max(until - MAX_PERIOD, since - MAX_PERIOD)),
            "to": _iso(until),
            "last_changed_status_date": {"from": _iso(since), "to": _iso(until)},
        }
        for flt in (created, changed):
            async for orders in paginate(partial(self._postings, flt), "", what="ozon postings"):
                page = []
                for order in orders:
                    if order.external_id not in seen:
                        seen.add(order.external_id)
                        page.append(order)
                if page:
                    yield page

    async def _postings(self, flt: Mapping[str, Any], cursor: Hashable) -> Page[RemoteOrder]:
        answer = await self.api.call(
            api.POSTING_LIST,
            {
                "filter": flt,
                "limit": api.PAGE_SIZE,
                "cursor": cursor,
                "sort_dir": "asc",
                "with": {"analytics_data": True},
            },
        )
        orders = [mapping.order(p) for p in mapping.items(answer.get("postings"), "postings")]
        return token_page(orders, str(answer.get("cursor") or ""), has_next=bool(answer.get("has_next")))

    async def get_order(self, external_id: str) -> RemoteOrder:
        answer = await self.api.call(
            api.POSTING_GET, {"posting_number": external_id, "with": {"analytics_data": True}}
        )
        return mapping.order(mapping.obj(answer.get("result"), f"posting {external_id}"))

    async def pack(self, order: RemoteOrder, boxes: Sequence[PackBox]) -> PackResult:
        return await fulfilment.pack(self.api, order, boxes)

    async def labels(self, shipment_ids: Sequence[str], fmt: LabelFormat) -> list[Label]:
        if fmt != LabelFormat.PDF:
            raise NotSupported(f"ozon: labels come as PDF only, not {fmt.value}")
        return await fulfilment.labels(self.api, shipment_ids)

    async def hand_over(self, shipment_ids: Sequence[str]) -> HandOverResult:
        return await fulfilment.hand_over(self.api, shipment_ids)

    async def cancel(self, external_id: str, reason: str) -> None:
        """Cancel by the seller: a numeric `reason` is Ozon's reason id, any text goes as 402 (other)."""
        if reason.strip().isdigit():
            body: dict[str, Any] = {"posting_number": external_id, "cancel_reason_id": int(reason)}
        else:
            body = {
                "posting_number": external_id,
                "cancel_reason_id": 402,
                "cancel_reason_message": reason or "cancelled by the seller",
            }
        answer = await self.api.call(api.CANCEL, body)
        if answer.get("result") is not True:
            raise BadResponse(f"ozon: cancel of {external_id} answered {str(answer)[:200]}")

    async def iter_returns(self, since: datetime) -> AsyncIterator[list[RemoteReturn]]:
        until = datetime.now(UTC) + timedelta(minutes=5)

        async def fetch(last_id: Hashable) -> Page[RemoteReturn]:
            answer = await self.api.call(
                api.RETURNS,
                {
                    "filter": {"logistic_return_date": {"time_from": _iso(since), "time_to": _iso(until)}},
                    "limit": api.RETURNS_PAGE,
                    "last_id": last_id,
                },
            )
            page = [mapping.return_item(r) for r in mapping.items(answer.get("returns"), "returns")]
            last = max((int(r.external_id) for r in page if r.external_id.isdigit()), default=0)
            return token_page(page, last, has_next=bool(answer.get("has_next")))

        async for page in paginate(fetch, 0, what="ozon returns"):
            yield page

    def handle_push(self, headers: Mapping[str, str], body: bytes) -> PushReply:
        return handle_push(headers, body)
