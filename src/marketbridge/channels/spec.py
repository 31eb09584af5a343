"""A registered marketplace: its connector class, what a connection to it needs, its roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from marketbridge.channels.endpoints import ApiDeclaration, Endpoint
from marketbridge.channels.errors import HostNotAllowed
from marketbridge.channels.roles import Channel, ConnectionConfig, roles_of
from marketbridge.runtime.ratelimit import Limiter
from marketbridge.runtime.targets import is_loopback_host


@dataclass(frozen=True)
class ChannelSpec:
    """How to build a marketplace's channel and what its connection needs.

    `channel_class` is called as `channel_class(config, limiter)`; the roles it plays are
    read off the class (`roles`), so the dashboard and the API know them without building
    a channel. `default_hosts` maps each host alias to the marketplace's real URL; their
    hosts are the only ones a connection may use, unless loopback targets are allowed for
    development (then a loopback URL, e.g. a local sandbox, is accepted too).
    `settings_model` (a pydantic model) types and bounds the connection settings the
    marketplace reads; a setting neither it nor the hub knows is refused.
    `api` is the marketplace's declared API (methods and published limits) and
    `order_poll_calls` the calls one poll of orders makes at the least, and
    `new_order_calls` those of one read of the new-order feed (where the channel plays
    NewOrderFeed): from them the hub derives how often a connection polls (channels/quota.py).
    """

    kind: str
    title: str
    credential_fields: tuple[str, ...]
    default_hosts: dict[str, str]
    channel_class: Any  # type[Channel]; Any because role members are checked by name
    settings_model: type[BaseModel] | None = None
    api: ApiDeclaration | None = None
    order_poll_calls: tuple[Endpoint, ...] = ()
    new_order_calls: tuple[Endpoint, ...] = ()

    @property
    def host_aliases(self) -> tuple[str, ...]:
        return tuple(self.default_hosts)

    @property
    def own_hosts(self) -> frozenset[str]:
        """The marketplace's own host names (those of `default_hosts`)."""
        return frozenset((urlsplit(u).hostname or "").lower() for u in self.default_hosts.values())

    def base_url_refusal(self, url: str, *, allow_loopback: bool) -> str | None:
        """Why `url` may not be a base URL of a connection to this marketplace, or None.

        Decided from the URL alone (nothing is resolved): https on one of the marketplace's
        own hosts at the default port, or any loopback URL when `allow_loopback` is set.
        """
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        try:
            port = parts.port
        except ValueError:
            return "the port is not valid"
        if allow_loopback and parts.scheme in ("http", "https") and is_loopback_host(host):
            return None
        if host not in self.own_hosts:
            hint = "" if allow_loopback else "; local sandboxes need allow_loopback_targets"
            return f"{host!r} is not a host of {self.title} ({', '.join(sorted(self.own_hosts))}){hint}"
        if parts.scheme != "https" or port not in (None, 443) or parts.username or parts.password:
            return f"use https://{host} without a port or user name"
        return None

    def check_base_urls(self, base_urls: dict[str, str], *, allow_loopback: bool) -> None:
        """Raise HostNotAllowed naming the first base URL this marketplace may not use."""
        for alias, url in sorted(base_urls.items()):
            reason = self.base_url_refusal(url, allow_loopback=allow_loopback)
            if reason is not None:
                raise HostNotAllowed(f"{self.kind}: base URL of {alias!r} refused: {reason}")

    @property
    def roles(self) -> tuple[type, ...]:
        return roles_of(self.channel_class)

    def create(self, config: ConnectionConfig, limiter: Limiter) -> Channel:
        missing = [f for f in self.credential_fields if not config.credentials.get(f)]
        if missing:
            raise ValueError(f"{self.kind}: missing credentials: {', '.join(missing)}")
        channel: Channel = self.channel_class(config, limiter)
        return channel
