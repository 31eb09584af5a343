"""What every role of the Wildberries channel shares: the API, the settings and the memory.

The connector remembers what it learnt from WB to save calls: each size's offer code (a
task names its card, not its size), cards by vendorCode, and assembly tasks by id (WB has
no get-by-id for a task). Each memory has a bound. Finding cards by vendorCode lives here
because orders (unit codes of task lines) and card export both need it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketbridge.channels.errors import AuthError
from marketbridge.channels.paging import Page, paginate, token_page
from marketbridge.channels.roles import ConnectionConfig, RemoteWarehouse
from marketbridge.channels.wildberries import card_export, fulfilment, mapping
from marketbridge.channels.wildberries.card_export import CARDS_PAGE
from marketbridge.channels.wildberries.client import WbApi
from marketbridge.channels.wildberries.price_push import PricePusher
from marketbridge.runtime.lru import LruDict
from marketbridge.runtime.ratelimit import Limiter

#: Up to this many unknown cards are looked up one by one, more by one catalog pass.
SEARCH_AT_MOST = 5
#: How many sizes' articles and whole cards the connector remembers (a bound on its memory).
UNITS_REMEMBERED = 200_000
CARDS_REMEMBERED = 5_000
#: How many assembly tasks it remembers: the recent ones a pack, hand-over or claim needs;
#: an older one is read again (get_order reads the last 30 days).
TASKS_REMEMBERED = 50_000


class WbSettings(BaseModel):
    """The connection settings this channel reads (checked when a connection is written)."""

    model_config = ConfigDict(extra="ignore")
    sizes_as_products: bool = False
    price_poll_interval: float = Field(default=1.0, ge=0, le=3600)
    price_poll_timeout: float = Field(default=120.0, ge=0, le=3600)


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


class WbChannelBase:
    """The API client, the settings and the connector's memory; `check` and warehouses."""

    kind = "wildberries"

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
        self.tasks: LruDict[str, dict[str, Any]] = LruDict(TASKS_REMEMBERED)  # task id -> last raw task
        # a task's rid (what claims name it by) -> (task id, chrtID)
        self.task_of_rid: LruDict[str, tuple[str, str]] = LruDict(TASKS_REMEMBERED)
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

    def _remember_task(self, raw: dict[str, Any]) -> None:
        task_id = mapping.guarded("task", lambda r: str(int(r["id"])), raw)
        known = self.tasks.get(task_id) or {}
        for key in ("requiredMeta", "optionalMeta"):  # listed only while the task is new
            if key not in raw and key in known:
                raw = {**raw, key: known[key]}
        self.tasks[task_id] = raw
        if raw.get("rid"):
            self.task_of_rid[str(raw["rid"])] = (task_id, str(raw.get("chrtId")))

    def _warehouse_of(self, task_id: str) -> str | None:
        raw = self.tasks.get(task_id)
        return None if raw is None else str(raw.get("warehouseId"))

    async def _card_pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        """The whole catalog, a page of cards at a time, by the (updatedAt, nmID) cursor."""

        async def fetch(after: Hashable) -> Page[dict[str, Any]]:
            cursor: dict[str, Any] = {"limit": CARDS_PAGE}
            if isinstance(after, tuple):
                cursor.update(updatedAt=after[0], nmID=after[1])
            body = await self.api.cards_list(cursor)
            cards = mapping.dicts(body, "cards")
            reply = mapping.guarded("cards cursor", lambda b: dict(b["cursor"]), body)
            token = (reply.get("updatedAt"), reply["nmID"]) if reply.get("nmID") else None
            return token_page(cards, token, has_next=len(cards) >= CARDS_PAGE)

        async for cards in paginate(fetch, None, what="wildberries cards"):
            yield cards

    async def _find_cards(self, vendors: set[str]) -> dict[str, dict[str, Any]]:
        """Cards not remembered, by vendorCode: a search each when few, else one catalog pass."""
        found: dict[str, dict[str, Any]] = {}
        if len(vendors) <= SEARCH_AT_MOST:
            for vendor in sorted(vendors):
                card = await card_export.search_card(self.api, vendor)
                if card is not None:
                    found[vendor] = card
        elif vendors:
            async for page in self._card_pages():
                found.update((v, c) for c in page if (v := str(c.get("vendorCode"))) in vendors)
                if len(found) == len(vendors):
                    break
        for vendor, card in found.items():
            self.cards_by_vendor[vendor] = card
        return found

    async def _learn_units(self, raws: list[dict[str, Any]]) -> None:
        """Find the unit codes of sizes not seen yet (a task names its card, not its techSize)."""
        unknown = [
            r
            for r in raws
            if str(r.get("chrtId")) not in self.unit_codes and str(r.get("chrtId")) not in self._looked_up
        ]
        articles = {str(r.get("article")) for r in unknown if r.get("article")}
        # a size gone from the catalog is sought once
        self._looked_up.update(str(r.get("chrtId")) for r in unknown)
        try:
            cards = await self._find_cards(articles)
        except AuthError:
            return  # a token without the content category: lines keep the card's vendorCode
        for card in cards.values():
            for offer in mapping.card_offers(card, self.sizes_as_products):
                self.unit_codes[offer.external_id] = offer.offer_code
