"""The Ozon channel: FBS postings, stocks, prices, cards, labels, acts and returns over the Seller API."""

from __future__ import annotations

from marketbridge.channels.base import ChannelSpec, ConnectionConfig
from marketbridge.channels.ozon.channel import CAPABILITIES, OzonChannel
from marketbridge.channels.registry import register
from marketbridge.runtime.ratelimit import Limiter


def create_channel(config: ConnectionConfig, limiter: Limiter) -> OzonChannel:
    return OzonChannel(config, limiter)


SPEC = register(
    ChannelSpec(
        kind="ozon",
        title="Ozon",
        credential_fields=("client_id", "api_key"),
        host_aliases=("default",),
        factory=create_channel,
        capabilities=CAPABILITIES,
    )
)

__all__ = ["SPEC", "OzonChannel", "create_channel"]
