"""The Wildberries channel: the role protocols over WB's content, prices, marketplace and returns APIs.

WildberriesChannel composes one class per role group: catalog (offers, prices read,
subjects, card export), orders and returns (assembly tasks polled: WB has no order push and
no confirm step) and shipping (supplies); stock and price export are the modules
stock_push and price_push.

Settings (ConnectionConfig.settings):
- `sizes_as_products` (bool, default false): import each size as its own product instead
  of a variant of its card;
- `price_poll_interval`, `price_poll_timeout` (seconds): how price upload tasks are followed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from marketbridge.channels.roles import ItemResult, PricePush, RemoteStock, StockPush
from marketbridge.channels.wildberries import stock_push
from marketbridge.channels.wildberries.card_export import CARDS_PAGE
from marketbridge.channels.wildberries.catalog import CatalogRoles
from marketbridge.channels.wildberries.endpoints import CARDS_LIST, LIMITS, PRICE_TASK, STOCKS_PUT
from marketbridge.channels.wildberries.returns import ReturnRoles
from marketbridge.channels.wildberries.shipping import ShippingRoles


class WildberriesChannel(CatalogRoles, ShippingRoles, ReturnRoles):
    """Every role Wildberries plays: CatalogSource, CardExporter, StockSink, StockSource,
    PriceSink, PriceSource, OrderSource, Fulfilment and ReturnsSource."""

    # WB's published rate of stock calls (1,000 items each) and of content calls (100 cards each)
    stock_items_per_second = stock_push.BATCH / LIMITS[STOCKS_PUT.group].interval
    catalog_offers_per_second = CARDS_PAGE / LIMITS[CARDS_LIST.group].interval

    async def push_stocks(self, items: Sequence[StockPush]) -> list[ItemResult]:
        return await stock_push.push_stocks(self.api, items)

    async def until_stock_call(self) -> None:
        await self.api.http.until_free(STOCKS_PUT)

    async def until_price_call(self) -> None:
        await self.api.http.until_free(PRICE_TASK)

    def iter_stocks(
        self, external_ids: Sequence[str], warehouse_ids: Sequence[str]
    ) -> AsyncIterator[list[RemoteStock]]:
        return stock_push.read_stocks(self.api, external_ids, warehouse_ids)

    async def push_prices(self, items: Sequence[PricePush]) -> list[ItemResult]:
        return await self.prices.push(items)
