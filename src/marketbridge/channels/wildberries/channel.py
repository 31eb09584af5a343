"""The Wildberries channel: the Channel protocol over WB's content, prices, marketplace and returns APIs.

Settings (ConnectionConfig.settings):
- `sizes_as_products` (bool, default false): import each size as its own product instead
  of a variant of its card;
- `price_poll_interval`, `price_poll_timeout` (seconds): how price upload tasks are followed.
WB has no push for orders: they are polled (new tasks + every task of the window).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from marketbridge.channels.errors import AuthError, ChannelError, NotFoundError, RequestRejected
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
    RemoteOffer,
    RemoteOrder,
    RemotePrice,
    RemoteReturn,
    RemoteWarehouse,
    StockPush,
)
from marketbridge.channels.wildberries import card_export, fulfilment, mapping
from marketbridge.channels.wildberries.client import WbApi
from marketbridge.channels.wildberries.price_push import PricePusher
from marketbridge.channels.wildberries.stock_push import push_stocks
from marketbridge.model import (
    Category,
    CategoryAttribute,
    Label,
    LabelFormat,
    OrderStatus,
    money,
)
from marketbridge.runtime.lru import LruDict
from marketbridge.runtime.pdf import merge_pdfs
from marketbridge.runtime.ratelimit import Limiter

ORDERS_PAGE = 1000
STATUS_BATCH = 1000
MAX_WINDOW = timedelta(days=30)
CARDS_PAGE = 100
CLAIMS_PAGE = 200
SUBJECTS_PAGE = 1000
SGTIN_BATCH = 100
#: Up to this many unknown cards in a page of tasks are looked up one by one.
SEARCH_AT_MOST = 5
#: How many sizes' articles and whole cards the connector remembers (a bound on its memory).
UNITS_REMEMBERED = 200_000
CARDS_REMEMBERED = 5_000
SGTIN_LENGTH = (16, 135)


def _setting_bool(settings: Mapping[str, Any], name: str) -> bool:
    value = settings.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _setting_seconds(settings: Mapping[str, Any], name: str, default: float) -> float:
    value = settings.get(name, default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ValueError(f"wildberries: setting {name} must be a number of seconds (0..3600), not {value!r}")
    return seconds


class WildberriesChannel:
    kind = "wildberries"
    # roles' facts (see channels/roles): one box per task, handed over in supplies
    multi_box = False
    hand_over_by = HandOver.SUPPLY
    label_formats = frozenset({LabelFormat.PDF, LabelFormat.PNG, LabelFormat.ZPL, LabelFormat.SVG})
    stock_items_per_second = 300 / 60 * 1000  # WB's 300 stock calls a minute, 1,000 items each
    catalog_offers_per_second = 100 / 60 * CARDS_PAGE  # 100 content calls a minute, 100 cards each

    def __init__(self, config: ConnectionConfig, limiter: Limiter) -> None:
        settings = config.settings
        self.sizes_as_products = _setting_bool(settings, "sizes_as_products")
        self.api = WbApi(config.connection_id, config.base_urls, config.credentials["token"], limiter)
        self.prices = PricePusher(
            self.api,
            poll_interval=_setting_seconds(settings, "price_poll_interval", 1.0),
            poll_timeout=_setting_seconds(settings, "price_poll_timeout", 120.0),
        )
        self.supplies = fulfilment.Supplies(self.api)
        self.unit_codes: LruDict[str, str] = LruDict(UNITS_REMEMBERED)  # chrtID -> offer code
        self.tasks: dict[str, dict[str, Any]] = {}  # task id -> last raw task seen
        self._looked_up: set[str] = set()  # chrtIDs already sought in the catalog
        # vendorCode -> card as last seen
        self.cards_by_vendor: LruDict[str, dict[str, Any]] = LruDict(CARDS_REMEMBERED)

    async def aclose(self) -> None:
        await self.api.aclose()

    async def check(self) -> None:
        await self.api.warehouses()

    async def list_warehouses(self) -> list[RemoteWarehouse]:
        body = await self.api.warehouses()
        rows = mapping.dicts({"warehouses": body}, "warehouses")
        return [
            mapping.guarded(
                "warehouse",
                lambda w: RemoteWarehouse(str(int(w["id"])), str(w["name"]), not w.get("isDeleting")),
                w,
            )
            for w in rows
        ]

    # --- catalog -----------------------------------------------------------------------

    async def _card_pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        """The whole catalog, a page of cards at a time, by the (updatedAt, nmID) cursor."""
        cursor: dict[str, Any] = {"limit": CARDS_PAGE}
        while True:
            body = await self.api.cards_list(cursor)
            cards = mapping.dicts(body, "cards")
            if cards:
                yield cards
            reply = mapping.guarded("cards cursor", lambda b: dict(b["cursor"]), body)
            if len(cards) < CARDS_PAGE or not reply.get("nmID"):
                return
            cursor = {"limit": CARDS_PAGE, "updatedAt": reply["updatedAt"], "nmID": reply["nmID"]}

    async def iter_offers(self) -> AsyncIterator[list[RemoteOffer]]:
        async for cards in self._card_pages():
            page: list[RemoteOffer] = []
            for card in cards:
                page.extend(mapping.card_offers(card, self.sizes_as_products))
                self.cards_by_vendor[str(card.get("vendorCode"))] = card
            for offer in page:
                self.unit_codes[offer.external_id] = offer.offer_code
            if page:
                yield page

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]:
        return await push_stocks(self.api, items)

    async def push_prices(self, items: Sequence[PricePush]) -> list[ItemResult]:
        return await self.prices.push(items)

    async def iter_prices(self) -> AsyncIterator[list[RemotePrice]]:
        offset = 0
        while True:
            body = await self.api.goods(limit=1000, offset=offset)
            goods = mapping.dicts(body, "data", "listGoods")
            page = [price for good in goods for price in self._good_prices(good)]
            if page:
                yield page
            if len(goods) < 1000:
                return
            offset += 1000

    def _good_prices(self, good: Mapping[str, Any]) -> list[RemotePrice]:
        def build() -> list[RemotePrice]:
            discount = int(good.get("discount") or 0)
            vendor = str(good.get("vendorCode") or "")
            sizes = list(good["sizes"])
            out = []
            for size in sizes:
                chrt = str(int(size["sizeID"]))
                full = money(size["price"])
                code = mapping.unit_code(vendor, str(size.get("techSizeName") or "0"), len(sizes))
                out.append(
                    RemotePrice(
                        external_id=chrt,
                        offer_code=self.unit_codes.get(chrt) or code,
                        price=money(size.get("discountedPrice", full)),
                        old_price=full if discount else None,
                        currency=str(good.get("currencyIsoCode4217") or "RUB"),
                    )
                )
            return out

        return mapping.guarded("good prices", build)

    # --- orders ------------------------------------------------------------------------

    async def _statuses(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), STATUS_BATCH):
            chunk = [int(i) for i in ids[start : start + STATUS_BATCH]]
            body = await self.api.orders_status(chunk)
            for row in mapping.dicts(body, "orders"):
                key, pair = mapping.guarded(
                    "status",
                    lambda r: (str(int(r["id"])), (str(r["supplierStatus"]), str(r["wbStatus"]))),
                    row,
                )
                out[key] = pair
        return out

    async def _learn_units(self, raws: list[dict[str, Any]]) -> None:
        """Find the unit codes of sizes not seen yet (a task names its card, not its techSize)."""
        unknown = [
            r
            for r in raws
            if str(r.get("chrtId")) not in self.unit_codes and str(r.get("chrtId")) not in self._looked_up
        ]
        articles = {str(r.get("article")) for r in unknown if r.get("article")}
        self._looked_up.update(
            str(r.get("chrtId")) for r in unknown
        )  # a size gone from the catalog is sought once
        try:
            cards = await self._find_cards(articles)
        except AuthError:
            return  # a token without the content category: lines keep the card's vendorCode
        for card in cards.values():
            for offer in mapping.card_offers(card, self.sizes_as_products):
                self.unit_codes[offer.external_id] = offer.offer_code

    async def _with_statuses(self, raws: list[dict[str, Any]]) -> list[RemoteOrder]:
        for raw in raws:
            self.tasks[mapping.guarded("task", lambda r: str(int(r["id"])), raw)] = raw
        await self._learn_units(raws)
        statuses = await self._statuses([str(r["id"]) for r in raws])
        return [mapping.task_order(r, statuses.get(str(r["id"])), self.unit_codes) for r in raws]

    async def iter_orders(self, since: datetime, until: datetime) -> AsyncIterator[list[RemoteOrder]]:
        seen: set[str] = set()
        body = await self.api.orders_new()
        fresh = mapping.dicts(body, "orders")
        if fresh:
            seen.update(str(r.get("id")) for r in fresh)
            yield await self._with_statuses(fresh)
        async for raws in self._task_pages(since, until):
            unseen = [r for r in raws if str(r.get("id")) not in seen]
            seen.update(str(r.get("id")) for r in unseen)
            if unseen:
                yield await self._with_statuses(unseen)

    async def _task_pages(self, since: datetime, until: datetime) -> AsyncIterator[list[dict[str, Any]]]:
        """Raw tasks created in [since, until], in slices of at most 30 days, page by page."""
        start = since
        while start < until:
            end = min(start + MAX_WINDOW, until)
            next_ = 0
            while True:
                page = await self.api.orders(
                    limit=ORDERS_PAGE,
                    next_=next_,
                    date_from=int(start.timestamp()),
                    date_to=int(end.timestamp()),
                )
                raws = mapping.dicts(page, "orders")
                yield raws
                if len(raws) < ORDERS_PAGE:
                    break
                next_ = mapping.guarded("tasks cursor", lambda p: int(p["next"]), page)
            start = end

    async def get_order(self, external_id: str) -> RemoteOrder:
        raw = self.tasks.get(external_id)
        if raw is None:
            until = datetime.now(UTC)
            async for page in self.iter_orders(until - MAX_WINDOW, until):
                if any(o.external_id == external_id for o in page):
                    break
            raw = self.tasks.get(external_id)
        if raw is None:
            raise NotFoundError(f"wildberries: assembly task {external_id} not found", status=404)
        orders = await self._with_statuses([raw])
        return orders[0]

    async def refresh_statuses(self, external_ids: Sequence[str]) -> dict[str, tuple[OrderStatus, str]]:
        """Current status of many known tasks, 1000 per call: task id -> (status, raw status)."""
        pairs = await self._statuses(list(external_ids))
        return {i: (mapping.order_status(*p), mapping.raw_status(*p)) for i, p in pairs.items()}

    async def pack(self, order: RemoteOrder, boxes: Sequence[PackBox]) -> PackResult:
        """Attach the marking codes given (Честный знак SGTINs), then put the task into a supply."""
        raw = self.tasks.get(order.external_id) or {}
        warehouse = order.warehouse_id or str(raw.get("warehouseId") or "")
        cargo = int(raw.get("cargoType") or 1)
        codes = [code for box in boxes for line in box.lines for code in line.marking_codes]
        bad = [c for c in codes if not SGTIN_LENGTH[0] <= len(c) <= SGTIN_LENGTH[1]]
        if bad:
            raise RequestRejected(f"wildberries: marking codes must have 16..135 characters: {bad[0]!r}")
        for start in range(0, len(codes), SGTIN_BATCH):
            await self.api.set_sgtins(int(order.external_id), codes[start : start + SGTIN_BATCH])
        task_warehouse = {k: str(v.get("warehouseId")) for k, v in self.tasks.items()}
        await self.supplies.add(order.external_id, warehouse, cargo, task_warehouse)
        return PackResult(
            shipment_ids=[order.external_id], box_shipments={b.number: order.external_id for b in boxes}
        )

    async def labels(self, shipment_ids: Sequence[str], fmt: LabelFormat) -> list[Label]:
        return await fulfilment.stickers(self.api, list(shipment_ids), fmt)

    async def _supply_of(self, task_id: str) -> str:
        known = self.supplies.of_task.get(task_id)
        if known:
            return known
        raw = self.tasks.get(task_id)
        if raw is None or not raw.get("supplyId"):
            await self.get_order(task_id)
            raw = self.tasks.get(task_id) or {}
        if not raw.get("supplyId"):
            raise ChannelError(f"wildberries: task {task_id} is in no supply; pack it first")
        return str(raw["supplyId"])

    async def hand_over(self, shipment_ids: Sequence[str]) -> HandOverResult:
        supply_ids: list[str] = []
        for task_id in shipment_ids:
            supply = await self._supply_of(task_id)
            if supply not in supply_ids:
                supply_ids.append(supply)
        pdfs: list[bytes] = []
        for supply in supply_ids:
            details = await self.api.supply(supply)
            if not (isinstance(details, dict) and details.get("done")):
                await self.api.deliver(supply)
            for key, value in list(self.supplies.open.items()):
                if value == supply:
                    del self.supplies.open[key]
            pdfs.append(await fulfilment.supply_qr_pdf(self.api, supply))
        document = pdfs[0] if len(pdfs) == 1 else merge_pdfs(pdfs)
        return HandOverResult(",".join(supply_ids), document=document, document_format=LabelFormat.PDF)

    async def cancel(self, external_id: str, reason: str) -> None:
        await self.api.cancel(int(external_id))

    # --- returns -----------------------------------------------------------------------

    def _tasks_by_rid(self) -> dict[str, tuple[str, str]]:
        return {
            str(raw.get("rid")): (task_id, str(raw.get("chrtId")))
            for task_id, raw in self.tasks.items()
            if raw.get("rid")
        }

    async def _find_claimed_tasks(self, claims: list[dict[str, Any]]) -> None:
        """Load the tasks of claims whose task is not known yet, around each claim's order time.

        A claim names its task only by `srid` (the task's `rid`) and the order time; the time is
        read with a day's margin either side, since WB does not say its time zone.
        """
        known = self._tasks_by_rid()
        for claim in claims:
            if str(claim.get("srid") or "") in known or not claim.get("order_dt"):
                continue
            ordered = mapping.guarded("claim", lambda c: mapping.parse_time(c["order_dt"]), claim)
            async for raws in self._task_pages(ordered - timedelta(days=1), ordered + timedelta(days=1)):
                for raw in raws:
                    self.tasks[str(raw.get("id"))] = raw
            known = self._tasks_by_rid()
        await self._learn_units([raw for raw in self.tasks.values() if str(raw.get("rid")) in known])

    async def iter_returns(self, since: datetime) -> AsyncIterator[list[RemoteReturn]]:
        for archived in (False, True):
            offset = 0
            while True:
                body = await self.api.claims(archive=archived, limit=CLAIMS_PAGE, offset=offset)
                claims = [
                    c
                    for c in mapping.dicts(body, "claims")
                    if mapping.guarded(
                        "claim", lambda c: mapping.parse_time(c.get("dt_update") or c["dt"]), c
                    )
                    >= since
                ]
                await self._find_claimed_tasks(claims)
                by_rid = self._tasks_by_rid()
                page = [mapping.claim_return(c, archived, by_rid, self.unit_codes) for c in claims]
                if page:
                    yield page
                if len(claims) < CLAIMS_PAGE:
                    break
                offset += CLAIMS_PAGE

    # --- cards -------------------------------------------------------------------------

    async def categories(self) -> list[Category]:
        out: list[Category] = []
        parents: dict[str, str] = {}
        offset = 0
        while True:
            body = await self.api.subjects(limit=SUBJECTS_PAGE, offset=offset)
            rows = mapping.dicts(body, "data")
            for row in rows:
                parent = f"parent-{row.get('parentID')}"
                parents[parent] = str(row.get("parentName") or parent)
                out.append(
                    mapping.guarded(
                        "subject",
                        lambda r, p: Category(
                            id=str(int(r["subjectID"])), name=str(r["subjectName"]), parent_id=p, leaf=True
                        ),
                        row,
                        parent,
                    )
                )
            if len(rows) < SUBJECTS_PAGE:
                break
            offset += SUBJECTS_PAGE
        return [Category(id=k, name=v, leaf=False) for k, v in parents.items()] + out

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        body = await self.api.charcs(category_id)
        rows = mapping.dicts(body, "data")
        return [
            mapping.guarded(
                "characteristic",
                lambda r: CategoryAttribute(
                    id=str(int(r["charcID"])),
                    name=str(r["name"]),
                    required=bool(r.get("required")),
                    type="number" if r.get("charcType") == 4 else "string",
                    multi=int(r.get("maxCount") or 0) > 1,
                ),
                row,
            )
            for row in rows
        ]

    async def export_cards(self, cards: Sequence[CardDraft]) -> str:
        """New cards are uploaded; cards the marketplace already has (by vendorCode) are updated."""
        vendors = {d.product_code or d.offer_code for d in cards}
        known = {v: self.cards_by_vendor[v] for v in vendors if v in self.cards_by_vendor}
        known.update(await self._find_cards(vendors - set(known)))
        return await card_export.export(self.api, cards, known)

    async def _find_cards(self, vendors: set[str]) -> dict[str, dict[str, Any]]:
        """Cards not remembered, by vendorCode: a search each when few, else one catalog pass."""
        found: dict[str, dict[str, Any]] = {}
        if len(vendors) <= SEARCH_AT_MOST:
            for vendor in sorted(vendors):
                body = await self.api.cards_list({"limit": CARDS_PAGE}, text=vendor)
                found.update(
                    (vendor, c) for c in mapping.dicts(body, "cards") if c.get("vendorCode") == vendor
                )
        elif vendors:
            async for page in self._card_pages():
                found.update((v, c) for c in page if (v := str(c.get("vendorCode"))) in vendors)
                if len(found) == len(vendors):
                    break
        for vendor, card in found.items():
            self.cards_by_vendor[vendor] = card
        return found

    async def card_export_status(self, task_id: str) -> list[CardResult] | None:
        return await card_export.status(self.api, task_id)
