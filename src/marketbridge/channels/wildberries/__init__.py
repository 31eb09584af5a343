"""The Wildberries channel: FBS assembly tasks, supplies, stocks, prices, cards and claims."""

from __future__ import annotations

from marketbridge.channels.base import ChannelSpec, ConnectionConfig
from marketbridge.channels.registry import register
from marketbridge.channels.wildberries.channel import CAPABILITIES, WildberriesChannel
from marketbridge.runtime.ratelimit import Limiter

HOST_ALIASES = ("marketplace", "content", "prices", "common", "returns", "statistics")


def create_channel(config: ConnectionConfig, limiter: Limiter) -> WildberriesChannel:
    return WildberriesChannel(config, limiter)


SPEC = register(
    ChannelSpec(
        kind="wildberries",
        title="Wildberries",
        credential_fields=("token",),
        host_aliases=HOST_ALIASES,
        factory=create_channel,
        capabilities=CAPABILITIES,
    )
)

__all__ = ["HOST_ALIASES", "SPEC", "WildberriesChannel", "create_channel"]
