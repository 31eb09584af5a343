"""The Yandex Market channel: catalog, cards, stocks and prices over the Partner API."""

from __future__ import annotations

from marketbridge.channels.registry import register
from marketbridge.channels.spec import ChannelSpec
from marketbridge.channels.yandex_market import endpoints as ep
from marketbridge.channels.yandex_market.channel import YandexMarketChannel
from marketbridge.channels.yandex_market.endpoints import DEFAULT_BASE_URL

SPEC = register(
    ChannelSpec(
        kind="yandex-market",
        title="Yandex Market",
        credential_fields=("api_key", "business_id"),
        default_hosts={"default": DEFAULT_BASE_URL},
        channel_class=YandexMarketChannel,
        api=ep.API,
        # one poll: a page of the business-level order list, by update moment
        order_poll_calls=(ep.BUSINESS_ORDERS,),
    )
)

__all__ = ["SPEC", "YandexMarketChannel"]
