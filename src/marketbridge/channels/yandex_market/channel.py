"""The Yandex Market channel: the roles it plays today over the Partner API, composed from parts.

Catalog import and card export (catalog.py), stock and price pushes (writes.py), orders by
polling with buyers' cancellation requests answered (orders.py), confirming, packing, labels,
hand-over and cancelling (fulfilment.py), returns (returns.py) and notifications (push.py)
over the shared base (base.py: credentials, campaigns, partner warehouses).
"""

from __future__ import annotations

from collections.abc import Mapping

from marketbridge.channels.roles import PushReply
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market import push
from marketbridge.channels.yandex_market.catalog import YmCatalog
from marketbridge.channels.yandex_market.fulfilment import YmFulfilment
from marketbridge.channels.yandex_market.returns import YmReturns
from marketbridge.channels.yandex_market.writes import YmWrites


class YandexMarketChannel(YmCatalog, YmWrites, YmFulfilment, YmReturns):
    """CatalogSource, CardExporter, StockSink, PriceSink, OrderSource, OrderConfirmer, Fulfilment,
    ReturnsSource and PushHandler."""

    # 50 stock calls a minute (at the sending margin), 2,000 items each
    stock_items_per_second = (
        ep.SENDING_LIMITS["stocks_v3_update"].count / 60 * ep.MAX_ITEMS["stocks_v3_update"]
    )
    # 100 offer-mapping pages a minute (at the sending margin), 100 offers each
    catalog_offers_per_second = (
        ep.SENDING_LIMITS["offer_mappings"].count / 60 * ep.PAGE_LIMITS["offer_mappings"]
    )

    def handle_push(self, headers: Mapping[str, str], body: bytes) -> PushReply:
        return push.handle_push(headers, body)
