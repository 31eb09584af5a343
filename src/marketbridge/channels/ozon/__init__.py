"""The Ozon channel: FBS postings, stocks, prices, cards, labels, acts and returns over the Seller API."""

from __future__ import annotations

from marketbridge.channels.ozon import endpoints as api
from marketbridge.channels.ozon.channel import OzonChannel
from marketbridge.channels.ozon.client import DEFAULT_BASE_URL
from marketbridge.channels.registry import register
from marketbridge.channels.spec import ChannelSpec

SPEC = register(
    ChannelSpec(
        kind="ozon",
        title="Ozon",
        credential_fields=("client_id", "api_key"),
        default_hosts={"default": DEFAULT_BASE_URL},
        channel_class=OzonChannel,
        api=api.OZON_API,
        # one poll: postings created in the window, then postings whose status changed in it
        order_poll_calls=(api.POSTING_LIST, api.POSTING_LIST),
    )
)

__all__ = ["SPEC", "OzonChannel"]
