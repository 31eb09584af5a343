"""The Ozon channel: FBS postings, stocks, prices, cards, labels, acts and returns over the Seller API."""

from __future__ import annotations

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
    )
)

__all__ = ["SPEC", "OzonChannel"]
