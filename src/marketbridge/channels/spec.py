"""A registered marketplace: its connector class, what a connection to it needs, its roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from marketbridge.channels.roles import Channel, ConnectionConfig, roles_of
from marketbridge.runtime.ratelimit import Limiter


@dataclass(frozen=True)
class ChannelSpec:
    """How to build a marketplace's channel and what its connection needs.

    `channel_class` is called as `channel_class(config, limiter)`; the roles it plays are
    read off the class (`roles`), so the dashboard and the API know them without building
    a channel. `default_hosts` maps each host alias to the marketplace's real URL.
    `settings_model` (a pydantic model) types and bounds the connection settings the
    marketplace reads; a setting neither it nor the hub knows is refused.
    """

    kind: str
    title: str
    credential_fields: tuple[str, ...]
    default_hosts: dict[str, str]
    channel_class: Any  # type[Channel]; Any because role members are checked by name
    settings_model: type[BaseModel] | None = None

    @property
    def host_aliases(self) -> tuple[str, ...]:
        return tuple(self.default_hosts)

    @property
    def roles(self) -> tuple[type, ...]:
        return roles_of(self.channel_class)

    def create(self, config: ConnectionConfig, limiter: Limiter) -> Channel:
        missing = [f for f in self.credential_fields if not config.credentials.get(f)]
        if missing:
            raise ValueError(f"{self.kind}: missing credentials: {', '.join(missing)}")
        channel: Channel = self.channel_class(config, limiter)
        return channel
