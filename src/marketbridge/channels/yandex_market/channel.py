"""The Yandex Market channel: the roles it plays today over the Partner API, composed from parts.

Catalog import and card export (catalog.py), stock and price pushes (writes.py), orders by
polling (orders.py) over the shared base (base.py: credentials, campaigns, partner
warehouses). Confirming, fulfilment, returns and notifications are not played yet.
"""

from __future__ import annotations

from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market.catalog import YmCatalog
from marketbridge.channels.yandex_market.orders import YmOrders
from marketbridge.channels.yandex_market.writes import YmWrites


class YandexMarketChannel(YmCatalog, YmWrites, YmOrders):
    """CatalogSource, CardExporter, StockSink, PriceSink and OrderSource."""

    # 50 stock calls a minute (at the sending margin), 2,000 items each
    stock_items_per_second = (
        ep.SENDING_LIMITS["stocks_v3_update"].count / 60 * ep.MAX_ITEMS["stocks_v3_update"]
    )
    # 100 offer-mapping pages a minute (at the sending margin), 100 offers each
    catalog_offers_per_second = (
        ep.SENDING_LIMITS["offer_mappings"].count / 60 * ep.PAGE_LIMITS["offer_mappings"]
    )
